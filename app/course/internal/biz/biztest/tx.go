package biztest

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/vanguard/vanguard/app/course/internal/biz"
)

var txCases = []testCase{
	{"RollbackOnError", testRollback},
	{"Commit", testCommit},
	{"ErrorPassesThrough", testTxErrorPassesThrough},
	{"Nested", testNested},
}

// txWorld is a store with something of everything, for the transaction cases.
type txWorld struct {
	base, doomed         *biz.Course
	one, two             *biz.Chapter
	lesson               *biz.Lesson
	upload               *biz.Upload
	assigned, unassigned *biz.Assignment
	plan                 *biz.StudyPlan
}

func (f *fx) txWorld() *txWorld {
	f.Helper()
	w := &txWorld{base: f.course(biz.Course{Title: "基础", Tags: []string{"a"}})}
	w.one, w.two = f.chapter(w.base.ID, "one", 0), f.chapter(w.base.ID, "two", 0)
	w.lesson = f.media(f.lesson(w.one, "l1", 0), biz.MediaProcessing, "lessons/l1")
	f.lesson(w.two, "l2", 0)
	w.upload = f.upload(w.lesson.ID, "lessons/l1", t0)
	w.doomed = f.course(biz.Course{Title: "将删", OrgID: 3, OrgPath: "/1/2/3/"})
	f.lesson(f.chapter(w.doomed.ID, "d", 0), "d1", 0)
	w.assigned = f.assign(w.base.ID, 2, "/1/2/", false, "")
	w.unassigned = f.assign(w.base.ID, 3, "/1/2/3/", false, "")
	w.plan = res(f.r.Plans.Create(f.ctx, &biz.StudyPlan{OrgID: 2, OrgPath: "/1/2/", Year: 2026, Title: "计划", CreatedBy: 1,
		Items: []*biz.PlanItem{{Title: "一月", StartsOn: "2026-01-01", EndsOn: "2026-01-31"}}})).must(f, "Plans.Create")
	return w
}

// created is what txWrites made.
type created struct {
	topic                   *biz.Topic
	course                  *biz.Course
	chapter, zero           *biz.Chapter
	lesson                  *biz.Lesson
	upload                  *biz.Upload
	assignment              *biz.Assignment
	plan                    *biz.StudyPlan
	reads, readsCourse      []string
	readsDoomed, readsTopic error
}

// txWrites writes through every repository with ctx (inside a transaction), and reads its own
// writes back.
func (f *fx) txWrites(ctx context.Context, w *txWorld) *created {
	f.Helper()
	in := &fx{T: f.T, ctx: ctx, r: f.r}
	c := &created{}
	c.topic = res(f.r.Courses.CreateTopic(ctx, &biz.Topic{Name: "新专题", Position: 1})).must(f, "CreateTopic")
	c.course = in.course(biz.Course{Title: "新课程"})
	c.chapter = in.chapter(c.course.ID, "新章", 0)
	c.lesson = in.lesson(c.chapter, "新课时", 0)
	res(f.r.Courses.UpdateCourse(ctx, w.base.ID, biz.CoursePatch{Title: ptr("改名"), Tags: &[]string{"b"}, Status: ptr(biz.StatusPublished),
		PublishedAt: ptr(t0)})).must(f, "UpdateCourse")
	c.zero = in.chapter(w.base.ID, "zero", 1)
	res(f.r.Courses.UpdateChapter(ctx, w.two.ID, ptr("TWO"), ptr(1))).must(f, "UpdateChapter")
	res(f.r.Courses.UpdateLesson(ctx, w.lesson.ID, biz.LessonPatch{MediaStatus: ptr(biz.MediaReady), DurationSeconds: ptr(int64(30)),
		IfProcessingKey: ptr("lessons/l1")})).must(f, "UpdateLesson")
	f.noErr("DeleteCourse", f.r.Courses.DeleteCourse(ctx, w.doomed.ID))
	c.upload = in.upload(c.lesson.ID, "lessons/new", t0.Add(-time.Hour))
	f.noErr("SetStatus", f.r.Uploads.SetStatus(ctx, w.upload.ID, "completed", ""))
	in.assign(w.base.ID, 2, "/1/2/", true, "2026-09-01")
	c.assignment = in.assign(c.course.ID, 4, "/1/4/", true, "")
	f.noErr("Assignments.Delete", f.r.Assignments.Delete(ctx, w.unassigned.ID))
	c.plan = res(f.r.Plans.Create(ctx, &biz.StudyPlan{OrgID: 4, OrgPath: "/1/4/", Year: 2026, Title: "新计划", CreatedBy: 1})).must(f, "Plans.Create")

	// Reads inside the transaction see its writes.
	c.reads = in.outline(w.base.ID)
	c.readsCourse = in.outline(c.course.ID)
	_, c.readsDoomed = f.r.Courses.GetCourse(ctx, w.doomed.ID, false)
	if ok, err := f.r.Courses.TopicExists(ctx, c.topic.ID); err != nil || !ok {
		c.readsTopic = fmt.Errorf("TopicExists inside the transaction = %v, %v", ok, err)
	}
	return c
}

// txState is everything a store shows of a txWorld, for before/after comparisons.
type txState struct {
	Topics      []*biz.Topic
	Courses     []*biz.Course
	Assignments []*biz.Assignment
	Plans       []*biz.StudyPlan
	Processing  []*biz.Lesson
	Expired     []*biz.Upload
}

func (f *fx) txState() *txState {
	f.Helper()
	s := &txState{
		Topics:      res(f.r.Courses.ListTopics(f.ctx)).must(f, "ListTopics"),
		Assignments: res(f.r.Assignments.ListForPaths(f.ctx, []string{"/1/2/", "/1/2/3/", "/1/4/"})).must(f, "ListForPaths"),
		Plans:       res(f.r.Plans.List(f.ctx, []string{"/1/2/", "/1/4/"}, 0)).must(f, "Plans.List"),
		Processing:  res(f.r.Courses.LessonsByMediaStatus(f.ctx, biz.MediaProcessing, 100)).must(f, "LessonsByMediaStatus"),
		Expired:     res(f.r.Uploads.Expired(f.ctx, t0.Add(time.Hour), 100)).must(f, "Expired"),
	}
	for _, c := range res(f.r.Courses.ListCourses(f.ctx, biz.CourseFilter{Limit: 100})).must(f, "ListCourses") {
		s.Courses = append(s.Courses, res(f.r.Courses.GetCourse(f.ctx, c.ID, true)).must(f, "GetCourse"))
	}
	return s
}

// A write inside InTx whose fn returns an error is not visible afterwards: every repository's
// writes (including those that run their own transaction, like CreateChapter) roll back
// together, and InTx returns fn's error.
func testRollback(f *fx) {
	w := f.txWorld()
	before := f.txState()
	beforeUpload := res(f.r.Uploads.Get(f.ctx, w.upload.ID)).must(f, "Uploads.Get")
	var c *created
	err := f.r.Tx.InTx(f.ctx, func(ctx context.Context) error {
		c = f.txWrites(ctx, w)
		return fmt.Errorf("after the writes: %w", errBoom)
	})
	f.wantErr("InTx", err, errBoom)
	if c == nil {
		f.Fatal("fn did not run")
	}
	f.same("base course read inside the transaction", []string{"TWO: l2", "zero:", "one: l1"}, c.reads)
	f.same("store after the rollback", before, f.txState(), ignoreStamps)
	f.same("upload after the rollback", beforeUpload, res(f.r.Uploads.Get(f.ctx, w.upload.ID)).must(f, "Uploads.Get"), ignoreStamps)
	_, err = f.r.Courses.GetCourse(f.ctx, c.course.ID, false)
	f.wantErr("course created in the rolled-back transaction", err, biz.ErrCourseNotFound)
	_, err = f.r.Courses.GetChapter(f.ctx, c.zero.ID)
	f.wantErr("chapter created in the rolled-back transaction", err, biz.ErrCourseNotFound)
	_, err = f.r.Courses.GetLesson(f.ctx, c.lesson.ID)
	f.wantErr("lesson created in the rolled-back transaction", err, biz.ErrCourseNotFound)
	_, err = f.r.Uploads.Get(f.ctx, c.upload.ID)
	f.wantErr("upload created in the rolled-back transaction", err, biz.ErrUploadNotFound)
	_, err = f.r.Assignments.Get(f.ctx, c.assignment.ID)
	f.wantErr("assignment created in the rolled-back transaction", err, biz.ErrCourseNotFound)
	if ok := res(f.r.Courses.TopicExists(f.ctx, c.topic.ID)).must(f, "TopicExists"); ok {
		f.Error("topic created in the rolled-back transaction exists")
	}
	f.same("base course after the rollback", []string{"one: l1", "two: l2"}, f.outline(w.base.ID))
}

// A write inside InTx whose fn returns nil is visible afterwards, and reads inside the
// transaction see the writes before them.
func testCommit(f *fx) {
	w := f.txWorld()
	var c *created
	f.noErr("InTx", f.r.Tx.InTx(f.ctx, func(ctx context.Context) error {
		c = f.txWrites(ctx, w)
		return nil
	}))
	f.same("base course read inside the transaction", []string{"TWO: l2", "zero:", "one: l1"}, c.reads)
	f.same("new course read inside the transaction", []string{"新章: 新课时"}, c.readsCourse)
	f.wantErr("deleted course read inside the transaction", c.readsDoomed, biz.ErrCourseNotFound)
	f.noErr("topic read inside the transaction", c.readsTopic)

	f.same("base course after the commit", []string{"TWO: l2", "zero:", "one: l1"}, f.outline(w.base.ID))
	f.same("new course after the commit", []string{"新章: 新课时"}, f.outline(c.course.ID))
	base := res(f.r.Courses.GetCourse(f.ctx, w.base.ID, false)).must(f, "GetCourse")
	if base.Title != "改名" || base.Status != biz.StatusPublished || base.PublishedAt == nil || !f.same("tags", []string{"b"}, base.Tags) {
		f.Errorf("base course after the commit = %q %q %v", base.Title, base.Status, base.PublishedAt)
	}
	if l := res(f.r.Courses.GetLesson(f.ctx, w.lesson.ID)).must(f, "GetLesson"); l.MediaStatus != biz.MediaReady || l.DurationSeconds != 30 {
		f.Errorf("lesson after the commit = %q %ds", l.MediaStatus, l.DurationSeconds)
	}
	_, err := f.r.Courses.GetCourse(f.ctx, w.doomed.ID, false)
	f.wantErr("deleted course after the commit", err, biz.ErrCourseNotFound)
	if u := res(f.r.Uploads.Get(f.ctx, w.upload.ID)).must(f, "Uploads.Get"); u.Status != "completed" {
		f.Errorf("upload status after the commit = %q", u.Status)
	}
	f.same("new upload", c.upload, res(f.r.Uploads.Get(f.ctx, c.upload.ID)).must(f, "Uploads.Get"), ignoreStamps)
	f.same("topics", []*biz.Topic{c.topic}, res(f.r.Courses.ListTopics(f.ctx)).must(f, "ListTopics"))
	as := res(f.r.Assignments.ListForPaths(f.ctx, []string{"/1/2/", "/1/2/3/", "/1/4/"})).must(f, "ListForPaths")
	f.same("assignments", []int64{w.assigned.ID, c.assignment.ID}, idsOf(as, assignmentID))
	if len(as) == 2 && (!as[0].Required || as[0].DueDate != "2026-09-01") {
		f.Errorf("upserted assignment = %+v", as[0])
	}
	f.same("plans", []int64{w.plan.ID, c.plan.ID}, idsOf(res(f.r.Plans.List(f.ctx, []string{"/1/2/", "/1/4/"}, 0)).must(f, "Plans.List"), planID))
}

// InTx returns fn's error as it is, so biz can tell its sentinels apart (finishProbe treats
// ErrMediaChanged from a conditional update as "nothing to do"); the writes before it roll back.
func testTxErrorPassesThrough(f *fx) {
	c := f.course(biz.Course{})
	l := f.media(f.lesson(f.chapter(c.ID, "一", 0), "视频", 0), biz.MediaProcessing, "lessons/new")
	err := f.r.Tx.InTx(f.ctx, func(ctx context.Context) error {
		if _, err := f.r.Courses.UpdateCourse(ctx, c.ID, biz.CoursePatch{Title: ptr("改名")}); err != nil {
			return err
		}
		_, err := f.r.Courses.UpdateLesson(ctx, l.ID, biz.LessonPatch{MediaStatus: ptr(biz.MediaReady), IfProcessingKey: ptr("lessons/old")})
		return err
	})
	f.wantErr("InTx", err, biz.ErrMediaChanged)
	if got := res(f.r.Courses.GetCourse(f.ctx, c.ID, false)).must(f, "GetCourse"); got.Title != c.Title {
		f.Errorf("title after the rollback = %q, want %q", got.Title, c.Title)
	}
	f.same("lesson", l, res(f.r.Courses.GetLesson(f.ctx, l.ID)).must(f, "GetLesson"))

	err = f.r.Tx.InTx(f.ctx, func(ctx context.Context) error {
		_, err := f.r.Courses.GetCourse(ctx, missing, false)
		return err
	})
	f.wantErr("InTx returning not found", err, biz.ErrCourseNotFound)
}

// A nested InTx joins the transaction the context carries: one transaction, which the
// outermost fn decides. An outer failure rolls back the inner writes; an inner failure the
// outer fn swallows rolls back nothing (there are no savepoints).
func testNested(f *fx) {
	errInner := errors.New("biztest: inner")
	topic := func(ctx context.Context, name string) {
		f.Helper()
		res(f.r.Courses.CreateTopic(ctx, &biz.Topic{Name: name})).must(f, "CreateTopic "+name)
	}
	names := func() []string {
		f.Helper()
		var out []string
		for _, t := range res(f.r.Courses.ListTopics(f.ctx)).must(f, "ListTopics") {
			out = append(out, t.Name)
		}
		return out
	}

	err := f.r.Tx.InTx(f.ctx, func(ctx context.Context) error {
		topic(ctx, "outer")
		if err := f.r.Tx.InTx(ctx, func(ctx context.Context) error { topic(ctx, "inner"); return nil }); err != nil {
			return err
		}
		return errBoom
	})
	f.wantErr("outer InTx", err, errBoom)
	f.same("topics after an outer failure", []string(nil), names())

	err = f.r.Tx.InTx(f.ctx, func(ctx context.Context) error {
		err := f.r.Tx.InTx(ctx, func(ctx context.Context) error { topic(ctx, "x"); return errInner })
		if !errors.Is(err, errInner) {
			return fmt.Errorf("inner InTx = %v, want errInner", err)
		}
		topic(ctx, "y")
		return nil
	})
	f.noErr("outer InTx", err)
	f.same("topics after a swallowed inner failure", []string{"x", "y"}, names())
}
