package data

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	coursev1 "github.com/vanguard/vanguard/api/course/v1"
	"github.com/vanguard/vanguard/app/studyhour/internal/biz"
)

type courses struct{ c coursev1.CoursesClient }

// NewCourses returns course's view of lessons over its gRPC API; the connection must forward
// the caller's token (auth.Forward), so course decides whether the caller may study.
func NewCourses(c coursev1.CoursesClient) biz.Courses { return courses{c} }

func (c courses) Lesson(ctx context.Context, id int64) (*biz.Lesson, error) {
	l, err := c.c.GetLesson(ctx, &coursev1.IdRequest{Id: id})
	if err != nil {
		if notFound(err) {
			return nil, biz.ErrNotFound
		}
		return nil, fmt.Errorf("course GetLesson %d: %w", id, err)
	}
	out := &biz.Lesson{ID: l.Id, CourseID: l.CourseId, Duration: float64(l.DurationSeconds), PageCount: int(l.PageCount),
		BodyHTML: l.BodyHtml, Ready: l.MediaStatus == coursev1.MediaStatus_READY}
	switch l.Kind {
	case coursev1.LessonKind_VIDEO:
		out.Kind = biz.KindVideo
	case coursev1.LessonKind_AUDIO:
		out.Kind = biz.KindAudio
	case coursev1.LessonKind_DOCUMENT:
		out.Kind = biz.KindDocument
	default:
		out.Kind, out.Ready = biz.KindArticle, true
	}
	return out, nil
}

type plans struct {
	c coursev1.CoursesClient
}

// NewPlans finds study plan items over course's gRPC API with the caller's token.
func NewPlans(c coursev1.CoursesClient) biz.Plans { return plans{c} }

// PlanItem looks through the plans of the org at path and of each org above it (their ids are
// the path's segments), of every year.
func (p plans) PlanItem(ctx context.Context, path string, id int64) (*biz.PlanItemRef, error) {
	for _, seg := range strings.Split(strings.Trim(path, "/"), "/") {
		orgID, err := strconv.ParseInt(seg, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("org path %q: %w", path, err)
		}
		r, err := p.c.ListStudyPlans(ctx, &coursev1.ListStudyPlansRequest{OrgId: orgID})
		if err != nil {
			if notFound(err) {
				continue
			}
			return nil, fmt.Errorf("course ListStudyPlans %d: %w", orgID, err)
		}
		for _, pl := range r.Plans {
			for _, it := range pl.Items {
				if it.Id == id {
					return &biz.PlanItemRef{ID: it.Id, Title: it.Title}, nil
				}
			}
		}
	}
	return nil, biz.ErrNotFound
}
