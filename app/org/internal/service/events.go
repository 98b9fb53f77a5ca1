package service

import (
	"context"

	eventsv1 "github.com/vanguard/vanguard/api/events/v1"
	v1 "github.com/vanguard/vanguard/api/org/v1"
	"github.com/vanguard/vanguard/pkg/outbox"
)

// EventsService is org's service-only Events API: subscribers acknowledge the events they
// applied (pkg/outbox).
type EventsService struct {
	v1.UnimplementedEventsServer
	Ack outbox.AckService
}

// AckEvents closes the calling service's deliveries of the given events.
func (s *EventsService) AckEvents(ctx context.Context, req *eventsv1.AckEventsRequest) (*eventsv1.AckEventsReply, error) {
	return s.Ack.AckEvents(ctx, req)
}
