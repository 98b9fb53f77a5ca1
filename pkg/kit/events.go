package kit

import "github.com/vanguard/vanguard/pkg/outbox"

// EventRoutes is the one table of who subscribes to which event topic, used by every producer
// in both run modes (a producer's relay fans each event out to these subscribers; see
// pkg/outbox). The topics and their payloads are declared in api/<svc>/v1/events.proto:
//
//	attempt.graded, question.changed                       quiz
//	course.published|updated|archived|deleted,
//	assignment.changed, lesson.media_ready                 course
//	hours.credited, lesson.completed, meeting.recorded, …  studyhour
//	development.step_recorded, member.transferred          org
//
// A service that subscribes adds its lines here (subscriber name = service name, queue = its
// Asynq queue), registers an outbox.Inbox for "<name>:event" tasks on that queue, and ships a
// backfill command that reads what happened before it existed from the producers' gRPC APIs.
// Until then events are kept for the outbox retention and pruned, with no deliveries.
var EventRoutes = outbox.Routes{
	// studyhour credits an exam's hours when an attempt passes (and reverses them on a regrade);
	// growth compiles the member's file again (its nightly compile is its backfill).
	"attempt.graded": {{Name: "studyhour", Queue: "studyhour"}, growth},
	// growth compiles the files of the members an event concerns.
	"development.step_recorded": {growth},
	"member.transferred":        {growth},
	"hours.credited":            {growth},
	"lesson.completed":          {growth},
	"meeting.recorded":          {growth},
	"study_report.filed":        {growth},
	// search syncs the courses, posts and questions whose documents changed (its reindex is its
	// backfill).
	"course.published":   {search},
	"course.updated":     {search},
	"course.archived":    {search},
	"course.deleted":     {search},
	"assignment.changed": {search},
	"news.published":     {search},
	"news.updated":       {search},
	"news.deleted":       {search},
	"question.changed":   {search},
}

var (
	growth = outbox.Subscriber{Name: "growth", Queue: "growth"}
	search = outbox.Subscriber{Name: "search", Queue: "search"}
)
