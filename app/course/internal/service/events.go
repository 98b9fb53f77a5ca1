package service

import (
	"context"

	coursev1 "github.com/vanguard/vanguard/api/course/v1"
	eventsv1 "github.com/vanguard/vanguard/api/events/v1"
	"github.com/vanguard/vanguard/app/course/internal/biz"
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

// DossierService is course's service-only Dossiers API: the growth service reads courses'
// outlines.
type DossierService struct {
	coursev1.UnimplementedDossiersServer
	Courses *biz.CourseUsecase
}

// GetCourseOutlines implements coursev1.DossiersServer.
func (s *DossierService) GetCourseOutlines(ctx context.Context, req *coursev1.GetCourseOutlinesRequest) (*coursev1.CourseOutlines, error) {
	cs, err := s.Courses.Outlines(ctx, req.GetCourseIds())
	if err != nil {
		return nil, toAPIError(err)
	}
	out := &coursev1.CourseOutlines{Courses: make([]*coursev1.CourseOutline, len(cs))}
	for i, c := range cs {
		o := &coursev1.CourseOutline{CourseId: c.ID, Title: c.Title, Status: string(c.Status), CreditHours: c.CreditHours}
		for _, ch := range c.Chapters {
			for _, l := range ch.Lessons {
				o.LessonIds = append(o.LessonIds, l.ID)
			}
		}
		out.Courses[i] = o
	}
	return out, nil
}
