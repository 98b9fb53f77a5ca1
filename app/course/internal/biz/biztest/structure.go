package biztest

import (
	"context"

	"github.com/vanguard/vanguard/app/course/internal/biz"
)

var structureCases = []testCase{
	{"CreateChapterPositions", testCreateChapterPositions},
	{"UpdateChapter", testUpdateChapter},
	{"DeleteChapter", testDeleteChapter},
	{"CreateLessonPositions", testCreateLessonPositions},
	{"CreateLessonStores", testCreateLessonStores},
	{"CreateWithoutParent", testCreateWithoutParent},
	{"UpdateLesson", testUpdateLesson},
	{"UpdateLessonMove", testUpdateLessonMove},
	{"UpdateLessonToAnotherChapter", testUpdateLessonToAnotherChapter},
	{"UpdateLessonIfProcessingKey", testUpdateLessonIfProcessingKey},
	{"DeleteLesson", testDeleteLesson},
	{"LessonsByMediaStatus", testLessonsByMediaStatus},
	{"MediaKeys", testMediaKeys},
	{"Garbage", testGarbage},
	{"GarbageRollsBack", testGarbageRollsBack},
}

// CreateChapter inserts at position (1-based; 0 or past the end appends), shifting later
// chapters; it returns the chapter with the position it got, and GetChapter returns it too.
// Each course numbers its own chapters.
func testCreateChapterPositions(f *fx) {
	c := f.course(biz.Course{})
	other := f.course(biz.Course{})
	otherCh := f.chapter(other.ID, "别的", 0)
	steps := []struct {
		title   string
		pos     int
		wantPos int
		want    []string
	}{
		{"one", 0, 1, []string{"one:"}},
		{"three", 0, 2, []string{"one:", "three:"}},
		{"two", 2, 2, []string{"one:", "two:", "three:"}},
		{"zero", 1, 1, []string{"zero:", "one:", "two:", "three:"}},
		{"four", 99, 5, []string{"zero:", "one:", "two:", "three:", "four:"}},
		{"five", 6, 6, []string{"zero:", "one:", "two:", "three:", "four:", "five:"}},
	}
	for _, s := range steps {
		ch := f.chapter(c.ID, s.title, s.pos)
		if ch.ID <= 0 {
			f.Fatalf("CreateChapter id = %d", ch.ID)
		}
		want := &biz.Chapter{ID: ch.ID, CourseID: c.ID, Title: s.title, Position: s.wantPos}
		f.same("CreateChapter "+s.title, want, ch)
		f.same("GetChapter "+s.title, want, res(f.r.Courses.GetChapter(f.ctx, ch.ID)).must(f, "GetChapter"))
		f.same("structure after "+s.title, s.want, f.outline(c.ID))
	}
	f.same("the other course's chapter", otherCh, res(f.r.Courses.GetChapter(f.ctx, otherCh.ID)).must(f, "GetChapter"))
}

// UpdateChapter renames and moves a chapter (to a 1-based position; past the end moves it to
// the end), renumbering its siblings 1..n; it returns the chapter as stored.
func testUpdateChapter(f *fx) {
	c := f.course(biz.Course{})
	a, b, ch3, d := f.chapter(c.ID, "a", 0), f.chapter(c.ID, "b", 0), f.chapter(c.ID, "c", 0), f.chapter(c.ID, "d", 0)
	f.lesson(b, "b1", 0)
	other := f.course(biz.Course{})
	oa, ob := f.chapter(other.ID, "x", 0), f.chapter(other.ID, "y", 0)

	update := func(ch *biz.Chapter, title *string, pos *int, want *biz.Chapter, outline ...string) {
		f.Helper()
		got := res(f.r.Courses.UpdateChapter(f.ctx, ch.ID, title, pos)).must(f, "UpdateChapter")
		f.same("UpdateChapter result", want, got)
		f.same("GetChapter after UpdateChapter", want, res(f.r.Courses.GetChapter(f.ctx, ch.ID)).must(f, "GetChapter"))
		f.same("structure after UpdateChapter", outline, f.outline(c.ID))
	}
	update(a, nil, ptr(4), &biz.Chapter{ID: a.ID, CourseID: c.ID, Title: "a", Position: 4}, "b: b1", "c:", "d:", "a:")
	update(d, nil, ptr(1), &biz.Chapter{ID: d.ID, CourseID: c.ID, Title: "d", Position: 1}, "d:", "b: b1", "c:", "a:")
	update(b, ptr("B"), nil, &biz.Chapter{ID: b.ID, CourseID: c.ID, Title: "B", Position: 2}, "d:", "B: b1", "c:", "a:")
	update(ch3, ptr("C"), ptr(2), &biz.Chapter{ID: ch3.ID, CourseID: c.ID, Title: "C", Position: 2}, "d:", "C:", "B: b1", "a:")
	update(d, nil, ptr(99), &biz.Chapter{ID: d.ID, CourseID: c.ID, Title: "d", Position: 4}, "C:", "B: b1", "a:", "d:")
	update(d, nil, ptr(4), &biz.Chapter{ID: d.ID, CourseID: c.ID, Title: "d", Position: 4}, "C:", "B: b1", "a:", "d:")
	update(a, nil, nil, &biz.Chapter{ID: a.ID, CourseID: c.ID, Title: "a", Position: 3}, "C:", "B: b1", "a:", "d:")
	f.same("the other course's chapters", []*biz.Chapter{oa, ob},
		[]*biz.Chapter{res(f.r.Courses.GetChapter(f.ctx, oa.ID)).must(f, "GetChapter"), res(f.r.Courses.GetChapter(f.ctx, ob.ID)).must(f, "GetChapter")})
	f.same("the other course", []string{"x:", "y:"}, f.outline(other.ID))
}

// DeleteChapter removes the chapter and its lessons and renumbers the later chapters. Its
// lessons' upload rows stay. (Pinned: unlike DeleteLesson and DeleteCourse, the ent repository
// leaves them; biz copes, as an upload whose lesson is gone is ErrUploadNotFound to callers and
// aborted by the reconciler when it expires.)
func testDeleteChapter(f *fx) {
	c := f.course(biz.Course{})
	one, two, three := f.chapter(c.ID, "one", 0), f.chapter(c.ID, "two", 0), f.chapter(c.ID, "three", 0)
	f.lesson(one, "o1", 0)
	t1 := f.media(f.lesson(two, "t1", 0), biz.MediaReady, "lessons/t1")
	t2 := f.lesson(two, "t2", 0)
	f.lesson(three, "h1", 0)
	u := f.upload(t1.ID, "lessons/t1", t0)
	other := f.course(biz.Course{})
	f.lesson(f.chapter(other.ID, "x", 0), "x1", 0)

	f.noErr("DeleteChapter", f.r.Courses.DeleteChapter(f.ctx, two.ID))
	f.same("structure", []string{"one: o1", "three: h1"}, f.outline(c.ID))
	f.same("renumbered chapter", &biz.Chapter{ID: three.ID, CourseID: c.ID, Title: "three", Position: 2},
		res(f.r.Courses.GetChapter(f.ctx, three.ID)).must(f, "GetChapter"))
	_, err := f.r.Courses.GetChapter(f.ctx, two.ID)
	f.wantErr("GetChapter of the deleted chapter", err, biz.ErrCourseNotFound)
	for _, l := range []*biz.Lesson{t1, t2} {
		_, err := f.r.Courses.GetLesson(f.ctx, l.ID)
		f.wantErr("GetLesson of the deleted chapter", err, biz.ErrCourseNotFound)
	}
	if keys := res(f.r.Courses.MediaKeys(f.ctx, c.ID)).must(f, "MediaKeys"); len(keys) != 0 {
		f.Errorf("MediaKeys after the chapter's delete = %q", keys)
	}
	f.same("upload of a deleted chapter's lesson", u, res(f.r.Uploads.Get(f.ctx, u.ID)).must(f, "Uploads.Get"), ignoreStamps)
	f.wantErr("second DeleteChapter", f.r.Courses.DeleteChapter(f.ctx, two.ID), biz.ErrCourseNotFound)
	f.same("the other course", []string{"x: x1"}, f.outline(other.ID))

	// Deleting the first and the last keeps positions 1..n.
	f.noErr("DeleteChapter(first)", f.r.Courses.DeleteChapter(f.ctx, one.ID))
	f.same("after deleting the first", []string{"three: h1"}, f.outline(c.ID))
	f.noErr("DeleteChapter(last)", f.r.Courses.DeleteChapter(f.ctx, three.ID))
	f.same("after deleting every chapter", []string(nil), f.outline(c.ID))
}

// CreateLesson inserts at position (1-based; 0 or past the end appends) within its chapter;
// GetCourse with structure nests the lessons in their chapters, in order.
func testCreateLessonPositions(f *fx) {
	c := f.course(biz.Course{})
	chA, chB := f.chapter(c.ID, "A", 0), f.chapter(c.ID, "B", 0)
	steps := []struct {
		ch      *biz.Chapter
		title   string
		pos     int
		wantPos int
	}{
		{chA, "b", 0, 1},
		{chA, "a", 1, 1},
		{chB, "y", 0, 1},
		{chA, "d", 0, 3},
		{chA, "c", 3, 3},
		{chB, "x", 1, 1},
		{chA, "e", 42, 5},
		{chB, "z", 3, 3},
	}
	for _, s := range steps {
		if l := f.lesson(s.ch, s.title, s.pos); l.Position != s.wantPos || l.ChapterID != s.ch.ID || l.CourseID != c.ID {
			f.Errorf("CreateLesson %s = chapter %d course %d position %d, want %d %d %d", s.title, l.ChapterID, l.CourseID, l.Position, s.ch.ID, c.ID, s.wantPos)
		}
	}
	f.same("structure", []string{"A: a b c d e", "B: x y z"}, f.outline(c.ID))
	// Moving chapters carries their lessons.
	res(f.r.Courses.UpdateChapter(f.ctx, chB.ID, nil, ptr(1))).must(f, "UpdateChapter")
	f.same("structure after moving B first", []string{"B: x y z", "A: a b c d e"}, f.outline(c.ID))
}

// CreateLesson stores what CourseUsecase gives it (chapter, course, title, kind, position, body,
// media status) and GetLesson returns it.
func testCreateLessonStores(f *fx) {
	c := f.course(biz.Course{})
	ch := f.chapter(c.ID, "一", 0)
	for _, in := range []*biz.Lesson{
		{ChapterID: ch.ID, CourseID: c.ID, Title: "图文", Kind: biz.KindArticle, BodyHTML: "<p>正文</p>", MediaStatus: biz.MediaNone},
		{ChapterID: ch.ID, CourseID: c.ID, Title: "视频", Kind: biz.KindVideo, MediaStatus: biz.MediaNone},
		{ChapterID: ch.ID, CourseID: c.ID, Title: "音频", Kind: biz.KindAudio, MediaStatus: biz.MediaProcessing},
		{ChapterID: ch.ID, CourseID: c.ID, Title: "文档", Kind: biz.KindDocument, MediaStatus: biz.MediaReady},
	} {
		l := res(f.r.Courses.CreateLesson(f.ctx, in)).must(f, "CreateLesson "+in.Title)
		if l.ID <= 0 {
			f.Fatalf("CreateLesson id = %d", l.ID)
		}
		want := *in
		want.ID, want.Position = l.ID, l.Position
		f.same("CreateLesson "+in.Title, &want, l)
		f.same("GetLesson "+in.Title, &want, res(f.r.Courses.GetLesson(f.ctx, l.ID)).must(f, "GetLesson"))
	}
	// Pinned: CreateLesson takes no media facts (key, type, size, duration, pages, error): those
	// come from UpdateLesson once an upload completes. The ent repository drops them.
	l := res(f.r.Courses.CreateLesson(f.ctx, &biz.Lesson{ChapterID: ch.ID, CourseID: c.ID, Title: "带媒体", Kind: biz.KindVideo,
		MediaStatus: biz.MediaReady, MediaError: "e", MediaKey: "lessons/k", MediaContentType: "video/mp4", MediaSize: 9,
		DurationSeconds: 60, PageCount: 3})).must(f, "CreateLesson with media facts")
	want := &biz.Lesson{ID: l.ID, ChapterID: ch.ID, CourseID: c.ID, Title: "带媒体", Kind: biz.KindVideo, Position: 5, MediaStatus: biz.MediaReady}
	f.same("CreateLesson with media facts", want, l)
	f.same("GetLesson of a lesson created with media facts", want, res(f.r.Courses.GetLesson(f.ctx, l.ID)).must(f, "GetLesson"))
}

// CreateChapter and CreateLesson do not check that the course or chapter exists: biz loads it
// first (to check permissions) in the same transaction. (Pinned: the ent repository inserts
// without looking; a fake that refused would let biz come to rely on a check production lacks.)
func testCreateWithoutParent(f *fx) {
	ch := res(f.r.Courses.CreateChapter(f.ctx, &biz.Chapter{CourseID: missing, Title: "孤章"})).must(f, "CreateChapter of a missing course")
	f.same("chapter of a missing course", &biz.Chapter{ID: ch.ID, CourseID: missing, Title: "孤章", Position: 1}, ch)
	l := res(f.r.Courses.CreateLesson(f.ctx, &biz.Lesson{ChapterID: missing, CourseID: missing, Title: "孤课", Kind: biz.KindVideo,
		MediaStatus: biz.MediaNone})).must(f, "CreateLesson of a missing chapter")
	f.same("lesson of a missing chapter", &biz.Lesson{ID: l.ID, ChapterID: missing, CourseID: missing, Title: "孤课", Kind: biz.KindVideo,
		Position: 1, MediaStatus: biz.MediaNone}, res(f.r.Courses.GetLesson(f.ctx, l.ID)).must(f, "GetLesson"))
}

// UpdateLesson changes the fields a patch sets, leaves the others, and returns the lesson.
func testUpdateLesson(f *fx) {
	c := f.course(biz.Course{})
	ch := f.chapter(c.ID, "一", 0)
	l := res(f.r.Courses.CreateLesson(f.ctx, &biz.Lesson{ChapterID: ch.ID, CourseID: c.ID, Title: "旧", Kind: biz.KindArticle,
		BodyHTML: "<p>旧</p>", MediaStatus: biz.MediaNone})).must(f, "CreateLesson")
	sibling := f.lesson(ch, "兄弟", 0)
	want := *l

	check := func(what string, p biz.LessonPatch) {
		f.Helper()
		got := res(f.r.Courses.UpdateLesson(f.ctx, l.ID, p)).must(f, "UpdateLesson "+what)
		f.same("UpdateLesson "+what, &want, got)
		f.same("GetLesson after "+what, &want, res(f.r.Courses.GetLesson(f.ctx, l.ID)).must(f, "GetLesson"))
	}
	want.Title, want.BodyHTML = "新", "<p>新</p>"
	check("title and body", biz.LessonPatch{Title: &want.Title, BodyHTML: &want.BodyHTML})
	want.MediaStatus, want.MediaKey, want.MediaContentType, want.MediaSize = biz.MediaProcessing, "lessons/1/a/v.mp4", "video/mp4", 123456
	want.DurationSeconds, want.PageCount, want.MediaError = 0, 0, ""
	check("media of a completed upload", biz.LessonPatch{MediaStatus: &want.MediaStatus, MediaError: ptr(""), MediaKey: &want.MediaKey,
		MediaContentType: &want.MediaContentType, MediaSize: &want.MediaSize, DurationSeconds: ptr(int64(0)), PageCount: ptr(0)})
	want.MediaStatus, want.DurationSeconds, want.PageCount = biz.MediaReady, 3725, 12
	check("probe results", biz.LessonPatch{MediaStatus: &want.MediaStatus, DurationSeconds: &want.DurationSeconds, PageCount: &want.PageCount})
	want.MediaStatus, want.MediaError = biz.MediaFailed, "无法读取音视频时长"
	check("failure", biz.LessonPatch{MediaStatus: &want.MediaStatus, MediaError: &want.MediaError})
	check("empty patch", biz.LessonPatch{})
	f.same("the sibling", sibling, res(f.r.Courses.GetLesson(f.ctx, sibling.ID)).must(f, "GetLesson"))
}

// A Position in the patch moves the lesson within its chapter (past the end: to the end),
// renumbering its siblings 1..n; other chapters keep theirs.
func testUpdateLessonMove(f *fx) {
	c := f.course(biz.Course{})
	chA, chB := f.chapter(c.ID, "A", 0), f.chapter(c.ID, "B", 0)
	a, b, l3, d := f.lesson(chA, "a", 0), f.lesson(chA, "b", 0), f.lesson(chA, "c", 0), f.lesson(chA, "d", 0)
	f.lesson(chB, "x", 0)
	f.lesson(chB, "y", 0)
	move := func(l *biz.Lesson, title *string, pos int, wantPos int, outline ...string) {
		f.Helper()
		got := res(f.r.Courses.UpdateLesson(f.ctx, l.ID, biz.LessonPatch{Title: title, Position: &pos})).must(f, "UpdateLesson(position)")
		if got.Position != wantPos || got.ChapterID != l.ChapterID {
			f.Errorf("UpdateLesson(position %d) = chapter %d position %d, want chapter %d position %d", pos, got.ChapterID, got.Position, l.ChapterID, wantPos)
		}
		if title != nil && got.Title != *title {
			f.Errorf("UpdateLesson title = %q, want %q", got.Title, *title)
		}
		f.same("structure after moving "+l.Title, outline, f.outline(c.ID))
	}
	move(a, nil, 4, 4, "A: b c d a", "B: x y")
	move(d, nil, 1, 1, "A: d b c a", "B: x y")
	move(l3, ptr("C"), 2, 2, "A: d C b a", "B: x y")
	move(d, nil, 99, 4, "A: C b a d", "B: x y")
	move(b, nil, 2, 2, "A: C b a d", "B: x y")
}

// ChapterID moves a lesson to another chapter: at Position (past the end or unset: last),
// shifting the lessons after it there, while the chapter it left closes the gap; an empty
// chapter takes a lesson at 1. Other fields of the patch apply too.
func testUpdateLessonToAnotherChapter(f *fx) {
	c := f.course(biz.Course{})
	chA, chB, chC := f.chapter(c.ID, "A", 0), f.chapter(c.ID, "B", 0), f.chapter(c.ID, "C", 0)
	a, b := f.lesson(chA, "a", 0), f.lesson(chA, "b", 0)
	f.lesson(chA, "c", 0)
	f.lesson(chB, "x", 0)
	f.lesson(chB, "y", 0)
	move := func(l *biz.Lesson, to *biz.Chapter, pos *int, title *string, wantPos int, outline ...string) {
		f.Helper()
		got := res(f.r.Courses.UpdateLesson(f.ctx, l.ID, biz.LessonPatch{ChapterID: &to.ID, Position: pos, Title: title})).must(f, "UpdateLesson(chapter)")
		if got.ChapterID != to.ID || got.Position != wantPos {
			f.Errorf("moved %s = chapter %d position %d, want chapter %d position %d", l.Title, got.ChapterID, got.Position, to.ID, wantPos)
		}
		if title != nil && got.Title != *title {
			f.Errorf("moved lesson title = %q, want %q", got.Title, *title)
		}
		f.same("structure after moving "+l.Title+" across", outline, f.outline(c.ID))
	}
	move(a, chB, ptr(2), nil, 2, "A: b c", "B: x a y", "C:")
	move(b, chB, nil, ptr("B"), 4, "A: c", "B: x a y B", "C:")
	move(a, chC, ptr(5), nil, 1, "A: c", "B: x y B", "C: a")
	move(a, chA, ptr(1), nil, 1, "A: a c", "B: x y B", "C:")
}

// IfProcessingKey makes UpdateLesson conditional: it applies only while the lesson is
// processing that very key, else ErrMediaChanged and nothing changes.
func testUpdateLessonIfProcessingKey(f *fx) {
	c := f.course(biz.Course{})
	l := f.media(f.lesson(f.chapter(c.ID, "一", 0), "视频", 0), biz.MediaProcessing, "lessons/new")
	ready, failed, secs := biz.MediaReady, biz.MediaFailed, int64(60)
	probe := func(key string, st *biz.MediaStatus) (*biz.Lesson, error) {
		return f.r.Courses.UpdateLesson(f.ctx, l.ID, biz.LessonPatch{MediaStatus: st, DurationSeconds: &secs, MediaError: ptr(""), IfProcessingKey: &key})
	}

	_, err := probe("lessons/old", &ready)
	f.wantErr("probe of a replaced key", err, biz.ErrMediaChanged)
	f.same("lesson after a refused update", l, res(f.r.Courses.GetLesson(f.ctx, l.ID)).must(f, "GetLesson"))

	got, err := probe("lessons/new", &ready)
	f.noErr("probe of the current key", err)
	want := *l
	want.MediaStatus, want.DurationSeconds = biz.MediaReady, 60
	f.same("lesson after the probe", &want, got)
	f.same("GetLesson after the probe", &want, res(f.r.Courses.GetLesson(f.ctx, l.ID)).must(f, "GetLesson"))

	_, err = probe("lessons/new", &failed)
	f.wantErr("probe of a lesson no longer processing", err, biz.ErrMediaChanged)
	f.same("lesson after the second probe", &want, res(f.r.Courses.GetLesson(f.ctx, l.ID)).must(f, "GetLesson"))

	// A lesson that was never processing (no media) refuses too, even for its own empty key.
	none := f.lesson(f.chapter(c.ID, "二", 0), "无媒体", 0)
	_, err = f.r.Courses.UpdateLesson(f.ctx, none.ID, biz.LessonPatch{MediaStatus: &ready, IfProcessingKey: ptr("")})
	f.wantErr("probe of a lesson without media", err, biz.ErrMediaChanged)
	f.same("lesson without media", none, res(f.r.Courses.GetLesson(f.ctx, none.ID)).must(f, "GetLesson"))
}

// DeleteLesson removes the lesson and its uploads and renumbers the later lessons.
func testDeleteLesson(f *fx) {
	c := f.course(biz.Course{})
	ch, other := f.chapter(c.ID, "A", 0), f.chapter(c.ID, "B", 0)
	a := f.lesson(ch, "a", 0)
	b := f.media(f.lesson(ch, "b", 0), biz.MediaProcessing, "lessons/b")
	l3 := f.lesson(ch, "c", 0)
	x := f.lesson(other, "x", 0)
	ub := f.upload(b.ID, "lessons/b", t0)
	ux := f.upload(x.ID, "lessons/x", t0)

	f.noErr("DeleteLesson", f.r.Courses.DeleteLesson(f.ctx, b.ID))
	f.same("structure", []string{"A: a c", "B: x"}, f.outline(c.ID))
	if got := res(f.r.Courses.GetLesson(f.ctx, l3.ID)).must(f, "GetLesson"); got.Position != 2 {
		f.Errorf("later lesson position = %d, want 2", got.Position)
	}
	_, err := f.r.Courses.GetLesson(f.ctx, b.ID)
	f.wantErr("GetLesson of the deleted lesson", err, biz.ErrCourseNotFound)
	_, err = f.r.Uploads.Get(f.ctx, ub.ID)
	f.wantErr("upload of the deleted lesson", err, biz.ErrUploadNotFound)
	f.same("upload of another lesson", ux, res(f.r.Uploads.Get(f.ctx, ux.ID)).must(f, "Uploads.Get"), ignoreStamps)
	f.wantErr("second DeleteLesson", f.r.Courses.DeleteLesson(f.ctx, b.ID), biz.ErrCourseNotFound)
	if got := res(f.r.Courses.LessonsByMediaStatus(f.ctx, biz.MediaProcessing, 10)).must(f, "LessonsByMediaStatus"); len(got) != 0 {
		f.Errorf("processing lessons after the delete = %v", idsOf(got, lessonID))
	}
	f.noErr("DeleteLesson(first)", f.r.Courses.DeleteLesson(f.ctx, a.ID))
	f.same("structure after deleting the first", []string{"A: c", "B: x"}, f.outline(c.ID))
}

// LessonsByMediaStatus lists the lessons in a media status across courses, by id, up to the
// limit (pinned: by id, and limit 0 is no limit, as the ent repository does).
func testLessonsByMediaStatus(f *fx) {
	c1, c2 := f.course(biz.Course{}), f.course(biz.Course{})
	ch1, ch2 := f.chapter(c1.ID, "一", 0), f.chapter(c2.ID, "一", 0)
	p1 := f.media(f.lesson(ch1, "p1", 0), biz.MediaProcessing, "lessons/p1")
	r1 := f.media(f.lesson(ch1, "r1", 0), biz.MediaReady, "lessons/r1")
	p2 := f.media(f.lesson(ch2, "p2", 0), biz.MediaProcessing, "lessons/p2")
	n1 := f.lesson(ch2, "n1", 1)
	p3 := f.media(f.lesson(ch1, "p3", 1), biz.MediaProcessing, "lessons/p3")

	list := func(st biz.MediaStatus, limit int) []*biz.Lesson {
		f.Helper()
		return res(f.r.Courses.LessonsByMediaStatus(f.ctx, st, limit)).must(f, "LessonsByMediaStatus")
	}
	got := list(biz.MediaProcessing, 10)
	f.same("processing", []int64{p1.ID, p2.ID, p3.ID}, idsOf(got, lessonID))
	if len(got) == 3 {
		f.same("listed lesson", res(f.r.Courses.GetLesson(f.ctx, p3.ID)).must(f, "GetLesson"), got[2])
	}
	f.same("processing, limit 2", []int64{p1.ID, p2.ID}, idsOf(list(biz.MediaProcessing, 2), lessonID))
	f.same("ready", []int64{r1.ID}, idsOf(list(biz.MediaReady, 10), lessonID))
	f.same("none", []int64{n1.ID}, idsOf(list(biz.MediaNone, 10), lessonID))
	f.same("failed", []int64(nil), idsOf(list(biz.MediaFailed, 10), lessonID))
	f.same("limit 0", []int64{p1.ID, p2.ID, p3.ID}, idsOf(list(biz.MediaProcessing, 0), lessonID))
}

// MediaKeys lists the non-empty media keys of one course's lessons, sorted.
func testMediaKeys(f *fx) {
	c, other := f.course(biz.Course{}), f.course(biz.Course{})
	ch1, ch2 := f.chapter(c.ID, "一", 0), f.chapter(c.ID, "二", 0)
	f.media(f.lesson(ch1, "b", 0), biz.MediaReady, "lessons/2/b.mp4")
	f.media(f.lesson(ch2, "a", 0), biz.MediaFailed, "lessons/1/a.pdf")
	f.lesson(ch1, "article", 0)
	f.media(f.lesson(ch2, "c", 0), biz.MediaProcessing, "lessons/3/c.mp3")
	f.media(f.lesson(f.chapter(other.ID, "一", 0), "x", 0), biz.MediaReady, "lessons/0/x.mp4")
	f.same("MediaKeys", []string{"lessons/1/a.pdf", "lessons/2/b.mp4", "lessons/3/c.mp3"},
		res(f.r.Courses.MediaKeys(f.ctx, c.ID)).must(f, "MediaKeys"))
	f.same("MediaKeys of a course without media", []string(nil),
		res(f.r.Courses.MediaKeys(f.ctx, f.course(biz.Course{}).ID)).must(f, "MediaKeys"))
	f.same("MediaKeys of a missing course", []string(nil), res(f.r.Courses.MediaKeys(f.ctx, missing)).must(f, "MediaKeys"))
}

// Garbage keeps each key once, oldest first, ignores empty keys, and forgets dropped (and
// ignores unknown) keys.
func testGarbage(f *fx) {
	f.same("Garbage of a fresh store", []string(nil), res(f.r.Courses.Garbage(f.ctx, 10)).must(f, "Garbage"))
	f.noErr("AddGarbage", f.r.Courses.AddGarbage(f.ctx, []string{"lessons/2/b", "", "lessons/1/a"}))
	f.noErr("AddGarbage again", f.r.Courses.AddGarbage(f.ctx, []string{"lessons/1/a", "lessons/3/c", "lessons/3/c"}))
	f.noErr("AddGarbage of nothing", f.r.Courses.AddGarbage(f.ctx, nil))
	f.same("Garbage", []string{"lessons/2/b", "lessons/1/a", "lessons/3/c"}, res(f.r.Courses.Garbage(f.ctx, 10)).must(f, "Garbage"))
	f.same("Garbage with a limit", []string{"lessons/2/b", "lessons/1/a"}, res(f.r.Courses.Garbage(f.ctx, 2)).must(f, "Garbage"))
	f.noErr("DropGarbage", f.r.Courses.DropGarbage(f.ctx, []string{"lessons/1/a", "lessons/9/unknown"}))
	f.noErr("DropGarbage of nothing", f.r.Courses.DropGarbage(f.ctx, nil))
	f.same("Garbage after a drop", []string{"lessons/2/b", "lessons/3/c"}, res(f.r.Courses.Garbage(f.ctx, 10)).must(f, "Garbage"))
}

// Garbage recorded in a transaction that fails is not recorded.
func testGarbageRollsBack(f *fx) {
	err := f.r.Tx.InTx(f.ctx, func(ctx context.Context) error {
		if err := f.r.Courses.AddGarbage(ctx, []string{"lessons/1/a"}); err != nil {
			return err
		}
		return errBoom
	})
	f.wantErr("InTx", err, errBoom)
	f.same("Garbage after the rollback", []string(nil), res(f.r.Courses.Garbage(f.ctx, 10)).must(f, "Garbage"))
}
