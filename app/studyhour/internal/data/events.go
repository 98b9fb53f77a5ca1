package data

import (
	"context"
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"

	quizv1 "github.com/vanguard/vanguard/api/quiz/v1"
	studyhourv1 "github.com/vanguard/vanguard/api/studyhour/v1"
	"github.com/vanguard/vanguard/app/studyhour/internal/biz"
	"github.com/vanguard/vanguard/pkg/outbox"
)

// OutboxDB is the studyhour database as pkg/outbox reaches it (its outbox and its inbox).
func (d *Data) OutboxDB() outbox.DB { return outbox.FromEnt(d.Ent) }

type publisher struct{ o *outbox.Outbox }

// NewPublisher writes studyhour's events to its outbox as api/studyhour/v1/events.proto messages.
func NewPublisher(o *outbox.Outbox) biz.Publisher { return publisher{o} }

func (p publisher) Publish(ctx context.Context, evs ...biz.Event) error {
	msgs := make([]proto.Message, len(evs))
	for i, ev := range evs {
		switch e := ev.(type) {
		case biz.HoursCredited:
			msgs[i] = &studyhourv1.HoursCredited{MemberId: e.Entry.MemberID, Seq: e.Entry.Seq, Source: e.Entry.Source,
				Seconds: e.Entry.Seconds, Day: e.Entry.Day, Ref: e.Entry.Ref}
		case biz.LessonCompleted:
			msgs[i] = &studyhourv1.LessonCompleted{MemberId: e.MemberID, LessonId: e.LessonID, CourseId: e.CourseID,
				CompletedAtMs: e.At.UnixMilli(), CreditedSeconds: e.Credited.Seconds()}
		default:
			return fmt.Errorf("studyhour publisher: unknown event %T", ev)
		}
	}
	return p.o.Add(ctx, msgs...)
}

// GradedOf decodes quiz's attempt.graded event.
func GradedOf(e *outbox.Event) (biz.Graded, error) {
	var m quizv1.AttemptGraded
	if err := e.Decode(&m); err != nil {
		return biz.Graded{}, err
	}
	return biz.Graded{AttemptID: m.AttemptId, ExamID: m.ExamId, MemberID: m.UserId, Passed: m.Passed, Regrade: m.Regrade,
		GradedAt: time.UnixMilli(m.GradedAtMs), CreditSeconds: m.CreditSeconds}, nil
}
