package service

import (
	"context"

	eventsv1 "github.com/vanguard/vanguard/api/events/v1"
	quizv1 "github.com/vanguard/vanguard/api/quiz/v1"
	"github.com/vanguard/vanguard/app/quiz/internal/biz"
	"github.com/vanguard/vanguard/pkg/outbox"
)

// EventsService is quiz's service-only Events API: subscribers acknowledge the events they
// applied (pkg/outbox), and page over graded attempts to backfill.
type EventsService struct {
	quizv1.UnimplementedEventsServer
	Ack      outbox.AckService
	Attempts *biz.AttemptUsecase
	// Message converts a graded event to its attempt.graded message (the outbox's own).
	Message func(biz.GradedEvent) *quizv1.AttemptGraded
}

// AckEvents closes the calling service's deliveries of the given events.
func (s *EventsService) AckEvents(ctx context.Context, req *eventsv1.AckEventsRequest) (*eventsv1.AckEventsReply, error) {
	return s.Ack.AckEvents(ctx, req)
}

// ListGradedAttempts pages over the graded attempts of the exams that credit study hours.
func (s *EventsService) ListGradedAttempts(ctx context.Context, req *quizv1.ListGradedAttemptsRequest) (*quizv1.ListGradedAttemptsReply, error) {
	evs, err := s.Attempts.GradedForBackfill(ctx, req.AfterExamId, req.AfterAttemptId, int(req.PageSize))
	if err != nil {
		return nil, toAPIError(err)
	}
	out := &quizv1.ListGradedAttemptsReply{Attempts: make([]*quizv1.AttemptGraded, len(evs))}
	for i, e := range evs {
		out.Attempts[i] = s.Message(e)
	}
	return out, nil
}
