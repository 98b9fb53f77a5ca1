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
		case biz.MeetingRecorded:
			msgs[i] = &studyhourv1.MeetingRecorded{MeetingId: e.Meeting.ID, OrgId: e.Meeting.OrgID, OrgPath: e.Meeting.OrgPath,
				Kind: e.Meeting.Kind, Topic: e.Meeting.Topic, StartsAtMs: e.Meeting.StartsAt.UnixMilli(), Present: e.Present}
		case biz.LessonCompleted:
			msgs[i] = &studyhourv1.LessonCompleted{MemberId: e.MemberID, LessonId: e.LessonID, CourseId: e.CourseID,
				CompletedAtMs: e.At.UnixMilli(), CreditedSeconds: e.Credited.Seconds()}
		case biz.ReportFiled:
			msgs[i] = &studyhourv1.StudyReportFiled{ReportId: e.Report.ID, MeetingId: e.Report.MeetingID, MemberId: e.Report.MemberID,
				OrgPath: e.Report.OrgPath, Status: e.Report.Status, MeetingTopic: e.Meeting.Topic, MeetingStartsAtMs: e.Meeting.StartsAt.UnixMilli(),
				UpdatedAtMs: e.Report.UpdatedAt.UnixMilli()}
		case biz.NoteSaved:
			msgs[i] = &studyhourv1.NoteSaved{NoteId: e.Note.ID, MemberId: e.Note.MemberID, LessonId: e.Note.LessonID, PlanItemId: e.Note.PlanItemID,
				Shared: e.Note.Shared, Deleted: e.Deleted, UpdatedAtMs: e.Note.UpdatedAt.UnixMilli()}
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
	return graded(&m), nil
}

func graded(m *quizv1.AttemptGraded) biz.Graded {
	return biz.Graded{AttemptID: m.AttemptId, ExamID: m.ExamId, MemberID: m.UserId, Passed: m.Passed, Regrade: m.Regrade,
		GradedAt: time.UnixMilli(m.GradedAtMs), CreditSeconds: m.CreditSeconds}
}

type examSource struct{ c quizv1.EventsClient }

// NewExamSource pages over quiz's graded attempts (its service-only Events API; the client's
// connection calls as studyhour).
func NewExamSource(c quizv1.EventsClient) biz.ExamSource { return examSource{c} }

func (s examSource) GradedAttempts(ctx context.Context, afterExam, afterAttempt int64, limit int) ([]biz.Graded, error) {
	rep, err := s.c.ListGradedAttempts(ctx, &quizv1.ListGradedAttemptsRequest{AfterExamId: afterExam, AfterAttemptId: afterAttempt, PageSize: int32(limit)})
	if err != nil {
		return nil, fmt.Errorf("quiz ListGradedAttempts: %w", err)
	}
	out := make([]biz.Graded, len(rep.Attempts))
	for i, m := range rep.Attempts {
		out[i] = graded(m)
	}
	return out, nil
}
