package data

import (
	"context"
	"fmt"

	"google.golang.org/protobuf/proto"

	quizv1 "github.com/vanguard/vanguard/api/quiz/v1"
	"github.com/vanguard/vanguard/app/quiz/internal/biz"
	"github.com/vanguard/vanguard/pkg/outbox"
)

// OutboxDB is the quiz database as pkg/outbox reaches it.
func (d *Data) OutboxDB() outbox.DB { return outbox.FromEnt(d.Ent) }

type publisher struct{ o *outbox.Outbox }

var _ biz.Publisher = publisher{}

// NewPublisher writes quiz's domain events to its outbox as the messages of
// api/quiz/v1/events.proto.
func NewPublisher(o *outbox.Outbox) biz.Publisher { return publisher{o} }

func (p publisher) Publish(ctx context.Context, evs ...biz.DomainEvent) error {
	msgs := make([]proto.Message, len(evs))
	for i, ev := range evs {
		switch e := ev.(type) {
		case biz.GradedEvent:
			msgs[i] = GradedMessage(e)
		case biz.QuestionChanged:
			msgs[i] = &quizv1.QuestionChanged{QuestionId: e.QuestionID, BankId: e.BankID, Version: int32(e.Version), OrgPath: e.OrgPath, Archived: e.Archived}
		default:
			return fmt.Errorf("quiz publisher: unknown event %T", ev)
		}
	}
	return p.o.Add(ctx, msgs...)
}

// GradedMessage is the attempt.graded message of a graded event (the outbox payload, and the
// backfill's page rows).
func GradedMessage(e biz.GradedEvent) *quizv1.AttemptGraded {
	msg := &quizv1.AttemptGraded{
		AttemptId: e.AttemptID, ExamId: e.ExamID, UserId: e.UserID, Number: int32(e.Number),
		Score: e.Score, MaxScore: e.MaxScore, Passed: e.Passed, NeedsReview: e.NeedsReview,
		GradedAtMs: e.GradedAt.UnixMilli(), Regrade: e.Regrade, CreditSeconds: e.CreditSeconds,
	}
	if e.SubmittedAt != nil {
		msg.SubmittedAtMs = e.SubmittedAt.UnixMilli()
	}
	return msg
}
