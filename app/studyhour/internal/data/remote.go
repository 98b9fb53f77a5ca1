package data

import (
	"context"
	"errors"
	"fmt"

	kerrors "github.com/go-kratos/kratos/v2/errors"

	coursev1 "github.com/vanguard/vanguard/api/course/v1"
	orgv1 "github.com/vanguard/vanguard/api/org/v1"
	"github.com/vanguard/vanguard/app/studyhour/internal/biz"
	"github.com/vanguard/vanguard/pkg/orgdir"
)

type courses struct{ c coursev1.CoursesClient }

// NewCourses returns course's view of lessons over its gRPC API; the connection must forward
// the caller's token (auth.Forward), so course decides whether the caller may study.
func NewCourses(c coursev1.CoursesClient) biz.Courses { return courses{c} }

func (c courses) Lesson(ctx context.Context, id int64) (*biz.Lesson, error) {
	l, err := c.c.GetLesson(ctx, &coursev1.IdRequest{Id: id})
	if err != nil {
		if code := kerrors.Code(err); code == 404 || code == 403 {
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

type accounts struct{ dir *orgdir.Client }

// NewAccounts checks a caller's sight of a member through org's GetAccount with the caller's
// token: org answers only for the member and staff over the member's org.
func NewAccounts(c orgv1.AccountsClient) biz.Accounts { return accounts{orgdir.New(nil, c)} }

func (a accounts) CheckMember(ctx context.Context, memberID int64) error {
	_, err := a.dir.AccountOrgPath(ctx, memberID)
	if errors.Is(err, orgdir.ErrNotFound) || kerrors.Code(err) == 403 {
		return biz.ErrNotFound
	}
	return err
}
