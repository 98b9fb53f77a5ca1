package biztest

import (
	"time"

	"github.com/vanguard/vanguard/app/course/internal/biz"
)

var courseCases = []testCase{
	{"CreateTopicListTopicsTopicExists", testTopics},
	{"CreateTopicDuplicateName", testTopicDuplicate},
	{"UpdateTopicDeleteTopic", testUpdateDeleteTopic},
	{"CreateCourseGetCourse", testCreateGetCourse},
	{"CreateCourseIgnoresPublishedAt", testCreateCourseIgnoresPublishedAt},
	{"CourseNotFound", testCourseNotFound},
	{"GetCourses", testGetCourses},
	{"UpdateCourse", testUpdateCourse},
	{"UpdateCourseStatusTransitions", testStatusTransitions},
	{"DeleteCourse", testDeleteCourse},
	{"ListCoursesFilters", testListCoursesFilters},
	{"ListCoursesPagination", testListCoursesPagination},
}

// CreateTopic assigns an id; ListTopics lists by position, then id; TopicExists answers for
// created topics only.
func testTopics(f *fx) {
	if got := res(f.r.Courses.ListTopics(f.ctx)).must(f, "ListTopics"); len(got) != 0 {
		f.Errorf("ListTopics of an empty store = %+v", got)
	}
	mk := func(name string, pos int) *biz.Topic {
		f.Helper()
		t := res(f.r.Courses.CreateTopic(f.ctx, &biz.Topic{Name: name, Position: pos})).must(f, "CreateTopic")
		if t.ID <= 0 {
			f.Fatalf("CreateTopic id = %d", t.ID)
		}
		f.same("created topic", &biz.Topic{ID: t.ID, Name: name, Position: pos}, t)
		return t
	}
	history := mk("党史", 2)
	theory := mk("理论学习", 1)
	rules := mk("党纪法规", 1)
	f.same("ListTopics", []*biz.Topic{theory, rules, history}, res(f.r.Courses.ListTopics(f.ctx)).must(f, "ListTopics"))
	for _, tp := range []*biz.Topic{history, theory, rules} {
		if ok := res(f.r.Courses.TopicExists(f.ctx, tp.ID)).must(f, "TopicExists"); !ok {
			f.Errorf("TopicExists(%d) = false", tp.ID)
		}
	}
	for _, id := range []int64{0, missing} {
		if ok := res(f.r.Courses.TopicExists(f.ctx, id)).must(f, "TopicExists"); ok {
			f.Errorf("TopicExists(%d) = true", id)
		}
	}
}

// UpdateTopic writes name and position (a taken name is ErrAlreadyExists, a missing topic
// ErrTopicNotFound); DeleteTopic removes a topic no course has, and refuses one a course has
// (ErrTopicInUse) without deleting it.
func testUpdateDeleteTopic(f *fx) {
	a := res(f.r.Courses.CreateTopic(f.ctx, &biz.Topic{Name: "党史", Position: 1})).must(f, "CreateTopic")
	b := res(f.r.Courses.CreateTopic(f.ctx, &biz.Topic{Name: "党章", Position: 2})).must(f, "CreateTopic")
	got := res(f.r.Courses.UpdateTopic(f.ctx, &biz.Topic{ID: a.ID, Name: "党史学习", Position: 3})).must(f, "UpdateTopic")
	f.same("updated topic", &biz.Topic{ID: a.ID, Name: "党史学习", Position: 3}, got)
	_, err := f.r.Courses.UpdateTopic(f.ctx, &biz.Topic{ID: b.ID, Name: "党史学习", Position: 2})
	f.wantErr("UpdateTopic to a taken name", err, biz.ErrAlreadyExists)
	_, err = f.r.Courses.UpdateTopic(f.ctx, &biz.Topic{ID: missing, Name: "x"})
	f.wantErr("UpdateTopic of a missing topic", err, biz.ErrTopicNotFound)

	f.course(biz.Course{TopicID: b.ID})
	f.wantErr("DeleteTopic of a topic in use", f.r.Courses.DeleteTopic(f.ctx, b.ID), biz.ErrTopicInUse)
	f.wantErr("DeleteTopic of a missing topic", f.r.Courses.DeleteTopic(f.ctx, missing), biz.ErrTopicNotFound)
	f.noErr("DeleteTopic", f.r.Courses.DeleteTopic(f.ctx, a.ID))
	f.same("topics left", []int64{b.ID}, idsOf(res(f.r.Courses.ListTopics(f.ctx)).must(f, "ListTopics"), func(t *biz.Topic) int64 { return t.ID }))
}

// Topic names are unique: a second topic of the same name is ErrAlreadyExists and adds nothing.
// (Pinned: the ent schema's unique index; CreateTopic has no doc comment.)
func testTopicDuplicate(f *fx) {
	first := res(f.r.Courses.CreateTopic(f.ctx, &biz.Topic{Name: "党史", Position: 1})).must(f, "CreateTopic")
	_, err := f.r.Courses.CreateTopic(f.ctx, &biz.Topic{Name: "党史", Position: 2})
	f.wantErr("CreateTopic of a duplicate name", err, biz.ErrAlreadyExists)
	f.same("ListTopics after the duplicate", []*biz.Topic{first}, res(f.r.Courses.ListTopics(f.ctx)).must(f, "ListTopics"))
	other := res(f.r.Courses.CreateTopic(f.ctx, &biz.Topic{Name: "党史学习", Position: 1})).must(f, "CreateTopic of another name")
	if other.ID == first.ID {
		f.Errorf("two topics got id %d", other.ID)
	}
}

// CreateCourse assigns an id and creation/update times and stores every field biz sets;
// GetCourse returns it, without chapters unless asked for the structure.
func testCreateGetCourse(f *fx) {
	topic := res(f.r.Courses.CreateTopic(f.ctx, &biz.Topic{Name: "党史"})).must(f, "CreateTopic")
	in := &biz.Course{Title: "中国共产党历史", Summary: "百年党史", CoverURL: "https://img.example.com/c.png", TopicID: topic.ID,
		Tags: []string{"党史", "必修"}, CreditHours: 1.5, OwnerID: 10, OrgID: 3, OrgPath: "/1/2/3/", Status: biz.StatusDraft}
	c := res(f.r.Courses.CreateCourse(f.ctx, in)).must(f, "CreateCourse")
	if c.ID <= 0 || c.CreatedAt.IsZero() || c.UpdatedAt.IsZero() {
		f.Fatalf("CreateCourse = id %d created %v updated %v", c.ID, c.CreatedAt, c.UpdatedAt)
	}
	want := *in
	want.ID = c.ID
	f.same("created course", &want, c, ignoreStamps)
	got := res(f.r.Courses.GetCourse(f.ctx, c.ID, false)).must(f, "GetCourse")
	f.same("GetCourse", &want, got, ignoreStamps)
	if d := got.CreatedAt.Sub(c.CreatedAt).Abs(); d > time.Second {
		f.Errorf("GetCourse CreatedAt %v, created %v", got.CreatedAt, c.CreatedAt)
	}

	bare := f.course(biz.Course{Title: "无标签", Status: biz.StatusPublished})
	if bare.ID == c.ID {
		f.Fatalf("two courses got id %d", c.ID)
	}
	f.same("course without tags", []string(nil), res(f.r.Courses.GetCourse(f.ctx, bare.ID, false)).must(f, "GetCourse").Tags)

	f.same("structure of a course without chapters", []string(nil), f.outline(c.ID))
	f.lesson(f.chapter(c.ID, "第一章", 0), "第一讲", 0)
	if got := res(f.r.Courses.GetCourse(f.ctx, c.ID, false)).must(f, "GetCourse"); len(got.Chapters) != 0 {
		f.Errorf("GetCourse without structure returned chapters %+v", got.Chapters)
	}
	full := res(f.r.Courses.GetCourse(f.ctx, c.ID, true)).must(f, "GetCourse(structure)")
	full.Chapters = nil
	f.same("GetCourse(structure) course fields", &want, full, ignoreStamps)
	f.same("structure", []string{"第一章: 第一讲"}, f.outline(c.ID))
}

// CreateCourse stores a new course's status but not PublishedAt: publication time is set by
// UpdateCourse (Publish). (Pinned: what the ent repository stores; no doc comment says.)
func testCreateCourseIgnoresPublishedAt(f *fx) {
	c := f.course(biz.Course{Status: biz.StatusPublished, PublishedAt: ptr(t0)})
	if c.PublishedAt != nil {
		f.Errorf("created course PublishedAt = %v, want nil", c.PublishedAt)
	}
	got := res(f.r.Courses.GetCourse(f.ctx, c.ID, false)).must(f, "GetCourse")
	if got.Status != biz.StatusPublished || got.PublishedAt != nil {
		f.Errorf("stored course status %q published %v, want published and nil", got.Status, got.PublishedAt)
	}
}

// Every course read or write of a missing id is ErrCourseNotFound.
func testCourseNotFound(f *fx) {
	_, err := f.r.Courses.GetCourse(f.ctx, missing, false)
	f.wantErr("GetCourse", err, biz.ErrCourseNotFound)
	_, err = f.r.Courses.GetCourse(f.ctx, missing, true)
	f.wantErr("GetCourse(structure)", err, biz.ErrCourseNotFound)
	_, err = f.r.Courses.UpdateCourse(f.ctx, missing, biz.CoursePatch{Title: ptr("x")})
	f.wantErr("UpdateCourse", err, biz.ErrCourseNotFound)
	_, err = f.r.Courses.UpdateCourse(f.ctx, missing, biz.CoursePatch{})
	f.wantErr("UpdateCourse with an empty patch", err, biz.ErrCourseNotFound)
	f.wantErr("DeleteCourse", f.r.Courses.DeleteCourse(f.ctx, missing), biz.ErrCourseNotFound)
	_, err = f.r.Courses.GetChapter(f.ctx, missing)
	f.wantErr("GetChapter", err, biz.ErrCourseNotFound)
	_, err = f.r.Courses.UpdateChapter(f.ctx, missing, ptr("x"), nil)
	f.wantErr("UpdateChapter(title)", err, biz.ErrCourseNotFound)
	_, err = f.r.Courses.UpdateChapter(f.ctx, missing, nil, ptr(1))
	f.wantErr("UpdateChapter(position)", err, biz.ErrCourseNotFound)
	f.wantErr("DeleteChapter", f.r.Courses.DeleteChapter(f.ctx, missing), biz.ErrCourseNotFound)
	_, err = f.r.Courses.GetLesson(f.ctx, missing)
	f.wantErr("GetLesson", err, biz.ErrCourseNotFound)
	_, err = f.r.Courses.UpdateLesson(f.ctx, missing, biz.LessonPatch{Title: ptr("x")})
	f.wantErr("UpdateLesson", err, biz.ErrCourseNotFound)
	_, err = f.r.Courses.UpdateLesson(f.ctx, missing, biz.LessonPatch{MediaStatus: ptr(biz.MediaReady), IfProcessingKey: ptr("k")})
	f.wantErr("conditional UpdateLesson", err, biz.ErrCourseNotFound)
	f.wantErr("DeleteLesson", f.r.Courses.DeleteLesson(f.ctx, missing), biz.ErrCourseNotFound)

	// Gone after a delete too, and a second delete is not found either.
	c := f.course(biz.Course{})
	f.noErr("DeleteCourse", f.r.Courses.DeleteCourse(f.ctx, c.ID))
	_, err = f.r.Courses.GetCourse(f.ctx, c.ID, false)
	f.wantErr("GetCourse of a deleted course", err, biz.ErrCourseNotFound)
	_, err = f.r.Courses.UpdateCourse(f.ctx, c.ID, biz.CoursePatch{Title: ptr("x")})
	f.wantErr("UpdateCourse of a deleted course", err, biz.ErrCourseNotFound)
	f.wantErr("second DeleteCourse", f.r.Courses.DeleteCourse(f.ctx, c.ID), biz.ErrCourseNotFound)
}

// GetCourses returns the existing courses among ids, each once; unknown ids are left out (biz
// compares counts to find them). (The order is not documented; biz sorts.)
func testGetCourses(f *fx) {
	a := f.course(biz.Course{Title: "甲"})
	b := f.course(biz.Course{Title: "乙", Status: biz.StatusPublished})
	c := f.course(biz.Course{Title: "丙"})
	got := res(f.r.Courses.GetCourses(f.ctx, []int64{c.ID, missing, a.ID, c.ID})).must(f, "GetCourses")
	f.same("GetCourses ids", []int64{a.ID, c.ID}, sortedIDs(got, courseID))
	for _, g := range got {
		want := a
		if g.ID == c.ID {
			want = c
		}
		f.same("GetCourses course", want, g, ignoreStamps)
	}
	f.same("GetCourses(one)", []*biz.Course{b}, res(f.r.Courses.GetCourses(f.ctx, []int64{b.ID})).must(f, "GetCourses"), ignoreStamps)
	for _, ids := range [][]int64{nil, {}, {missing}} {
		if got := res(f.r.Courses.GetCourses(f.ctx, ids)).must(f, "GetCourses"); len(got) != 0 {
			f.Errorf("GetCourses(%v) = %d courses", ids, len(got))
		}
	}
}

// UpdateCourse changes the fields a patch sets and leaves the others; it returns the course as
// stored, and moves UpdatedAt no earlier.
func testUpdateCourse(f *fx) {
	t1 := res(f.r.Courses.CreateTopic(f.ctx, &biz.Topic{Name: "党史"})).must(f, "CreateTopic")
	t2 := res(f.r.Courses.CreateTopic(f.ctx, &biz.Topic{Name: "理论"})).must(f, "CreateTopic")
	c := f.course(biz.Course{Title: "旧名", Summary: "旧简介", CoverURL: "https://a/1.png", TopicID: t1.ID,
		Tags: []string{"a", "b"}, CreditHours: 1})
	other := f.course(biz.Course{Title: "别的课程"})
	want := *c

	check := func(what string, p biz.CoursePatch) {
		f.Helper()
		got := res(f.r.Courses.UpdateCourse(f.ctx, c.ID, p)).must(f, "UpdateCourse "+what)
		f.same("UpdateCourse "+what, &want, got, ignoreStamps)
		if got.UpdatedAt.Before(c.UpdatedAt) {
			f.Errorf("UpdateCourse %s: UpdatedAt %v before %v", what, got.UpdatedAt, c.UpdatedAt)
		}
		if got.CreatedAt.Sub(c.CreatedAt).Abs() > time.Second {
			f.Errorf("UpdateCourse %s: CreatedAt moved from %v to %v", what, c.CreatedAt, got.CreatedAt)
		}
		f.same("GetCourse after "+what, &want, res(f.r.Courses.GetCourse(f.ctx, c.ID, false)).must(f, "GetCourse"), ignoreStamps)
	}
	want.Title = "新名"
	check("title", biz.CoursePatch{Title: &want.Title})
	want.Summary, want.CoverURL, want.TopicID, want.Tags, want.CreditHours = "新简介", "", t2.ID, []string{"c"}, 2.5
	check("several fields", biz.CoursePatch{Summary: &want.Summary, CoverURL: &want.CoverURL, TopicID: &want.TopicID,
		Tags: &[]string{"c"}, CreditHours: &want.CreditHours})
	want.Tags = nil
	check("tags emptied", biz.CoursePatch{Tags: &[]string{}})
	want.TopicID, want.Summary = 0, ""
	check("topic and summary cleared", biz.CoursePatch{TopicID: ptr(int64(0)), Summary: ptr("")})
	check("empty patch", biz.CoursePatch{})
	f.same("the other course", other, res(f.r.Courses.GetCourse(f.ctx, other.ID, false)).must(f, "GetCourse"), ignoreStamps)
}

// Status and PublishedAt are ordinary patch fields: publishing sets both, archiving keeps the
// publication time. (Which transitions are allowed is biz's business, not the repository's.)
func testStatusTransitions(f *fx) {
	c := f.course(biz.Course{})
	pub := res(f.r.Courses.UpdateCourse(f.ctx, c.ID, biz.CoursePatch{Status: ptr(biz.StatusPublished), PublishedAt: ptr(t0)})).must(f, "UpdateCourse(publish)")
	if pub.Status != biz.StatusPublished || pub.PublishedAt == nil || !pub.PublishedAt.Equal(t0) {
		f.Errorf("published = %q at %v, want published at %v", pub.Status, pub.PublishedAt, t0)
	}
	arch := res(f.r.Courses.UpdateCourse(f.ctx, c.ID, biz.CoursePatch{Status: ptr(biz.StatusArchived)})).must(f, "UpdateCourse(archive)")
	got := res(f.r.Courses.GetCourse(f.ctx, c.ID, false)).must(f, "GetCourse")
	for what, x := range map[string]*biz.Course{"UpdateCourse(archive)": arch, "GetCourse": got} {
		if x.Status != biz.StatusArchived || x.PublishedAt == nil || !x.PublishedAt.Equal(t0) {
			f.Errorf("%s = %q at %v, want archived, published at %v", what, x.Status, x.PublishedAt, t0)
		}
	}
	listed := res(f.r.Courses.ListCourses(f.ctx, biz.CourseFilter{Status: biz.StatusArchived, Limit: 10})).must(f, "ListCourses(archived)")
	f.same("archived listing", []int64{c.ID}, idsOf(listed, courseID))
}

// DeleteCourse removes the course with its chapters and lessons, and the uploads of its
// lessons; other courses keep theirs. Assignments stay. (Pinned: the ent repository leaves a
// deleted course's assignments; biz deletes only drafts, which are never assigned.)
func testDeleteCourse(f *fx) {
	c := f.course(biz.Course{Title: "要删的", Status: biz.StatusPublished})
	ch1, ch2 := f.chapter(c.ID, "一", 0), f.chapter(c.ID, "二", 0)
	l1, l2 := f.media(f.lesson(ch1, "甲", 0), biz.MediaProcessing, "lessons/1/k"), f.lesson(ch2, "乙", 0)
	u := f.upload(l1.ID, "lessons/1/k", t0)
	a := f.assign(c.ID, 2, "/1/2/", true, "")

	keep := f.course(biz.Course{Title: "留着的"})
	kch := f.chapter(keep.ID, "一", 0)
	kl := f.media(f.lesson(kch, "丙", 0), biz.MediaProcessing, "lessons/2/k")
	ku := f.upload(kl.ID, "lessons/2/k", t0)

	f.noErr("DeleteCourse", f.r.Courses.DeleteCourse(f.ctx, c.ID))
	_, err := f.r.Courses.GetCourse(f.ctx, c.ID, true)
	f.wantErr("GetCourse", err, biz.ErrCourseNotFound)
	for _, ch := range []*biz.Chapter{ch1, ch2} {
		_, err := f.r.Courses.GetChapter(f.ctx, ch.ID)
		f.wantErr("GetChapter of a deleted course", err, biz.ErrCourseNotFound)
	}
	for _, l := range []*biz.Lesson{l1, l2} {
		_, err := f.r.Courses.GetLesson(f.ctx, l.ID)
		f.wantErr("GetLesson of a deleted course", err, biz.ErrCourseNotFound)
	}
	_, err = f.r.Uploads.Get(f.ctx, u.ID)
	f.wantErr("upload of a deleted course's lesson", err, biz.ErrUploadNotFound)
	if keys := res(f.r.Courses.MediaKeys(f.ctx, c.ID)).must(f, "MediaKeys"); len(keys) != 0 {
		f.Errorf("MediaKeys of a deleted course = %q", keys)
	}
	f.same("processing lessons", []int64{kl.ID},
		idsOf(res(f.r.Courses.LessonsByMediaStatus(f.ctx, biz.MediaProcessing, 10)).must(f, "LessonsByMediaStatus"), lessonID))

	f.same("the other course", []string{"一: 丙"}, f.outline(keep.ID))
	f.same("the other course's upload", ku, res(f.r.Uploads.Get(f.ctx, ku.ID)).must(f, "Uploads.Get"), ignoreStamps)
	f.same("the deleted course's assignment", a, res(f.r.Assignments.Get(f.ctx, a.ID)).must(f, "Assignments.Get"))
}

// ListCourses filters by org subtree (a path prefix, optionally or-owned-by), status, topic and
// title substring, all and-ed, and lists by id. The subtree of "/1/2/" is paths starting with
// it: not "/1/23/", and "/1/" is not "/12/".
func testListCoursesFilters(f *fx) {
	t1 := res(f.r.Courses.CreateTopic(f.ctx, &biz.Topic{Name: "党史"})).must(f, "CreateTopic")
	t2 := res(f.r.Courses.CreateTopic(f.ctx, &biz.Topic{Name: "理论"})).must(f, "CreateTopic")
	a := f.course(biz.Course{Title: "党史学习", OwnerID: 10, OrgID: 2, OrgPath: "/1/2/", TopicID: t1.ID})
	b := f.course(biz.Course{Title: "理论学习", OwnerID: 11, OrgID: 3, OrgPath: "/1/2/3/", TopicID: t2.ID, Status: biz.StatusPublished})
	c := f.course(biz.Course{Title: "党纪法规", OwnerID: 10, OrgID: 4, OrgPath: "/1/4/", TopicID: t1.ID, Status: biz.StatusPublished})
	d := f.course(biz.Course{Title: "党史概要", OwnerID: 12, OrgID: 12, OrgPath: "/12/"})
	e := f.course(biz.Course{Title: "形势政策", OwnerID: 13, OrgID: 23, OrgPath: "/1/23/", Status: biz.StatusArchived})
	g := f.course(biz.Course{Title: "100%_达标", OwnerID: 13, OrgID: 1, OrgPath: "/1/"})

	tests := []struct {
		name string
		f    biz.CourseFilter
		want []*biz.Course
	}{
		{"no filter", biz.CourseFilter{}, []*biz.Course{a, b, c, d, e, g}},
		{"subtree /1/2/", biz.CourseFilter{PathPrefix: "/1/2/"}, []*biz.Course{a, b}},
		{"subtree /1/", biz.CourseFilter{PathPrefix: "/1/"}, []*biz.Course{a, b, c, e, g}},
		{"subtree /1/2/3/", biz.CourseFilter{PathPrefix: "/1/2/3/"}, []*biz.Course{b}},
		{"subtree /9/", biz.CourseFilter{PathPrefix: "/9/"}, nil},
		{"subtree or owner", biz.CourseFilter{PathPrefix: "/1/2/", OrOwnerID: 10}, []*biz.Course{a, b, c}},
		{"subtree or owner of nothing", biz.CourseFilter{PathPrefix: "/1/4/", OrOwnerID: 99}, []*biz.Course{c}},
		{"owner outside every subtree", biz.CourseFilter{PathPrefix: "/1/2/3/", OrOwnerID: 12}, []*biz.Course{b, d}},
		{"owner without a subtree widens nothing", biz.CourseFilter{OrOwnerID: 10}, []*biz.Course{a, b, c, d, e, g}},
		{"status", biz.CourseFilter{Status: biz.StatusPublished}, []*biz.Course{b, c}},
		{"status draft", biz.CourseFilter{Status: biz.StatusDraft}, []*biz.Course{a, d, g}},
		{"topic", biz.CourseFilter{TopicID: t1.ID}, []*biz.Course{a, c}},
		{"query", biz.CourseFilter{Query: "党史"}, []*biz.Course{a, d}},
		{"query in the middle", biz.CourseFilter{Query: "学"}, []*biz.Course{a, b}},
		{"query without match", biz.CourseFilter{Query: "经济"}, nil},
		{"query % is literal", biz.CourseFilter{Query: "%"}, []*biz.Course{g}},
		{"query _ is literal", biz.CourseFilter{Query: "_"}, []*biz.Course{g}},
		{"subtree and status and topic", biz.CourseFilter{PathPrefix: "/1/", Status: biz.StatusPublished, TopicID: t1.ID}, []*biz.Course{c}},
		// The owner widens the subtree only; the other filters apply to both.
		{"(subtree or owner) and status", biz.CourseFilter{PathPrefix: "/1/2/3/", OrOwnerID: 10, Status: biz.StatusPublished}, []*biz.Course{b, c}},
		{"(subtree or owner) and query", biz.CourseFilter{PathPrefix: "/1/2/3/", OrOwnerID: 10, Query: "党"}, []*biz.Course{a, c}},
	}
	for _, tt := range tests {
		tt.f.Limit = 50
		got := res(f.r.Courses.ListCourses(f.ctx, tt.f)).must(f, "ListCourses "+tt.name)
		if f.same("ListCourses "+tt.name, idsOf(tt.want, courseID), idsOf(got, courseID)) && len(got) > 0 {
			f.same("ListCourses "+tt.name+" first course", tt.want[0], got[0], ignoreStamps)
		}
	}
}

// ListCourses pages by id: AfterID starts after an id, Limit caps the page. Limit 0 is no limit
// (pinned: ent's; biz always sets 1..200).
func testListCoursesPagination(f *fx) {
	var all []int64
	for i := range 5 {
		st := biz.StatusDraft
		if i%2 == 1 {
			st = biz.StatusPublished
		}
		all = append(all, f.course(biz.Course{Status: st}).ID)
	}
	list := func(fl biz.CourseFilter) []int64 {
		f.Helper()
		return idsOf(res(f.r.Courses.ListCourses(f.ctx, fl)).must(f, "ListCourses"), courseID)
	}
	var pages [][]int64
	after := int64(0)
	for range 4 {
		p := list(biz.CourseFilter{AfterID: after, Limit: 2})
		pages = append(pages, p)
		if len(p) == 0 {
			break
		}
		after = p[len(p)-1]
	}
	f.same("pages of 2", [][]int64{all[0:2], all[2:4], all[4:5], nil}, pages)
	f.same("limit above the count", all, list(biz.CourseFilter{Limit: 100}))
	f.same("published, after the first", []int64{all[3]}, list(biz.CourseFilter{Status: biz.StatusPublished, AfterID: all[1], Limit: 100}))
	f.same("published, limit 1", []int64{all[1]}, list(biz.CourseFilter{Status: biz.StatusPublished, Limit: 1}))
	f.same("after the last", []int64(nil), list(biz.CourseFilter{AfterID: all[4], Limit: 100}))
	f.same("limit 0", all, list(biz.CourseFilter{}))
}
