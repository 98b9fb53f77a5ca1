package service

import (
	"context"

	coursev1 "github.com/vanguard/vanguard/api/course/v1"
	eventsv1 "github.com/vanguard/vanguard/api/events/v1"
	"github.com/vanguard/vanguard/pkg/outbox"
)

// EventsService is the course service's service-only Events API: subscribers acknowledge the
// events they applied (pkg/outbox).
type EventsService struct {
	coursev1.UnimplementedEventsServer
	Ack outbox.AckService
}

// AckEvents closes the calling service's deliveries of the given events.
func (s *EventsService) AckEvents(ctx context.Context, req *eventsv1.AckEventsRequest) (*eventsv1.AckEventsReply, error) {
	return s.Ack.AckEvents(ctx, req)
}
