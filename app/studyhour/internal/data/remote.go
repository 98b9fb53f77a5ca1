package data

import (
	"context"
	"fmt"

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
