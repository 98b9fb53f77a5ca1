// Package biztest is the course repositories' contract suite: the behaviour the use cases of
// app/course/internal/biz rely on from CourseRepo (course.go), AssignmentRepo (assignment.go),
// UploadRepo (media.go), PlanRepo (plan.go), NewsRepo (news.go) and Transaction (biz.go), written once as tests that
// every implementation runs. The ent repositories run it on SQLite and PostgreSQL
// (app/course/internal/data, TestRepoContract) and the biz tests' in-memory fakes run it too
// (app/course/internal/biz/contract_test.go), so a fake cannot drift from the database the use
// cases meet in production.
//
// Where a doc comment leaves something open (the order of a list, what a create stores, what a
// delete takes with it), the suite pins what the ent repositories do and says so in the case's
// comment ("Pinned"); the fakes must do the same, and a change to either side changes the suite.
package biztest

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/vanguard/vanguard/app/course/internal/biz"
)

// Repos is one set of course repositories over one store.
type Repos struct {
	Courses     biz.CourseRepo
	Assignments biz.AssignmentRepo
	Uploads     biz.UploadRepo
	Plans       biz.PlanRepo
	News        biz.NewsRepo
	Tx          biz.Transaction
}

// RunRepoSuite runs the contract suite as parallel subtests named <interface>/<behaviour>. open
// is called once per subtest, possibly concurrently, and must return repos over a fresh, empty
// store (registering its clean-up on the t it is given).
func RunRepoSuite(t *testing.T, open func(t *testing.T) Repos) {
	t.Helper()
	groups := []struct {
		name  string
		cases []testCase
	}{
		{"CourseRepo", courseCases},
		{"CourseRepo", structureCases},
		{"UploadRepo", uploadCases},
		{"AssignmentRepo", assignmentCases},
		{"PlanRepo", planCases},
		{"NewsRepo", newsCases},
		{"Transaction", txCases},
	}
	for _, g := range groups {
		for _, c := range g.cases {
			t.Run(g.name+"/"+c.name, func(t *testing.T) {
				t.Parallel()
				c.run(&fx{T: t, ctx: t.Context(), r: open(t)})
			})
		}
	}
}

// testCase is one subtest of the suite.
type testCase struct {
	name string
	run  func(f *fx)
}

// fx is a subtest's fixture: its repos over a fresh store and a context.
type fx struct {
	*testing.T
	ctx context.Context
	r   Repos
}

// missing is an id no fresh store has used.
const missing int64 = 987_654_321

// t0 is the suite's reference time: whole seconds, in a zone other than UTC and Local, since
// stores keep instants (PostgreSQL to the microsecond) but not zones.
var t0 = time.Date(2026, 3, 2, 9, 30, 0, 0, time.FixedZone("CST", 8*3600))

// errBoom is the error the transaction cases make fn return.
var errBoom = errors.New("biztest: boom")

// cmpOpts compares stored values: instants (not zones) of times, nil and empty alike.
var cmpOpts = cmp.Options{
	cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) }),
	cmpopts.EquateEmpty(),
}

// ignoreStamps leaves out the timestamps a store sets itself (from its own clock).
var ignoreStamps = cmp.Options{
	cmpopts.IgnoreFields(biz.Course{}, "CreatedAt", "UpdatedAt"),
	cmpopts.IgnoreFields(biz.Upload{}, "CreatedAt"),
	cmpopts.IgnoreFields(biz.Assignment{}, "CreatedAt"),
}

// same reports a difference between want and got.
func (f *fx) same(what string, want, got any, opts ...cmp.Option) bool {
	f.Helper()
	if d := cmp.Diff(want, got, cmpOpts, cmp.Options(opts)); d != "" {
		f.Errorf("%s (-want +got):\n%s", what, d)
		return false
	}
	return true
}

// wantErr fails unless errors.Is(err, target).
func (f *fx) wantErr(what string, err, target error) {
	f.Helper()
	if !errors.Is(err, target) {
		f.Errorf("%s: error = %v, want %v", what, err, target)
	}
}

// noErr stops the subtest on an unexpected error.
func (f *fx) noErr(what string, err error) {
	f.Helper()
	if err != nil {
		f.Fatalf("%s: %v", what, err)
	}
}

// result is a repository call's value and error: res(repo.Get(ctx, id)).must(f, "Get").
type result[T any] struct {
	v   T
	err error
}

func res[T any](v T, err error) result[T] { return result[T]{v, err} }

// must returns the value, stopping the subtest if the call failed.
func (r result[T]) must(f *fx, what string) T {
	f.Helper()
	f.noErr(what, r.err)
	return r.v
}

// idsOf lists the ids of items in order.
func idsOf[T any](items []T, id func(T) int64) []int64 {
	out := make([]int64, len(items))
	for i, it := range items {
		out[i] = id(it)
	}
	return out
}

// sortedIDs lists the ids of items in ascending order, for lists whose order is not part of
// the contract.
func sortedIDs[T any](items []T, id func(T) int64) []int64 {
	out := idsOf(items, id)
	slices.Sort(out)
	return out
}

func courseID(c *biz.Course) int64         { return c.ID }
func lessonID(l *biz.Lesson) int64         { return l.ID }
func uploadID(u *biz.Upload) int64         { return u.ID }
func assignmentID(a *biz.Assignment) int64 { return a.ID }
func planID(p *biz.StudyPlan) int64        { return p.ID }

func ptr[T any](v T) *T { return &v }

// ---- fixtures ----

// course creates c, filling what it leaves empty: owner 10 of org 2 ("/1/2/"), a draft.
func (f *fx) course(c biz.Course) *biz.Course {
	f.Helper()
	if c.Title == "" {
		c.Title = "党课"
	}
	if c.OwnerID == 0 {
		c.OwnerID = 10
	}
	if c.OrgPath == "" {
		c.OrgID, c.OrgPath = 2, "/1/2/"
	}
	if c.Status == "" {
		c.Status = biz.StatusDraft
	}
	return res(f.r.Courses.CreateCourse(f.ctx, &c)).must(f, "CreateCourse")
}

// chapter creates a chapter of the course at pos (0: append).
func (f *fx) chapter(courseID int64, title string, pos int) *biz.Chapter {
	f.Helper()
	return res(f.r.Courses.CreateChapter(f.ctx, &biz.Chapter{CourseID: courseID, Title: title, Position: pos})).must(f, "CreateChapter")
}

// lesson creates a video lesson of the chapter at pos (0: append), as CourseUsecase does.
func (f *fx) lesson(ch *biz.Chapter, title string, pos int) *biz.Lesson {
	f.Helper()
	return res(f.r.Courses.CreateLesson(f.ctx, &biz.Lesson{ChapterID: ch.ID, CourseID: ch.CourseID, Title: title,
		Kind: biz.KindVideo, Position: pos, MediaStatus: biz.MediaNone})).must(f, "CreateLesson")
}

// media points a lesson at a media object in the given status.
func (f *fx) media(l *biz.Lesson, st biz.MediaStatus, key string) *biz.Lesson {
	f.Helper()
	return res(f.r.Courses.UpdateLesson(f.ctx, l.ID, biz.LessonPatch{MediaStatus: &st, MediaKey: &key})).must(f, "UpdateLesson(media)")
}

// outline is a course's structure as "chapter: lesson lesson…" lines, in order. It also checks
// what GetCourse promises of the structure: chapters of this course and lessons of their chapter
// and course, positioned 1..n in order.
func (f *fx) outline(courseID int64) []string {
	f.Helper()
	c := res(f.r.Courses.GetCourse(f.ctx, courseID, true)).must(f, "GetCourse(structure)")
	var out []string
	for i, ch := range c.Chapters {
		if ch.CourseID != courseID || ch.Position != i+1 {
			f.Errorf("chapter %q: course %d position %d, want course %d position %d", ch.Title, ch.CourseID, ch.Position, courseID, i+1)
		}
		line := ch.Title + ":"
		for j, l := range ch.Lessons {
			if l.ChapterID != ch.ID || l.CourseID != courseID || l.Position != j+1 {
				f.Errorf("lesson %q: chapter %d course %d position %d, want chapter %d course %d position %d",
					l.Title, l.ChapterID, l.CourseID, l.Position, ch.ID, courseID, j+1)
			}
			line += " " + l.Title
		}
		out = append(out, line)
	}
	return out
}

// upload creates a pending upload of the lesson expiring at expires.
func (f *fx) upload(lessonID int64, key string, expires time.Time) *biz.Upload {
	f.Helper()
	return res(f.r.Uploads.Create(f.ctx, &biz.Upload{LessonID: lessonID, CreatedBy: 10, ObjectKey: key, StoreUploadID: "store-" + key,
		FileName: "第一讲.mp4", Size: 20 << 20, DeclaredType: "video/mp4", PartSize: 16 << 20, PartCount: 2, Status: "pending",
		ExpiresAt: expires})).must(f, "Uploads.Create")
}

// assign upserts the assignment of a course to an org.
func (f *fx) assign(courseID, orgID int64, path string, required bool, due string) *biz.Assignment {
	f.Helper()
	return res(f.r.Assignments.Upsert(f.ctx, &biz.Assignment{CourseID: courseID, OrgID: orgID, OrgPath: path,
		Required: required, DueDate: due, AssignedBy: 1})).must(f, "Assignments.Upsert")
}
