package biz

import "context"

// DomainEvent is something the course service announces to other services (search, study
// hours); the data layer writes each as its message of api/course/v1/events.proto.
type DomainEvent interface{ isDomainEvent() }

// Publisher writes domain events in the transaction ctx carries (the outbox of pkg/outbox), so
// an event exists exactly when the change it announces committed.
type Publisher interface {
	Publish(ctx context.Context, ev DomainEvent) error
}

// CourseEventKind says what happened to a course.
type CourseEventKind string

// What can happen to a course, as announced to subscribers.
const (
	CoursePublishedEvent CourseEventKind = "published"
	CourseUpdatedEvent   CourseEventKind = "updated"
	CourseArchivedEvent  CourseEventKind = "archived"
	CourseDeletedEvent   CourseEventKind = "deleted"
)

// CourseChanged announces a course's lifecycle step with its searchable fields.
type CourseChanged struct {
	Kind   CourseEventKind
	Course Course // without chapters
}

func (CourseChanged) isDomainEvent() {}

// AssignmentChanged announces an assignment made, changed or removed.
type AssignmentChanged struct {
	Assignment Assignment
	Removed    bool
}

func (AssignmentChanged) isDomainEvent() {}

// LessonMediaReady announces a lesson whose media was probed and is playable.
type LessonMediaReady struct {
	LessonID, CourseID int64
	Kind               Kind
	DurationSeconds    int64
	Pages              int
}

func (LessonMediaReady) isDomainEvent() {}

// courseChanged announces kind for c (in the caller's transaction).
func (uc *CourseUsecase) courseChanged(ctx context.Context, kind CourseEventKind, c *Course) error {
	flat := *c
	flat.Chapters = nil
	return uc.events.Publish(ctx, CourseChanged{Kind: kind, Course: flat})
}
