package service

import (
	"context"

	eventsv1 "github.com/vanguard/vanguard/api/events/v1"
	quizv1 "github.com/vanguard/vanguard/api/quiz/v1"
	"github.com/vanguard/vanguard/pkg/outbox"
)

// EventsService is quiz's service-only Events API: subscribers acknowledge the events they
// applied (pkg/outbox).
type EventsService struct {
	quizv1.UnimplementedEventsServer
	Ack outbox.AckService
}

// AckEvents closes the calling service's deliveries of the given events.
func (s *EventsService) AckEvents(ctx context.Context, req *eventsv1.AckEventsRequest) (*eventsv1.AckEventsReply, error) {
	return s.Ack.AckEvents(ctx, req)
}
