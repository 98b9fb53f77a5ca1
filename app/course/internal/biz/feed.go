package biz

import (
	"context"
	"errors"
	"slices"

	"github.com/vanguard/vanguard/pkg/auth"
	"github.com/vanguard/vanguard/pkg/htmlsafe"
)

// SearchService is the one service that reads the search feed.
const SearchService = "search"

// Bounds of the search feed's calls.
const (
	MaxFeedItems = 100
	MaxFeedPage  = 200
	// MaxFeedText bounds the plain text of a lesson or a post the feed carries.
	MaxFeedText = 20000
)

// FeedCourse is what search indexes of a course: the course as it stands (without media keys),
// the orgs it is assigned to, its topic's name and its lessons' text.
type FeedCourse struct {
	Course   *Course
	Topic    string
	Assigned []string
	Lessons  []FeedLesson
}

// FeedLesson is a lesson's searchable part.
type FeedLesson struct {
	ID    int64
	Title string
	Text  string
}

// SearchFeed gives the search service courses and news posts as they stand, for the ids events
// name and, page by page, for a reindex (service credentials of search only).
type SearchFeed struct {
	courses     CourseRepo
	assignments AssignmentRepo
	news        NewsRepo
}

// NewSearchFeed wires the feed.
func NewSearchFeed(courses CourseRepo, assignments AssignmentRepo, news NewsRepo) *SearchFeed {
	return &SearchFeed{courses: courses, assignments: assignments, news: news}
}

func truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n])
	}
	return s
}

// feedCourses completes courses (read with their structure) with topics, assignments and text.
func (f *SearchFeed) feedCourses(ctx context.Context, cs []*Course) ([]*FeedCourse, error) {
	if len(cs) == 0 {
		return nil, nil
	}
	topics, err := f.courses.ListTopics(ctx)
	if err != nil {
		return nil, err
	}
	names := map[int64]string{}
	for _, t := range topics {
		names[t.ID] = t.Name
	}
	out := make([]*FeedCourse, 0, len(cs))
	for _, c := range cs {
		as, err := f.assignments.ListByCourse(ctx, c.ID)
		if err != nil {
			return nil, err
		}
		fc := &FeedCourse{Course: c, Topic: names[c.TopicID]}
		for _, a := range as {
			if !slices.Contains(fc.Assigned, a.OrgPath) {
				fc.Assigned = append(fc.Assigned, a.OrgPath)
			}
		}
		for _, ch := range c.Chapters {
			for _, l := range ch.Lessons {
				fc.Lessons = append(fc.Lessons, FeedLesson{ID: l.ID, Title: l.Title, Text: truncate(htmlsafe.Text(l.BodyHTML), MaxFeedText)})
			}
		}
		c.Chapters = nil
		out = append(out, fc)
	}
	return out, nil
}

// Items returns the courses and posts among the ids that exist, whatever their state (search
// drops what members may not open: drafts, archived courses, posts not yet published).
func (f *SearchFeed) Items(ctx context.Context, courseIDs, postIDs []int64) ([]*FeedCourse, []*NewsPost, error) {
	if err := auth.RequireServiceNamed(ctx, SearchService, "搜索数据"); err != nil {
		return nil, nil, err
	}
	if len(courseIDs) > MaxFeedItems {
		return nil, nil, Invalid("course_ids", "一次最多读取 %d 门课程", MaxFeedItems)
	}
	if len(postIDs) > MaxFeedItems {
		return nil, nil, Invalid("post_ids", "一次最多读取 %d 条新闻", MaxFeedItems)
	}
	var cs []*Course
	for _, id := range slices.Compact(slices.Sorted(slices.Values(courseIDs))) {
		c, err := f.courses.GetCourse(ctx, id, true)
		if errors.Is(err, ErrCourseNotFound) {
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		cs = append(cs, c)
	}
	courses, err := f.feedCourses(ctx, cs)
	if err != nil {
		return nil, nil, err
	}
	var posts []*NewsPost
	for _, id := range slices.Compact(slices.Sorted(slices.Values(postIDs))) {
		p, err := f.news.Get(ctx, id)
		if errors.Is(err, ErrNewsNotFound) {
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		posts = append(posts, feedPost(p))
	}
	return courses, posts, nil
}

func feedPost(p *NewsPost) *NewsPost {
	x := *p
	x.BodyHTML = truncate(htmlsafe.Text(p.BodyHTML), MaxFeedText) // plain text now
	return &x
}

// Courses pages through the published courses by id, after afterID; next is 0 at the end.
func (f *SearchFeed) Courses(ctx context.Context, afterID int64, limit int) (out []*FeedCourse, next int64, err error) {
	if err := auth.RequireServiceNamed(ctx, SearchService, "搜索数据"); err != nil {
		return nil, 0, err
	}
	limit = min(max(limit, 1), MaxFeedPage)
	page, err := f.courses.ListCourses(ctx, CourseFilter{Status: StatusPublished, AfterID: afterID, Limit: limit})
	if err != nil {
		return nil, 0, err
	}
	cs := make([]*Course, 0, len(page))
	for _, c := range page {
		full, err := f.courses.GetCourse(ctx, c.ID, true)
		if errors.Is(err, ErrCourseNotFound) {
			continue // deleted meanwhile
		}
		if err != nil {
			return nil, 0, err
		}
		cs = append(cs, full)
	}
	if out, err = f.feedCourses(ctx, cs); err != nil {
		return nil, 0, err
	}
	if len(page) == limit {
		next = page[len(page)-1].ID
	}
	return out, next, nil
}

// Posts pages through every news post by id (published or scheduled), after afterID; next is 0
// at the end.
func (f *SearchFeed) Posts(ctx context.Context, afterID int64, limit int) (out []*NewsPost, next int64, err error) {
	if err := auth.RequireServiceNamed(ctx, SearchService, "搜索数据"); err != nil {
		return nil, 0, err
	}
	limit = min(max(limit, 1), MaxFeedPage)
	page, err := f.news.ListByID(ctx, afterID, limit)
	if err != nil {
		return nil, 0, err
	}
	for _, p := range page {
		out = append(out, feedPost(p))
	}
	if len(page) == limit {
		next = page[len(page)-1].ID
	}
	return out, next, nil
}
