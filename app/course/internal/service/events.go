package service

import (
	"context"
	"time"

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

// FeedService is course's service-only SearchFeed API: the search service reads courses and news
// posts as they stand.
type FeedService struct {
	coursev1.UnimplementedSearchFeedServer
	Feed *biz.SearchFeed
}

func feedCourseToAPI(fc *biz.FeedCourse) *coursev1.SearchCourse {
	c := fc.Course
	out := &coursev1.SearchCourse{CourseId: c.ID, Title: c.Title, Summary: c.Summary, Topic: fc.Topic, Tags: c.Tags, OrgPath: c.OrgPath,
		AssignedPaths: fc.Assigned, Status: string(c.Status), UpdatedAt: c.UpdatedAt.UTC().Format(time.RFC3339)}
	for _, l := range fc.Lessons {
		out.Lessons = append(out.Lessons, &coursev1.SearchLesson{LessonId: l.ID, Title: l.Title, Text: l.Text})
	}
	return out
}

func feedPostToAPI(p *biz.NewsPost) *coursev1.SearchNews {
	return &coursev1.SearchNews{PostId: p.ID, OrgPath: p.OrgPath, Title: p.Title, Text: p.BodyHTML,
		PublishAt: p.PublishAt.UTC().Format(time.RFC3339), UpdatedAt: p.UpdatedAt.UTC().Format(time.RFC3339)}
}

// GetSearchItems implements coursev1.SearchFeedServer.
func (s *FeedService) GetSearchItems(ctx context.Context, req *coursev1.GetSearchItemsRequest) (*coursev1.SearchItems, error) {
	cs, ps, err := s.Feed.Items(ctx, req.GetCourseIds(), req.GetPostIds())
	if err != nil {
		return nil, toAPIError(err)
	}
	out := &coursev1.SearchItems{}
	for _, c := range cs {
		out.Courses = append(out.Courses, feedCourseToAPI(c))
	}
	for _, p := range ps {
		out.Posts = append(out.Posts, feedPostToAPI(p))
	}
	return out, nil
}

// ListSearchItems implements coursev1.SearchFeedServer.
func (s *FeedService) ListSearchItems(ctx context.Context, req *coursev1.ListSearchItemsRequest) (*coursev1.SearchItems, error) {
	out := &coursev1.SearchItems{}
	switch req.GetKind() {
	case "course":
		cs, next, err := s.Feed.Courses(ctx, req.GetAfterId(), int(req.GetLimit()))
		if err != nil {
			return nil, toAPIError(err)
		}
		for _, c := range cs {
			out.Courses = append(out.Courses, feedCourseToAPI(c))
		}
		out.NextAfterId = next
	case "news":
		ps, next, err := s.Feed.Posts(ctx, req.GetAfterId(), int(req.GetLimit()))
		if err != nil {
			return nil, toAPIError(err)
		}
		for _, p := range ps {
			out.Posts = append(out.Posts, feedPostToAPI(p))
		}
		out.NextAfterId = next
	default:
		return nil, toAPIError(biz.Invalid("kind", "只能是 course 或 news"))
	}
	return out, nil
}
