package data

import (
	"context"
	"time"

	coursev1 "github.com/vanguard/vanguard/api/course/v1"
	quizv1 "github.com/vanguard/vanguard/api/quiz/v1"
	"github.com/vanguard/vanguard/app/search/internal/biz"
)

// Remote reads the owners' items through their service-only SearchFeed APIs. Both clients'
// connections must call as the search service (kit.DialAsService): the feeds refuse any other
// caller.
type Remote struct {
	Course coursev1.SearchFeedClient
	Quiz   quizv1.SearchFeedClient
}

var _ biz.Sources = (*Remote)(nil)

func parseTime(s string) time.Time {
	t, _ := time.Parse(time.RFC3339, s)
	return t.UTC()
}

func courseOf(c *coursev1.SearchCourse) *biz.SourceCourse {
	out := &biz.SourceCourse{ID: c.GetCourseId(), Title: c.GetTitle(), Summary: c.GetSummary(), Topic: c.GetTopic(), Tags: c.GetTags(),
		OrgPath: c.GetOrgPath(), Assigned: c.GetAssignedPaths(), Published: c.GetStatus() == "published", UpdatedAt: parseTime(c.GetUpdatedAt())}
	for _, l := range c.GetLessons() {
		out.Lessons = append(out.Lessons, biz.SourceLesson{ID: l.GetLessonId(), Title: l.GetTitle(), Text: l.GetText()})
	}
	return out
}

func postOf(p *coursev1.SearchNews) *biz.SourcePost {
	return &biz.SourcePost{ID: p.GetPostId(), OrgPath: p.GetOrgPath(), Title: p.GetTitle(), Text: p.GetText(),
		PublishAt: parseTime(p.GetPublishAt()), UpdatedAt: parseTime(p.GetUpdatedAt())}
}

func questionOf(q *quizv1.SearchQuestion) *biz.SourceQuestion {
	return &biz.SourceQuestion{ID: q.GetQuestionId(), BankID: q.GetBankId(), BankName: q.GetBankName(), OrgPath: q.GetOrgPath(),
		Stem: q.GetStem(), Options: q.GetOptions(), Tags: q.GetTags(), Archived: q.GetArchived(), UpdatedAt: parseTime(q.GetUpdatedAt())}
}

// Courses implements biz.Sources.
func (r *Remote) Courses(ctx context.Context, ids []int64) ([]*biz.SourceCourse, error) {
	res, err := r.Course.GetSearchItems(ctx, &coursev1.GetSearchItemsRequest{CourseIds: ids})
	if err != nil {
		return nil, err
	}
	out := make([]*biz.SourceCourse, len(res.GetCourses()))
	for i, c := range res.GetCourses() {
		out[i] = courseOf(c)
	}
	return out, nil
}

// Posts implements biz.Sources.
func (r *Remote) Posts(ctx context.Context, ids []int64) ([]*biz.SourcePost, error) {
	res, err := r.Course.GetSearchItems(ctx, &coursev1.GetSearchItemsRequest{PostIds: ids})
	if err != nil {
		return nil, err
	}
	out := make([]*biz.SourcePost, len(res.GetPosts()))
	for i, p := range res.GetPosts() {
		out[i] = postOf(p)
	}
	return out, nil
}

// Questions implements biz.Sources.
func (r *Remote) Questions(ctx context.Context, ids []int64) ([]*biz.SourceQuestion, error) {
	res, err := r.Quiz.GetSearchQuestions(ctx, &quizv1.GetSearchQuestionsRequest{QuestionIds: ids})
	if err != nil {
		return nil, err
	}
	out := make([]*biz.SourceQuestion, len(res.GetQuestions()))
	for i, q := range res.GetQuestions() {
		out[i] = questionOf(q)
	}
	return out, nil
}

// ListCourses implements biz.Sources.
func (r *Remote) ListCourses(ctx context.Context, after int64, limit int) ([]*biz.SourceCourse, int64, error) {
	res, err := r.Course.ListSearchItems(ctx, &coursev1.ListSearchItemsRequest{Kind: "course", AfterId: after, Limit: int32(limit)})
	if err != nil {
		return nil, 0, err
	}
	out := make([]*biz.SourceCourse, len(res.GetCourses()))
	for i, c := range res.GetCourses() {
		out[i] = courseOf(c)
	}
	return out, res.GetNextAfterId(), nil
}

// ListPosts implements biz.Sources.
func (r *Remote) ListPosts(ctx context.Context, after int64, limit int) ([]*biz.SourcePost, int64, error) {
	res, err := r.Course.ListSearchItems(ctx, &coursev1.ListSearchItemsRequest{Kind: "news", AfterId: after, Limit: int32(limit)})
	if err != nil {
		return nil, 0, err
	}
	out := make([]*biz.SourcePost, len(res.GetPosts()))
	for i, p := range res.GetPosts() {
		out[i] = postOf(p)
	}
	return out, res.GetNextAfterId(), nil
}

// ListQuestions implements biz.Sources.
func (r *Remote) ListQuestions(ctx context.Context, after int64, limit int) ([]*biz.SourceQuestion, int64, error) {
	res, err := r.Quiz.ListSearchQuestions(ctx, &quizv1.ListSearchQuestionsRequest{AfterId: after, Limit: int32(limit)})
	if err != nil {
		return nil, 0, err
	}
	out := make([]*biz.SourceQuestion, len(res.GetQuestions()))
	for i, q := range res.GetQuestions() {
		out[i] = questionOf(q)
	}
	return out, res.GetNextAfterId(), nil
}
