package data

import (
	"context"
	"fmt"
	"time"

	coursev1 "github.com/vanguard/vanguard/api/course/v1"
	"github.com/vanguard/vanguard/app/course/internal/biz"
	"github.com/vanguard/vanguard/pkg/htmlsafe"
	"github.com/vanguard/vanguard/pkg/outbox"
)

// maxNewsText bounds the plain text a news event carries for search (events.proto says so).
const maxNewsText = 20000

func truncateRunes(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n])
	}
	return s
}

// OutboxDB is the course database as pkg/outbox reaches it.
func (d *Data) OutboxDB() outbox.DB { return outbox.FromEnt(d.Ent) }

type publisher struct{ o *outbox.Outbox }

var _ biz.Publisher = publisher{}

// NewPublisher writes the course service's domain events to its outbox as the messages of
// api/course/v1/events.proto.
func NewPublisher(o *outbox.Outbox) biz.Publisher { return publisher{o} }

func (p publisher) Publish(ctx context.Context, ev biz.DomainEvent) error {
	switch e := ev.(type) {
	case biz.CourseChanged:
		c := &e.Course
		sum := &coursev1.CourseSummary{CourseId: c.ID, Title: c.Title, Summary: c.Summary, TopicId: c.TopicID, Tags: c.Tags,
			CreditHours: c.CreditHours, OrgId: c.OrgID, OrgPath: c.OrgPath, Status: string(c.Status)}
		switch e.Kind {
		case biz.CoursePublishedEvent:
			return p.o.Add(ctx, &coursev1.CoursePublished{Course: sum})
		case biz.CourseUpdatedEvent:
			return p.o.Add(ctx, &coursev1.CourseUpdated{Course: sum})
		case biz.CourseArchivedEvent:
			return p.o.Add(ctx, &coursev1.CourseArchived{Course: sum})
		case biz.CourseDeletedEvent:
			return p.o.Add(ctx, &coursev1.CourseDeleted{CourseId: c.ID, OrgPath: c.OrgPath})
		}
	case biz.AssignmentChanged:
		a := &e.Assignment
		return p.o.Add(ctx, &coursev1.AssignmentChanged{AssignmentId: a.ID, CourseId: a.CourseID, OrgId: a.OrgID, OrgPath: a.OrgPath,
			Required: a.Required, Due: a.DueDate, Removed: e.Removed})
	case biz.LessonMediaReady:
		return p.o.Add(ctx, &coursev1.LessonMediaReady{LessonId: e.LessonID, CourseId: e.CourseID, Kind: string(e.Kind),
			DurationMs: e.DurationSeconds * 1000, Pages: int32(e.Pages)})
	case biz.NewsChanged:
		n := &e.Post
		if e.Kind == biz.NewsDeletedEvent {
			return p.o.Add(ctx, &coursev1.NewsDeleted{PostId: n.ID, OrgPath: n.OrgPath})
		}
		sum := &coursev1.NewsSummary{PostId: n.ID, OrgId: n.OrgID, OrgPath: n.OrgPath, Title: n.Title,
			Text: truncateRunes(htmlsafe.Text(n.BodyHTML), maxNewsText), Pinned: n.Pinned, PublishAt: n.PublishAt.UTC().Format(time.RFC3339)}
		if e.Kind == biz.NewsPublishedEvent {
			return p.o.Add(ctx, &coursev1.NewsPublished{Post: sum})
		}
		return p.o.Add(ctx, &coursev1.NewsUpdated{Post: sum})
	}
	return fmt.Errorf("course publisher: unknown event %T", ev)
}
