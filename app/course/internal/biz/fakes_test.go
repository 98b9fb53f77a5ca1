package biz

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vanguard/vanguard/pkg/auth"
	"github.com/vanguard/vanguard/pkg/blob"
	"github.com/vanguard/vanguard/pkg/clock"
)

// testT0 is the fake clock's start: a Monday in February 2025, in UTC.
var testT0 = time.Date(2025, 2, 10, 9, 0, 0, 0, time.UTC)

// testBlobBase is the local store's BaseURL; tests never dial it, they call Handler directly.
const testBlobBase = "http://127.0.0.1:1/blob"

// fakeState is everything the in-memory repos hold. The fake transaction copies it wholesale so
// a failed InTx leaves no trace, like a rolled-back database transaction.
type fakeState struct {
	Topics      map[int64]*Topic
	Courses     map[int64]*Course // Chapters always nil here
	Chapters    map[int64]*Chapter
	Lessons     map[int64]*Lesson
	Assignments map[int64]*Assignment
	Uploads     map[int64]*Upload
	Plans       map[int64]*StudyPlan
	News        map[int64]*NewsPost
	// Events are the committed domain events, in order.
	Events []DomainEvent
	// Garbage are the recorded orphaned media keys, oldest first.
	Garbage []string
	NextID  int64
}

func (s *fakeState) clone() *fakeState {
	c := &fakeState{
		Topics:      map[int64]*Topic{},
		Courses:     map[int64]*Course{},
		Chapters:    map[int64]*Chapter{},
		Lessons:     map[int64]*Lesson{},
		Assignments: map[int64]*Assignment{},
		Uploads:     map[int64]*Upload{},
		Plans:       map[int64]*StudyPlan{},
		News:        map[int64]*NewsPost{},
		Events:      slices.Clone(s.Events),
		Garbage:     slices.Clone(s.Garbage),
		NextID:      s.NextID,
	}
	for id, v := range s.Topics {
		x := *v
		c.Topics[id] = &x
	}
	for id, v := range s.Courses {
		c.Courses[id] = cloneCourse(v)
	}
	for id, v := range s.Chapters {
		c.Chapters[id] = cloneChapter(v)
	}
	for id, v := range s.Lessons {
		c.Lessons[id] = cloneLesson(v)
	}
	for id, v := range s.Assignments {
		x := *v
		c.Assignments[id] = &x
	}
	for id, v := range s.Uploads {
		x := *v
		c.Uploads[id] = &x
	}
	for id, v := range s.Plans {
		c.Plans[id] = clonePlan(v)
	}
	for id, v := range s.News {
		x := *v
		c.News[id] = &x
	}
	return c
}

func cloneCourse(c *Course) *Course {
	x := *c
	x.Tags = slices.Clone(c.Tags)
	if c.PublishedAt != nil {
		t := *c.PublishedAt
		x.PublishedAt = &t
	}
	x.Chapters = nil
	return &x
}

func cloneChapter(ch *Chapter) *Chapter { x := *ch; x.Lessons = nil; return &x }

func cloneLesson(l *Lesson) *Lesson { x := *l; return &x }

func clonePlan(p *StudyPlan) *StudyPlan {
	x := *p
	x.Items = nil
	for _, it := range p.Items {
		y := *it
		y.CourseIDs = slices.Clone(it.CourseIDs)
		x.Items = append(x.Items, &y)
	}
	return &x
}

// fakeDB is the shared store behind all fake repos.
type fakeDB struct {
	mu    sync.Mutex
	st    *fakeState
	clock clock.Clock
}

func newFakeDB(clk clock.Clock) *fakeDB { return &fakeDB{clock: clk, st: (&fakeState{}).clone()} }

func (db *fakeDB) nextID() int64 { db.st.NextID++; return db.st.NextID }

// snapshot returns a deep copy of the current state, for before/after comparisons.
func (db *fakeDB) snapshot() *fakeState {
	db.mu.Lock()
	defer db.mu.Unlock()
	return db.st.clone()
}

func (db *fakeDB) lesson(id int64) *Lesson {
	db.mu.Lock()
	defer db.mu.Unlock()
	if l := db.st.Lessons[id]; l != nil {
		return cloneLesson(l)
	}
	return nil
}

func (db *fakeDB) course(id int64) *Course {
	db.mu.Lock()
	defer db.mu.Unlock()
	if c := db.st.Courses[id]; c != nil {
		return cloneCourse(c)
	}
	return nil
}

func (db *fakeDB) upload(id int64) *Upload {
	db.mu.Lock()
	defer db.mu.Unlock()
	if u := db.st.Uploads[id]; u != nil {
		x := *u
		return &x
	}
	return nil
}

func (db *fakeDB) assignmentsOf(courseID int64) []Assignment {
	db.mu.Lock()
	defer db.mu.Unlock()
	var out []Assignment
	for _, a := range db.st.Assignments {
		if a.CourseID == courseID {
			out = append(out, *a)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

func notFound(what string, id int64, sentinel error) error {
	return fmt.Errorf("fake: %s %d: %w", what, id, sentinel)
}

// ---- Transaction ----

type fakeTxKey struct{}

// fakeTx is transactional: the outermost InTx snapshots the state and restores it if fn fails.
// Nested calls join the outer transaction.
type fakeTx struct{ db *fakeDB }

var _ Transaction = fakeTx{}

func (tx fakeTx) InTx(ctx context.Context, fn func(ctx context.Context) error) error {
	if ctx.Value(fakeTxKey{}) != nil {
		return fn(ctx)
	}
	before := tx.db.snapshot()
	if err := fn(context.WithValue(ctx, fakeTxKey{}, true)); err != nil {
		tx.db.mu.Lock()
		tx.db.st = before
		tx.db.mu.Unlock()
		return err
	}
	return nil
}

// ---- CourseRepo ----

type fakeCourseRepo struct{ db *fakeDB }

var _ CourseRepo = fakeCourseRepo{}

func (r fakeCourseRepo) CreateTopic(_ context.Context, t *Topic) (*Topic, error) {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	for _, o := range r.db.st.Topics {
		if o.Name == t.Name { // the ent schema's unique index
			return nil, fmt.Errorf("fake: topic %q: %w", t.Name, ErrAlreadyExists)
		}
	}
	x := *t
	x.ID = r.db.nextID()
	r.db.st.Topics[x.ID] = &x
	out := x
	return &out, nil
}

func (r fakeCourseRepo) ListTopics(context.Context) ([]*Topic, error) {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	var out []*Topic
	for _, t := range r.db.st.Topics {
		x := *t
		out = append(out, &x)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Position != out[j].Position {
			return out[i].Position < out[j].Position
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

func (r fakeCourseRepo) UpdateTopic(_ context.Context, t *Topic) (*Topic, error) {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	cur := r.db.st.Topics[t.ID]
	if cur == nil {
		return nil, ErrTopicNotFound
	}
	for _, o := range r.db.st.Topics {
		if o.ID != t.ID && o.Name == t.Name {
			return nil, fmt.Errorf("fake: topic %q: %w", t.Name, ErrAlreadyExists)
		}
	}
	cur.Name, cur.Position = t.Name, t.Position
	out := *cur
	return &out, nil
}

func (r fakeCourseRepo) DeleteTopic(_ context.Context, id int64) error {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	if r.db.st.Topics[id] == nil {
		return ErrTopicNotFound
	}
	for _, c := range r.db.st.Courses {
		if c.TopicID == id {
			return ErrTopicInUse
		}
	}
	delete(r.db.st.Topics, id)
	return nil
}

func (r fakeCourseRepo) TopicExists(_ context.Context, id int64) (bool, error) {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	return r.db.st.Topics[id] != nil, nil
}

func (r fakeCourseRepo) CreateCourse(_ context.Context, c *Course) (*Course, error) {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	x := cloneCourse(c)
	x.ID = r.db.nextID()
	x.CreatedAt, x.UpdatedAt = r.db.clock.Now(), r.db.clock.Now()
	x.PublishedAt = nil // like the ent repository: publication time comes with UpdateCourse
	r.db.st.Courses[x.ID] = x
	return cloneCourse(x), nil
}

func (r fakeCourseRepo) GetCourse(_ context.Context, id int64, structure bool) (*Course, error) {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	c := r.db.st.Courses[id]
	if c == nil {
		return nil, notFound("course", id, ErrCourseNotFound)
	}
	out := cloneCourse(c)
	if !structure {
		return out, nil
	}
	byID := map[int64]*Chapter{}
	for _, ch := range r.db.st.Chapters {
		if ch.CourseID == id {
			x := cloneChapter(ch)
			byID[x.ID] = x
			out.Chapters = append(out.Chapters, x)
		}
	}
	sort.Slice(out.Chapters, func(i, j int) bool { return out.Chapters[i].Position < out.Chapters[j].Position })
	for _, l := range r.db.st.Lessons {
		if ch := byID[l.ChapterID]; ch != nil {
			ch.Lessons = append(ch.Lessons, cloneLesson(l))
		}
	}
	for _, ch := range out.Chapters {
		sort.Slice(ch.Lessons, func(i, j int) bool { return ch.Lessons[i].Position < ch.Lessons[j].Position })
	}
	return out, nil
}

func (r fakeCourseRepo) GetCourses(_ context.Context, ids []int64) ([]*Course, error) {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	var out []*Course
	for _, id := range dedupeIDs(ids) {
		if c := r.db.st.Courses[id]; c != nil {
			out = append(out, cloneCourse(c))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

func (r fakeCourseRepo) UpdateCourse(_ context.Context, id int64, p CoursePatch) (*Course, error) {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	c := r.db.st.Courses[id]
	if c == nil {
		return nil, notFound("course", id, ErrCourseNotFound)
	}
	c = cloneCourse(c)
	if p.Title != nil {
		c.Title = *p.Title
	}
	if p.Summary != nil {
		c.Summary = *p.Summary
	}
	if p.CoverURL != nil {
		c.CoverURL = *p.CoverURL
	}
	if p.TopicID != nil {
		c.TopicID = *p.TopicID
	}
	if p.Tags != nil {
		c.Tags = slices.Clone(*p.Tags)
	}
	if p.CreditHours != nil {
		c.CreditHours = *p.CreditHours
	}
	if p.Status != nil {
		c.Status = *p.Status
	}
	if p.PublishedAt != nil {
		t := *p.PublishedAt
		c.PublishedAt = &t
	}
	c.UpdatedAt = r.db.clock.Now()
	r.db.st.Courses[id] = c
	return cloneCourse(c), nil
}

func (r fakeCourseRepo) DeleteCourse(_ context.Context, id int64) error {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	if r.db.st.Courses[id] == nil {
		return notFound("course", id, ErrCourseNotFound)
	}
	delete(r.db.st.Courses, id)
	for cid, ch := range r.db.st.Chapters {
		if ch.CourseID == id {
			delete(r.db.st.Chapters, cid)
		}
	}
	for lid, l := range r.db.st.Lessons {
		if l.CourseID == id {
			r.deleteUploadsOf(lid)
			delete(r.db.st.Lessons, lid)
		}
	}
	// Assignments stay, as in the ent repository (biz deletes only drafts, never assigned).
	return nil
}

func (r fakeCourseRepo) deleteUploadsOf(lessonID int64) {
	for uid, u := range r.db.st.Uploads {
		if u.LessonID == lessonID {
			delete(r.db.st.Uploads, uid)
		}
	}
}

func (r fakeCourseRepo) ListCourses(_ context.Context, f CourseFilter) ([]*Course, error) {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	var all []*Course
	for _, c := range r.db.st.Courses {
		if f.PathPrefix != "" && !strings.HasPrefix(c.OrgPath, f.PathPrefix) && (f.OrOwnerID == 0 || c.OwnerID != f.OrOwnerID) {
			continue
		}
		if (f.Status != "" && c.Status != f.Status) || (f.TopicID != 0 && c.TopicID != f.TopicID) ||
			(f.Query != "" && !strings.Contains(c.Title, f.Query)) || c.ID <= f.AfterID {
			continue
		}
		all = append(all, cloneCourse(c))
	}
	sort.Slice(all, func(i, j int) bool { return all[i].ID < all[j].ID })
	if f.Limit > 0 && len(all) > f.Limit {
		all = all[:f.Limit]
	}
	return all, nil
}

// fakeInsertPosition mirrors the data layer: 0 or past the end appends.
func fakeInsertPosition(count, want int) int {
	if want <= 0 || want > count+1 {
		return count + 1
	}
	return want
}

// fakeReorder moves id to position (1-based, clamped) among ids ordered by position and
// renumbers them 1..n through set.
func fakeReorder(ids []int64, id int64, position int, set func(id int64, pos int)) {
	rest := make([]int64, 0, len(ids))
	for _, x := range ids {
		if x != id {
			rest = append(rest, x)
		}
	}
	position = max(1, min(position, len(rest)+1))
	ordered := slices.Concat(rest[:position-1], []int64{id}, rest[position-1:])
	for i, x := range ordered {
		set(x, i+1)
	}
}

func (r fakeCourseRepo) chaptersOf(courseID int64) []*Chapter {
	var out []*Chapter
	for _, ch := range r.db.st.Chapters {
		if ch.CourseID == courseID {
			out = append(out, ch)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Position < out[j].Position })
	return out
}

func (r fakeCourseRepo) lessonsOf(chapterID int64) []*Lesson {
	var out []*Lesson
	for _, l := range r.db.st.Lessons {
		if l.ChapterID == chapterID {
			out = append(out, l)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Position < out[j].Position })
	return out
}

func (r fakeCourseRepo) CreateChapter(_ context.Context, ch *Chapter) (*Chapter, error) {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	// Like the ent repository, no check that the course exists: biz loads it first.
	siblings := r.chaptersOf(ch.CourseID)
	pos := fakeInsertPosition(len(siblings), ch.Position)
	for _, s := range siblings {
		if s.Position >= pos {
			s.Position++
		}
	}
	x := cloneChapter(ch)
	x.ID, x.Position = r.db.nextID(), pos
	r.db.st.Chapters[x.ID] = x
	return cloneChapter(x), nil
}

func (r fakeCourseRepo) GetChapter(_ context.Context, id int64) (*Chapter, error) {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	ch := r.db.st.Chapters[id]
	if ch == nil {
		return nil, notFound("chapter", id, ErrCourseNotFound)
	}
	return cloneChapter(ch), nil
}

func (r fakeCourseRepo) UpdateChapter(_ context.Context, id int64, title *string, position *int) (*Chapter, error) {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	ch := r.db.st.Chapters[id]
	if ch == nil {
		return nil, notFound("chapter", id, ErrCourseNotFound)
	}
	if title != nil {
		ch.Title = *title
	}
	if position != nil && *position != ch.Position {
		var ids []int64
		for _, s := range r.chaptersOf(ch.CourseID) {
			ids = append(ids, s.ID)
		}
		fakeReorder(ids, id, *position, func(sid int64, pos int) { r.db.st.Chapters[sid].Position = pos })
	}
	return cloneChapter(ch), nil
}

func (r fakeCourseRepo) DeleteChapter(_ context.Context, id int64) error {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	ch := r.db.st.Chapters[id]
	if ch == nil {
		return notFound("chapter", id, ErrCourseNotFound)
	}
	// The lessons' uploads stay, as in the ent repository (unlike DeleteLesson and DeleteCourse).
	for lid, l := range r.db.st.Lessons {
		if l.ChapterID == id {
			delete(r.db.st.Lessons, lid)
		}
	}
	delete(r.db.st.Chapters, id)
	for _, s := range r.chaptersOf(ch.CourseID) {
		if s.Position > ch.Position {
			s.Position--
		}
	}
	return nil
}

func (r fakeCourseRepo) CreateLesson(_ context.Context, l *Lesson) (*Lesson, error) {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	// Like the ent repository, no check that the chapter exists (biz loads it first), and only
	// these fields are stored: media facts come with UpdateLesson.
	siblings := r.lessonsOf(l.ChapterID)
	pos := fakeInsertPosition(len(siblings), l.Position)
	for _, s := range siblings {
		if s.Position >= pos {
			s.Position++
		}
	}
	x := &Lesson{ID: r.db.nextID(), ChapterID: l.ChapterID, CourseID: l.CourseID, Title: l.Title, Kind: l.Kind, Position: pos,
		BodyHTML: l.BodyHTML, MediaStatus: l.MediaStatus}
	r.db.st.Lessons[x.ID] = x
	return cloneLesson(x), nil
}

func (r fakeCourseRepo) GetLesson(_ context.Context, id int64) (*Lesson, error) {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	l := r.db.st.Lessons[id]
	if l == nil {
		return nil, notFound("lesson", id, ErrCourseNotFound)
	}
	return cloneLesson(l), nil
}

func (r fakeCourseRepo) UpdateLesson(_ context.Context, id int64, p LessonPatch) (*Lesson, error) {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	l := r.db.st.Lessons[id]
	if l == nil {
		return nil, notFound("lesson", id, ErrCourseNotFound)
	}
	if p.IfProcessingKey != nil && (l.MediaKey != *p.IfProcessingKey || l.MediaStatus != MediaProcessing) {
		return nil, ErrMediaChanged
	}
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	set(&l.Title, p.Title)
	set(&l.BodyHTML, p.BodyHTML)
	set(&l.MediaError, p.MediaError)
	set(&l.MediaKey, p.MediaKey)
	set(&l.MediaContentType, p.MediaContentType)
	if p.MediaStatus != nil {
		l.MediaStatus = *p.MediaStatus
	}
	if p.MediaSize != nil {
		l.MediaSize = *p.MediaSize
	}
	if p.DurationSeconds != nil {
		l.DurationSeconds = *p.DurationSeconds
	}
	if p.PageCount != nil {
		l.PageCount = *p.PageCount
	}
	if p.ChapterID != nil && *p.ChapterID != l.ChapterID {
		for _, s := range r.lessonsOf(l.ChapterID) {
			if s.Position > l.Position {
				s.Position--
			}
		}
		var ids []int64
		for _, s := range r.lessonsOf(*p.ChapterID) {
			ids = append(ids, s.ID)
		}
		pos := len(ids) + 1
		if p.Position != nil {
			pos = *p.Position
		}
		l.ChapterID = *p.ChapterID
		fakeReorder(append(ids, id), id, pos, func(sid int64, pos int) { r.db.st.Lessons[sid].Position = pos })
	} else if p.Position != nil && *p.Position != l.Position {
		var ids []int64
		for _, s := range r.lessonsOf(l.ChapterID) {
			ids = append(ids, s.ID)
		}
		fakeReorder(ids, id, *p.Position, func(sid int64, pos int) { r.db.st.Lessons[sid].Position = pos })
	}
	return cloneLesson(l), nil
}

func (r fakeCourseRepo) DeleteLesson(_ context.Context, id int64) error {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	l := r.db.st.Lessons[id]
	if l == nil {
		return notFound("lesson", id, ErrCourseNotFound)
	}
	r.deleteUploadsOf(id)
	delete(r.db.st.Lessons, id)
	for _, s := range r.lessonsOf(l.ChapterID) {
		if s.Position > l.Position {
			s.Position--
		}
	}
	return nil
}

func (r fakeCourseRepo) LessonsByMediaStatus(_ context.Context, s MediaStatus, limit int) ([]*Lesson, error) {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	var out []*Lesson
	for _, l := range r.db.st.Lessons {
		if l.MediaStatus == s {
			out = append(out, cloneLesson(l))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

func (r fakeCourseRepo) MediaKeys(_ context.Context, courseID int64) ([]string, error) {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	var out []string
	for _, l := range r.db.st.Lessons {
		if l.CourseID == courseID && l.MediaKey != "" {
			out = append(out, l.MediaKey)
		}
	}
	sort.Strings(out)
	return out, nil
}

// AddGarbage appends keys not yet recorded.
func (r fakeCourseRepo) AddGarbage(_ context.Context, keys []string) error {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	for _, k := range keys {
		if k != "" && !slices.Contains(r.db.st.Garbage, k) {
			r.db.st.Garbage = append(r.db.st.Garbage, k)
		}
	}
	return nil
}

// Garbage lists the oldest limit keys.
func (r fakeCourseRepo) Garbage(_ context.Context, limit int) ([]string, error) {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	return slices.Clone(r.db.st.Garbage[:min(limit, len(r.db.st.Garbage))]), nil
}

// DropGarbage forgets keys.
func (r fakeCourseRepo) DropGarbage(_ context.Context, keys []string) error {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	r.db.st.Garbage = slices.DeleteFunc(r.db.st.Garbage, func(k string) bool { return slices.Contains(keys, k) })
	return nil
}

// ---- AssignmentRepo ----

type fakeAssignmentRepo struct{ db *fakeDB }

var _ AssignmentRepo = fakeAssignmentRepo{}

func (r fakeAssignmentRepo) Upsert(_ context.Context, a *Assignment) (*Assignment, error) {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	for _, x := range r.db.st.Assignments {
		if x.CourseID == a.CourseID && x.OrgID == a.OrgID {
			x.Required, x.DueDate, x.AssignedBy, x.OrgPath = a.Required, a.DueDate, a.AssignedBy, a.OrgPath
			out := *x
			return &out, nil
		}
	}
	x := *a
	x.ID, x.CreatedAt = r.db.nextID(), r.db.clock.Now()
	r.db.st.Assignments[x.ID] = &x
	out := x
	return &out, nil
}

func (r fakeAssignmentRepo) Get(_ context.Context, id int64) (*Assignment, error) {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	a := r.db.st.Assignments[id]
	if a == nil {
		return nil, notFound("assignment", id, ErrCourseNotFound)
	}
	out := *a
	return &out, nil
}

func (r fakeAssignmentRepo) Delete(_ context.Context, id int64) error {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	if r.db.st.Assignments[id] == nil {
		return notFound("assignment", id, ErrCourseNotFound)
	}
	delete(r.db.st.Assignments, id)
	return nil
}

func (r fakeAssignmentRepo) list(keep func(*Assignment) bool) []*Assignment {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	var out []*Assignment
	for _, a := range r.db.st.Assignments {
		if keep(a) {
			x := *a
			out = append(out, &x)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

func (r fakeAssignmentRepo) ListByCourse(_ context.Context, courseID int64) ([]*Assignment, error) {
	return r.list(func(a *Assignment) bool { return a.CourseID == courseID }), nil
}

func (r fakeAssignmentRepo) ListForPaths(_ context.Context, paths []string) ([]*Assignment, error) {
	return r.list(func(a *Assignment) bool { return slices.Contains(paths, a.OrgPath) }), nil
}

func (r fakeAssignmentRepo) AppliesTo(_ context.Context, courseID int64, paths []string) (bool, error) {
	return len(r.list(func(a *Assignment) bool { return a.CourseID == courseID && slices.Contains(paths, a.OrgPath) })) > 0, nil
}

// ---- UploadRepo ----

type fakeUploadRepo struct{ db *fakeDB }

var _ UploadRepo = fakeUploadRepo{}

func (r fakeUploadRepo) Create(_ context.Context, u *Upload) (*Upload, error) {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	x := *u
	x.ID, x.CreatedAt = r.db.nextID(), r.db.clock.Now()
	x.Reason = "" // like the ent repository: reasons come with SetStatus
	r.db.st.Uploads[x.ID] = &x
	out := x
	return &out, nil
}

func (r fakeUploadRepo) Get(_ context.Context, id int64) (*Upload, error) {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	u := r.db.st.Uploads[id]
	if u == nil {
		return nil, notFound("upload", id, ErrUploadNotFound)
	}
	out := *u
	return &out, nil
}

func (r fakeUploadRepo) SetStatus(_ context.Context, id int64, status, reason string) error {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	u := r.db.st.Uploads[id]
	if u == nil {
		return notFound("upload", id, ErrUploadNotFound)
	}
	u.Status, u.Reason = status, reason
	return nil
}

func (r fakeUploadRepo) Expired(_ context.Context, now time.Time, limit int) ([]*Upload, error) {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	var out []*Upload
	for _, u := range r.db.st.Uploads {
		if u.Status == "pending" && u.ExpiresAt.Before(now) {
			x := *u
			out = append(out, &x)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// ---- PlanRepo ----

type fakePlanRepo struct{ db *fakeDB }

var _ PlanRepo = fakePlanRepo{}

func (r fakePlanRepo) Create(_ context.Context, p *StudyPlan) (*StudyPlan, error) {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	x := clonePlan(p)
	x.ID = r.db.nextID()
	for _, it := range x.Items {
		it.ID, it.PlanID = r.db.nextID(), x.ID
	}
	r.db.st.Plans[x.ID] = x
	return clonePlan(x), nil
}

func sortItems(x *StudyPlan) *StudyPlan {
	// Items by start date, then id, as the ent repository lists them.
	sort.Slice(x.Items, func(i, j int) bool {
		if x.Items[i].StartsOn != x.Items[j].StartsOn {
			return x.Items[i].StartsOn < x.Items[j].StartsOn
		}
		return x.Items[i].ID < x.Items[j].ID
	})
	return x
}

func (r fakePlanRepo) Get(_ context.Context, id int64) (*StudyPlan, error) {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	p, ok := r.db.st.Plans[id]
	if !ok {
		return nil, ErrPlanNotFound
	}
	return sortItems(clonePlan(p)), nil
}

func (r fakePlanRepo) Update(_ context.Context, p *StudyPlan) (*StudyPlan, error) {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	old, ok := r.db.st.Plans[p.ID]
	if !ok {
		return nil, ErrPlanNotFound
	}
	x := clonePlan(p)
	x.OrgID, x.OrgPath, x.CreatedBy = old.OrgID, old.OrgPath, old.CreatedBy
	for _, it := range x.Items {
		if it.ID == 0 {
			it.ID = r.db.nextID()
		} else if !slices.ContainsFunc(old.Items, func(o *PlanItem) bool { return o.ID == it.ID }) {
			return nil, ErrPlanNotFound
		}
		it.PlanID = x.ID
	}
	r.db.st.Plans[x.ID] = x
	return sortItems(clonePlan(x)), nil
}

func (r fakePlanRepo) Delete(_ context.Context, id int64) error {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	if _, ok := r.db.st.Plans[id]; !ok {
		return ErrPlanNotFound
	}
	delete(r.db.st.Plans, id)
	return nil
}

func (r fakePlanRepo) List(_ context.Context, orgPaths []string, year int) ([]*StudyPlan, error) {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	var out []*StudyPlan
	for _, p := range r.db.st.Plans {
		if slices.Contains(orgPaths, p.OrgPath) && (year == 0 || p.Year == year) {
			out = append(out, sortItems(clonePlan(p)))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// ---- NewsRepo ----

type fakeNewsRepo struct{ db *fakeDB }

var _ NewsRepo = fakeNewsRepo{}

func (r fakeNewsRepo) Create(_ context.Context, p *NewsPost) (*NewsPost, error) {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	x := *p
	x.ID = r.db.nextID()
	x.PublishAt = p.PublishAt.UTC().Truncate(time.Second)
	x.CreatedAt, x.UpdatedAt = r.db.clock.Now(), r.db.clock.Now()
	r.db.st.News[x.ID] = &x
	out := x
	return &out, nil
}

func (r fakeNewsRepo) Get(_ context.Context, id int64) (*NewsPost, error) {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	n, ok := r.db.st.News[id]
	if !ok {
		return nil, ErrNewsNotFound
	}
	x := *n
	return &x, nil
}

func (r fakeNewsRepo) Update(_ context.Context, p *NewsPost) (*NewsPost, error) {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	n, ok := r.db.st.News[p.ID]
	if !ok {
		return nil, ErrNewsNotFound
	}
	n.Title, n.CoverURL, n.BodyHTML, n.Excerpt, n.Pinned = p.Title, p.CoverURL, p.BodyHTML, p.Excerpt, p.Pinned
	n.PublishAt, n.UpdatedAt = p.PublishAt.UTC().Truncate(time.Second), r.db.clock.Now()
	x := *n
	return &x, nil
}

func (r fakeNewsRepo) Delete(_ context.Context, id int64) error {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	if _, ok := r.db.st.News[id]; !ok {
		return ErrNewsNotFound
	}
	delete(r.db.st.News, id)
	return nil
}

// newsBefore reports whether a comes before b in feed order: pinned first, then newest publish
// time, then highest id.
func newsBefore(aPinned bool, aAt time.Time, aID int64, bPinned bool, bAt time.Time, bID int64) bool {
	if aPinned != bPinned {
		return aPinned
	}
	if !aAt.Equal(bAt) {
		return aAt.After(bAt)
	}
	return aID > bID
}

func (r fakeNewsRepo) ListByID(_ context.Context, afterID int64, limit int) ([]*NewsPost, error) {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	var out []*NewsPost
	for _, n := range r.db.st.News {
		if n.ID > afterID {
			x := *n
			out = append(out, &x)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

func (r fakeNewsRepo) List(_ context.Context, f NewsFilter) ([]*NewsPost, error) {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	var out []*NewsPost
	for _, n := range r.db.st.News {
		switch {
		case len(f.Paths) > 0 && !slices.Contains(f.Paths, n.OrgPath):
			continue
		case len(f.Paths) == 0 && (f.Under == "" || !strings.HasPrefix(n.OrgPath, f.Under)):
			continue
		case !f.PublishedBy.IsZero() && n.PublishAt.After(f.PublishedBy.UTC().Truncate(time.Second)):
			continue
		case f.After != nil && !newsBefore(f.After.Pinned, f.After.PublishAt.UTC().Truncate(time.Second), f.After.ID, n.Pinned, n.PublishAt, n.ID):
			continue
		}
		x := *n
		if !f.WithBody {
			x.BodyHTML = ""
		}
		out = append(out, &x)
	}
	sort.Slice(out, func(i, j int) bool {
		return newsBefore(out[i].Pinned, out[i].PublishAt, out[i].ID, out[j].Pinned, out[j].PublishAt, out[j].ID)
	})
	if len(out) > f.Limit {
		out = out[:f.Limit]
	}
	return out, nil
}

// ---- OrgDirectory ----

// fakeOrgs answers like the org service over gRPC as the caller: admins see every org; others
// see their org's ancestry, and staff and trainers their subtree too; anything else is
// ErrOrgNotFound.
type fakeOrgs struct{ byID map[int64]*OrgInfo }

var _ OrgDirectory = fakeOrgs{}

func (o fakeOrgs) GetOrg(ctx context.Context, id int64) (*OrgInfo, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	org := o.byID[id]
	if org == nil {
		return nil, ErrOrgNotFound
	}
	visible := p.IsAdmin() || p.InAncestry(org.Path) ||
		((p.HasRole(auth.RoleStaff) || p.HasRole(auth.RoleTrainer)) && p.InSubtree(org.Path))
	if !visible {
		return nil, ErrOrgNotFound
	}
	out := *org
	return &out, nil
}

// ---- TaskQueue ----

type probeCall struct {
	LessonID int64
	MediaKey string
}

// fakeQueue records EnqueueProbe calls; err, when set, makes them fail.
type fakeQueue struct {
	mu    sync.Mutex
	calls []probeCall
	err   error
}

var _ TaskQueue = (*fakeQueue)(nil)

func (q *fakeQueue) EnqueueProbe(_ context.Context, lessonID int64, mediaKey string) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.err != nil {
		return q.err
	}
	q.calls = append(q.calls, probeCall{lessonID, mediaKey})
	return nil
}

func (q *fakeQueue) probes() []probeCall {
	q.mu.Lock()
	defer q.mu.Unlock()
	return slices.Clone(q.calls)
}

func (q *fakeQueue) reset() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.calls = nil
}

// ---- a store that can be told to fail ----

var errStoreDown = errors.New("fake: object store unavailable")

// flakyStore wraps the real local store; with failGetRange set, every GetRange fails as a store
// that stopped answering would.
type flakyStore struct {
	blob.Store
	mu           sync.Mutex
	failGetRange bool
	getRanges    int
}

func (s *flakyStore) GetRange(ctx context.Context, key string, offset, length int64) (io.ReadCloser, error) {
	s.mu.Lock()
	fail := s.failGetRange
	s.getRanges++
	s.mu.Unlock()
	if fail {
		return nil, errStoreDown
	}
	return s.Store.GetRange(ctx, key, offset, length)
}

func (s *flakyStore) setFailGetRange(v bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failGetRange = v
}

// ---- environment ----

// Org tree: ROOT /1/ → G /1/2/ → A /1/2/3/, and ROOT → B /1/4/.
var testOrgs = map[string]*OrgInfo{
	"ROOT": {ID: 1, Path: "/1/", Name: "党委"},
	"G":    {ID: 2, Path: "/1/2/", Name: "总支"},
	"A":    {ID: 3, Path: "/1/2/3/", Name: "第一支部"},
	"B":    {ID: 4, Path: "/1/4/", Name: "第二支部"},
}

// testPrincipals are the callers of the tests, by name. "owner" is the trainer who owns the
// seeded courses unless a test says otherwise.
var testPrincipals = map[string]struct {
	id   int64
	org  string
	role string
}{
	"admin":     {1, "ROOT", auth.RoleAdmin},
	"owner":     {10, "A", auth.RoleTrainer},
	"trainerA2": {11, "A", auth.RoleTrainer},
	"trainerG":  {12, "G", auth.RoleTrainer},
	"trainerB":  {13, "B", auth.RoleTrainer},
	"staffA":    {20, "A", auth.RoleStaff},
	"staffG":    {21, "G", auth.RoleStaff},
	"staffB":    {22, "B", auth.RoleStaff},
	"memberA":   {30, "A", auth.RoleMember},
	"memberB":   {31, "B", auth.RoleMember},
	"memberG":   {32, "G", auth.RoleMember},
	"exOwner":   {10, "A", auth.RoleMember}, // the owner after losing the trainer role
}

type testEnv struct {
	t       *testing.T
	db      *fakeDB
	clk     *clock.Fake
	local   *blob.Local
	store   *flakyStore
	root    string
	queue   *fakeQueue
	cfg     MediaConfig
	courses *CourseUsecase
	media   *MediaUsecase
	plans   *PlanUsecase
}

// newTestEnv wires the usecases over fresh fakes and a real local store in a temporary
// directory. mutate adjusts the media config before wiring.
func newTestEnv(t *testing.T, mutate ...func(*MediaConfig)) *testEnv {
	t.Helper()
	clk := clock.NewFake(testT0)
	db := newFakeDB(clk)
	root := t.TempDir()
	local, err := blob.NewLocal(blob.LocalConfig{
		Root: root, BaseURL: testBlobBase, SigningKey: bytes.Repeat([]byte("k"), 32), Clock: clk,
	})
	if err != nil {
		t.Fatal(err)
	}
	cfg := MediaConfig{PartSize: 5 << 20}
	for _, m := range mutate {
		m(&cfg)
	}
	orgs := fakeOrgs{byID: map[int64]*OrgInfo{}}
	for _, o := range testOrgs {
		orgs.byID[o.ID] = o
	}
	store := &flakyStore{Store: local}
	queue := &fakeQueue{}
	repo, tx := fakeCourseRepo{db}, fakeTx{db}
	courses := NewCourseUsecase(repo, fakeAssignmentRepo{db}, orgs, fakePublisher{db}, store, tx, clk)
	e := &testEnv{
		t: t, db: db, clk: clk, local: local, store: store, root: root, queue: queue, cfg: cfg,
		courses: courses,
		media:   NewMediaUsecase(cfg, courses, repo, fakeUploadRepo{db}, store, queue, tx),
		plans:   NewPlanUsecase(fakePlanRepo{db}, repo, orgs, clk),
	}
	e.cfg.defaults()
	return e
}

func principal(name string) *auth.Principal {
	tp, ok := testPrincipals[name]
	if !ok {
		panic("unknown principal " + name)
	}
	org := testOrgs[tp.org]
	return &auth.Principal{UserID: tp.id, Username: name, Roles: []string{tp.role}, OrgID: org.ID, OrgPath: org.Path}
}

// as returns a context carrying the named principal.
func (e *testEnv) as(name string) context.Context {
	return auth.NewContext(context.Background(), principal(name))
}

// ---- seeding (straight into the fake DB, bypassing the usecases) ----

func (e *testEnv) seedCourse(title, org, owner string, status Status) *Course {
	e.t.Helper()
	e.db.mu.Lock()
	defer e.db.mu.Unlock()
	o := testOrgs[org]
	c := &Course{
		ID: e.db.nextID(), Title: title, OwnerID: testPrincipals[owner].id, OrgID: o.ID, OrgPath: o.Path,
		Status: status, CreditHours: 1, CreatedAt: e.clk.Now(), UpdatedAt: e.clk.Now(),
	}
	if status != StatusDraft {
		t := e.clk.Now().Add(-time.Hour)
		c.PublishedAt = &t
	}
	e.db.st.Courses[c.ID] = c
	return cloneCourse(c)
}

func (e *testEnv) seedChapter(courseID int64, title string) *Chapter {
	e.t.Helper()
	ch, err := fakeCourseRepo{e.db}.CreateChapter(context.Background(), &Chapter{CourseID: courseID, Title: title})
	if err != nil {
		e.t.Fatal(err)
	}
	return ch
}

// seedLesson adds a lesson at the end of a chapter; mutate may set media fields.
func (e *testEnv) seedLesson(chapterID int64, title string, kind Kind, mutate func(*Lesson)) *Lesson {
	e.t.Helper()
	repo := fakeCourseRepo{e.db}
	ch, err := repo.GetChapter(context.Background(), chapterID)
	if err != nil {
		e.t.Fatal(err)
	}
	l := &Lesson{ChapterID: chapterID, CourseID: ch.CourseID, Title: title, Kind: kind, MediaStatus: MediaNone}
	if kind == KindArticle {
		l.BodyHTML = "<p>正文</p>"
	}
	if mutate != nil {
		mutate(l)
	}
	out, err := repo.CreateLesson(context.Background(), l)
	if err != nil {
		e.t.Fatal(err)
	}
	// CreateLesson takes no media facts (like the ent repository); they come with UpdateLesson.
	if l.MediaError != "" || l.MediaKey != "" || l.MediaContentType != "" || l.MediaSize != 0 || l.DurationSeconds != 0 || l.PageCount != 0 {
		out, err = repo.UpdateLesson(context.Background(), out.ID, LessonPatch{MediaError: &l.MediaError, MediaKey: &l.MediaKey,
			MediaContentType: &l.MediaContentType, MediaSize: &l.MediaSize, DurationSeconds: &l.DurationSeconds, PageCount: &l.PageCount})
		if err != nil {
			e.t.Fatal(err)
		}
	}
	return out
}

func (e *testEnv) seedAssignment(courseID int64, org string, required bool, due string) *Assignment {
	e.t.Helper()
	o := testOrgs[org]
	a, err := fakeAssignmentRepo{e.db}.Upsert(context.Background(), &Assignment{
		CourseID: courseID, OrgID: o.ID, OrgPath: o.Path, Required: required, DueDate: due, AssignedBy: 1,
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return a
}

// seedMedia stores data in the object store under a fresh key for the lesson.
func (e *testEnv) seedMedia(lessonID int64, data []byte, contentType string) string {
	e.t.Helper()
	key := fmt.Sprintf("lessons/%d/seed%d/file", lessonID, e.clk.Now().UnixNano())
	if _, err := e.local.Put(context.Background(), key, bytes.NewReader(data), int64(len(data)), contentType); err != nil {
		e.t.Fatal(err)
	}
	return key
}

// ---- presigned URLs without a network ----

// do sends a request for a presigned URL straight to the store's handler.
func (e *testEnv) do(method, rawURL string, body []byte) *httptest.ResponseRecorder {
	e.t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		e.t.Fatal(err)
	}
	if !strings.HasPrefix(rawURL, testBlobBase+"/") {
		e.t.Fatalf("presigned URL %q is not under %s", rawURL, testBlobBase)
	}
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req := httptest.NewRequest(method, u.RequestURI(), r)
	rec := httptest.NewRecorder()
	e.local.Handler().ServeHTTP(rec, req)
	return rec
}

// putPart uploads one part through its presigned URL.
func (e *testEnv) putPart(partURL string, data []byte) {
	e.t.Helper()
	if rec := e.do(http.MethodPut, partURL, data); rec.Code != http.StatusOK {
		e.t.Fatalf("PUT part: %d %s", rec.Code, rec.Body.String())
	}
}

// uploadAll cuts data by the plan's part sizes and uploads every part.
func (e *testEnv) uploadAll(plan *UploadPlan, data []byte) {
	e.t.Helper()
	off := int64(0)
	for _, p := range plan.Parts {
		end := min(off+p.Size, int64(len(data)))
		e.putPart(p.URL, data[off:end])
		off = end
	}
}

// objectFiles lists the object keys the local store holds under prefix (its objects/ tree).
func (e *testEnv) objectFiles(prefix string) []string {
	e.t.Helper()
	var keys []string
	dir := filepath.Join(e.root, "objects")
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if k := filepath.ToSlash(rel); strings.HasPrefix(k, prefix) {
			keys = append(keys, k)
		}
		return nil
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return keys
}

// pendingStoreUploads lists the store's incomplete multipart uploads.
func (e *testEnv) pendingStoreUploads() []blob.Upload {
	e.t.Helper()
	ups, err := e.local.ListUploads(context.Background(), "", e.clk.Now().Add(time.Hour))
	if err != nil {
		e.t.Fatal(err)
	}
	return ups
}

// ---- error expectations ----

// wantErrKind checks err against an expected kind: nil, a sentinel, or the type of a pointer
// error (*PermissionError, *StateError, *FieldError, *RejectedError). A *FieldError with a Field
// also checks the field.
func wantErrKind(t *testing.T, err error, want any) {
	t.Helper()
	switch w := want.(type) {
	case nil:
		if err != nil {
			t.Fatalf("unexpected error: %v (%T)", err, err)
		}
	case *PermissionError:
		var pe *PermissionError
		if !errors.As(err, &pe) {
			t.Fatalf("error = %v (%T), want *PermissionError", err, err)
		}
	case *StateError:
		var se *StateError
		if !errors.As(err, &se) {
			t.Fatalf("error = %v (%T), want *StateError", err, err)
		}
	case *RejectedError:
		var re *RejectedError
		if !errors.As(err, &re) {
			t.Fatalf("error = %v (%T), want *RejectedError", err, err)
		}
	case *FieldError:
		var fe *FieldError
		if !errors.As(err, &fe) {
			t.Fatalf("error = %v (%T), want *FieldError", err, err)
		}
		if w.Field != "" && fe.Field != w.Field {
			t.Fatalf("FieldError.Field = %q, want %q (reason %q)", fe.Field, w.Field, fe.Reason)
		}
	case error:
		if !errors.Is(err, w) {
			t.Fatalf("error = %v (%T), want %v", err, err, w)
		}
	default:
		t.Fatalf("bad want %T", want)
	}
}

func ptr[T any](v T) *T { return &v }

// fakePublisher writes events into the transactional fake state, like the outbox.
type fakePublisher struct{ db *fakeDB }

func (p fakePublisher) Publish(_ context.Context, ev DomainEvent) error {
	p.db.mu.Lock()
	defer p.db.mu.Unlock()
	p.db.st.Events = append(p.db.st.Events, ev)
	return nil
}

// events returns the committed domain events.
func (db *fakeDB) events() []DomainEvent {
	db.mu.Lock()
	defer db.mu.Unlock()
	return slices.Clone(db.st.Events)
}
