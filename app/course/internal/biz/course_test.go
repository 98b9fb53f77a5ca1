package biz

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// permFixture is one draft and one published course, both owned by "owner" (trainer of A) and
// owned by org A; the published one is assigned to G, so members of A (below G) study it.
type permFixture struct {
	draft, published *Course
	draftLesson      *Lesson // a ready video lesson of the draft
	pubLesson        *Lesson // a ready video lesson of the published course
}

func (e *testEnv) seedPermFixture() permFixture {
	e.t.Helper()
	var f permFixture
	ready := func(l *Lesson) {
		l.MediaStatus, l.MediaKey, l.MediaContentType, l.DurationSeconds = MediaReady, "", "video/mp4", 60
	}
	f.draft = e.seedCourse("草稿课程", "A", "owner", StatusDraft)
	f.draftLesson = e.seedLesson(e.seedChapter(f.draft.ID, "第一章").ID, "视频", KindVideo, ready)
	f.published = e.seedCourse("已发布课程", "A", "owner", StatusPublished)
	f.pubLesson = e.seedLesson(e.seedChapter(f.published.ID, "第一章").ID, "视频", KindVideo, ready)
	e.seedAssignment(f.published.ID, "G", true, "")
	for _, l := range []*Lesson{f.draftLesson, f.pubLesson} {
		key := e.seedMedia(l.ID, mp4File("isom", 1000, 60000, 16), "video/mp4")
		if _, err := (fakeCourseRepo{e.db}).UpdateLesson(e.t.Context(), l.ID, LessonPatch{MediaKey: &key}); err != nil {
			e.t.Fatal(err)
		}
	}
	return f
}

// Who may see which course (Get): the management view for editors and for trainers and staff
// over the owning org; published-and-assigned for everyone else; 404 otherwise.
func TestCourseGetVisibility(t *testing.T) {
	tests := []struct {
		as               string
		draft, published any // nil: visible; ErrCourseNotFound: hidden
	}{
		{"owner", nil, nil},
		{"exOwner", ErrCourseNotFound, nil}, // lost the trainer role; A is still in the assignment's subtree
		{"trainerA2", nil, nil},             // trainer of the same org
		{"trainerG", nil, nil},              // trainer of the parent org: A is in its subtree
		{"trainerB", ErrCourseNotFound, ErrCourseNotFound},
		{"staffA", nil, nil},
		{"staffG", nil, nil},
		{"staffB", ErrCourseNotFound, ErrCourseNotFound},
		{"memberA", ErrCourseNotFound, nil}, // assigned to G, A's parent
		{"memberG", ErrCourseNotFound, nil},
		{"memberB", ErrCourseNotFound, ErrCourseNotFound},
		{"admin", nil, nil},
	}
	e := newTestEnv(t)
	f := e.seedPermFixture()
	e.seedAssignment(f.draft.ID, "A", true, "") // an assignment does not reveal a draft
	for _, tt := range tests {
		t.Run(tt.as, func(t *testing.T) {
			for _, c := range []struct {
				course *Course
				want   any
			}{{f.draft, tt.draft}, {f.published, tt.published}} {
				got, err := e.courses.Get(e.as(tt.as), c.course.ID)
				wantErrKind(t, err, c.want)
				if c.want != nil {
					if got != nil {
						t.Errorf("course %q returned alongside %v", c.course.Title, err)
					}
					continue
				}
				if got.ID != c.course.ID || len(got.Chapters) != 1 || len(got.Chapters[0].Lessons) != 1 {
					t.Errorf("Get(%q) = %+v, want the course with its structure", c.course.Title, got)
				}
			}
		})
	}

	// Archiving hides a course from members even though the assignment stays.
	if _, err := e.courses.Archive(e.as("owner"), f.published.ID); err != nil {
		t.Fatal(err)
	}
	_, err := e.courses.Get(e.as("memberA"), f.published.ID)
	wantErrKind(t, err, ErrCourseNotFound)
	_, err = e.courses.Get(e.as("staffA"), f.published.ID)
	wantErrKind(t, err, nil)

	_, err = e.courses.Get(e.as("admin"), 9999)
	wantErrKind(t, err, ErrCourseNotFound)
}

// Update: editors succeed; those who see but may not edit get a denial; the rest 404. A failed
// update leaves the store untouched.
func TestCourseUpdatePermissions(t *testing.T) {
	tests := []struct {
		as               string
		draft, published any
	}{
		{"owner", nil, nil},
		{"exOwner", ErrCourseNotFound, &PermissionError{}},
		{"trainerA2", &PermissionError{}, &PermissionError{}},
		{"trainerG", &PermissionError{}, &PermissionError{}},
		{"trainerB", ErrCourseNotFound, ErrCourseNotFound},
		{"staffA", nil, nil},
		{"staffG", nil, nil},
		{"staffB", ErrCourseNotFound, ErrCourseNotFound},
		{"memberA", ErrCourseNotFound, &PermissionError{}},
		{"memberB", ErrCourseNotFound, ErrCourseNotFound},
		{"admin", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.as, func(t *testing.T) {
			e := newTestEnv(t)
			f := e.seedPermFixture()
			for _, c := range []struct {
				course *Course
				want   any
			}{{f.draft, tt.draft}, {f.published, tt.published}} {
				before := e.db.snapshot()
				summary := "新的简介 by " + tt.as
				got, err := e.courses.Update(e.as(tt.as), c.course.ID, CoursePatch{Summary: &summary})
				wantErrKind(t, err, c.want)
				if c.want != nil {
					if diff := cmp.Diff(before, e.db.snapshot()); diff != "" {
						t.Errorf("failed update of %q changed the store (-before +after):\n%s", c.course.Title, diff)
					}
					continue
				}
				if got.Summary != summary || e.db.course(c.course.ID).Summary != summary {
					t.Errorf("summary of %q = %q (stored %q), want %q", c.course.Title, got.Summary, e.db.course(c.course.ID).Summary, summary)
				}
			}
		})
	}
}

// Structural changes (chapters) need a draft; the permission check comes first.
func TestCreateChapterPermissionsAndState(t *testing.T) {
	tests := []struct {
		as               string
		draft, published any
	}{
		{"owner", nil, &StateError{}},
		{"trainerA2", &PermissionError{}, &PermissionError{}},
		{"trainerB", ErrCourseNotFound, ErrCourseNotFound},
		{"staffA", nil, &StateError{}},
		{"staffG", nil, &StateError{}},
		{"staffB", ErrCourseNotFound, ErrCourseNotFound},
		{"memberA", ErrCourseNotFound, &PermissionError{}},
		{"memberB", ErrCourseNotFound, ErrCourseNotFound},
		{"admin", nil, &StateError{}},
	}
	for _, tt := range tests {
		t.Run(tt.as, func(t *testing.T) {
			e := newTestEnv(t)
			f := e.seedPermFixture()
			for _, c := range []struct {
				course *Course
				want   any
			}{{f.draft, tt.draft}, {f.published, tt.published}} {
				before := e.db.snapshot()
				ch, err := e.courses.CreateChapter(e.as(tt.as), c.course.ID, " 第二章 ", 0)
				wantErrKind(t, err, c.want)
				if c.want != nil {
					if diff := cmp.Diff(before, e.db.snapshot()); diff != "" {
						t.Errorf("refused chapter changed the store:\n%s", diff)
					}
					continue
				}
				if ch.Title != "第二章" || ch.Position != 2 || ch.CourseID != c.course.ID {
					t.Errorf("chapter = %+v, want trimmed title at position 2", ch)
				}
			}
		})
	}
}

func TestCourseCreate(t *testing.T) {
	tests := []struct {
		name    string
		as      string
		in      NewCourse
		want    any
		wantOrg string
	}{
		{"trainer in own org", "owner", NewCourse{Title: "课"}, nil, "A"},
		{"own org named explicitly", "owner", NewCourse{Title: "课", OrgID: 3}, nil, "A"},
		{"trainer for an org below", "trainerG", NewCourse{Title: "课", OrgID: 3}, nil, "A"},
		{"staff for an org below", "staffG", NewCourse{Title: "课", OrgID: 3}, nil, "A"},
		{"admin anywhere", "admin", NewCourse{Title: "课", OrgID: 4}, nil, "B"},
		{"staff for the parent org", "staffA", NewCourse{Title: "课", OrgID: 2}, &PermissionError{}, ""},
		{"trainer for the parent org", "owner", NewCourse{Title: "课", OrgID: 2}, &PermissionError{}, ""},
		{"trainer for a sibling org", "trainerB", NewCourse{Title: "课", OrgID: 3}, ErrOrgNotFound, ""},
		{"member", "memberA", NewCourse{Title: "课"}, &PermissionError{}, ""},
		{"empty title", "owner", NewCourse{Title: " "}, &FieldError{Field: "title"}, ""},
		{"long title", "owner", NewCourse{Title: strings.Repeat("学", 101)}, &FieldError{Field: "title"}, ""},
		{"unknown topic", "owner", NewCourse{Title: "课", TopicID: 999}, &FieldError{Field: "topic_id"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t)
			before := e.db.snapshot()
			got, err := e.courses.Create(e.as(tt.as), tt.in)
			wantErrKind(t, err, tt.want)
			if tt.want != nil {
				if diff := cmp.Diff(before, e.db.snapshot()); diff != "" {
					t.Errorf("refused create changed the store:\n%s", diff)
				}
				return
			}
			o := testOrgs[tt.wantOrg]
			if got.OrgID != o.ID || got.OrgPath != o.Path || got.OwnerID != principal(tt.as).UserID || got.Status != StatusDraft {
				t.Errorf("course = %+v, want a draft of %s owned by %s", got, tt.wantOrg, tt.as)
			}
		})
	}
}

// Chapters and lessons keep their order: inserting at a position shifts the later ones.
func TestCourseStructureOrder(t *testing.T) {
	e := newTestEnv(t)
	ctx := e.as("owner")
	c, err := e.courses.Create(ctx, NewCourse{Title: " 党史学习 ", Tags: []string{" 党史", "党史", "", "理论 "}})
	if err != nil {
		t.Fatal(err)
	}
	if c.Status != StatusDraft || c.OrgPath != testOrgs["A"].Path || c.OwnerID != 10 || c.Title != "党史学习" {
		t.Fatalf("created %+v", c)
	}
	if diff := cmp.Diff([]string{"党史", "理论"}, c.Tags); diff != "" {
		t.Errorf("tags (-want +got):\n%s", diff)
	}
	ch2, _ := e.courses.CreateChapter(ctx, c.ID, "二", 0)
	ch1, _ := e.courses.CreateChapter(ctx, c.ID, "一", 1)
	l2, _ := e.courses.CreateLesson(ctx, ch1.ID, "1.2", KindArticle, "<p>b</p>", 0)
	if _, err := e.courses.CreateLesson(ctx, ch1.ID, "1.1", KindArticle, `<p onclick="x()">a<script>alert(1)</script></p>`, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := e.courses.CreateLesson(ctx, ch2.ID, "2.1", KindVideo, "", 0); err != nil {
		t.Fatal(err)
	}
	_, err = e.courses.CreateLesson(ctx, ch2.ID, "x", KindVideo, "<p>body</p>", 0)
	wantErrKind(t, err, &FieldError{Field: "body_html"})
	_, err = e.courses.CreateLesson(ctx, ch2.ID, "x", "quiz", "", 0)
	wantErrKind(t, err, &FieldError{Field: "kind"})

	got, err := e.courses.Get(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	var titles []string
	for _, ch := range got.Chapters {
		titles = append(titles, ch.Title+":")
		for _, l := range ch.Lessons {
			titles = append(titles, l.Title)
			if strings.Contains(l.BodyHTML, "script") || strings.Contains(l.BodyHTML, "onclick") {
				t.Errorf("article body not sanitised: %q", l.BodyHTML)
			}
		}
	}
	if diff := cmp.Diff([]string{"一:", "1.1", "1.2", "二:", "2.1"}, titles); diff != "" {
		t.Errorf("structure (-want +got):\n%s", diff)
	}

	// Moving a lesson to the front renumbers its chapter.
	if _, err := e.courses.UpdateLesson(ctx, l2.ID, nil, nil, ptr(1), nil); err != nil {
		t.Fatal(err)
	}
	got, _ = e.courses.Get(ctx, c.ID)
	if first := got.Chapters[0].Lessons[0]; first.ID != l2.ID || first.Position != 1 || got.Chapters[0].Lessons[1].Position != 2 {
		t.Errorf("after the move, lessons = %+v, %+v", first, got.Chapters[0].Lessons[1])
	}
	// Moving it to the second chapter; never to a chapter of another course or none at all,
	// and a refused move changes nothing.
	other, err := e.courses.Create(ctx, NewCourse{Title: "另一门课"})
	if err != nil {
		t.Fatal(err)
	}
	foreign, _ := e.courses.CreateChapter(ctx, other.ID, "外", 0)
	before := e.db.snapshot()
	for _, to := range []int64{foreign.ID, 99999} {
		_, err := e.courses.UpdateLesson(ctx, l2.ID, nil, nil, nil, ptr(to))
		wantErrKind(t, err, &FieldError{Field: "chapter_id"})
	}
	if diff := cmp.Diff(before, e.db.snapshot()); diff != "" {
		t.Errorf("refused moves changed the store:\n%s", diff)
	}
	moved, err := e.courses.UpdateLesson(ctx, l2.ID, nil, nil, ptr(1), ptr(ch2.ID))
	if err != nil {
		t.Fatal(err)
	}
	got, _ = e.courses.Get(ctx, c.ID)
	if moved.ChapterID != ch2.ID || len(got.Chapters[0].Lessons) != 1 || got.Chapters[0].Lessons[0].Position != 1 ||
		got.Chapters[1].Lessons[0].ID != l2.ID || got.Chapters[1].Lessons[1].Position != 2 {
		t.Errorf("after the move across, chapters = %+v / %+v", got.Chapters[0].Lessons, got.Chapters[1].Lessons)
	}
}

func TestPublishPermissions(t *testing.T) {
	tests := []struct {
		as   string
		want any
	}{
		{"owner", nil},
		{"exOwner", ErrCourseNotFound},
		{"trainerA2", &PermissionError{}},
		{"trainerB", ErrCourseNotFound},
		{"staffA", nil},
		{"staffG", nil},
		{"staffB", ErrCourseNotFound},
		{"memberA", ErrCourseNotFound},
		{"memberB", ErrCourseNotFound},
		{"admin", nil},
	}
	for _, tt := range tests {
		t.Run(tt.as, func(t *testing.T) {
			e := newTestEnv(t)
			f := e.seedPermFixture()
			before := e.db.snapshot()
			got, err := e.courses.Publish(e.as(tt.as), f.draft.ID)
			wantErrKind(t, err, tt.want)
			if tt.want != nil {
				if got != nil {
					t.Error("course returned with the error")
				}
				if diff := cmp.Diff(before, e.db.snapshot()); diff != "" {
					t.Errorf("refused publish changed the store:\n%s", diff)
				}
				return
			}
			if got.Status != StatusPublished {
				t.Errorf("status = %q", got.Status)
			}
		})
	}
}

// Publish needs at least one lesson, every article non-empty and every media lesson ready.
func TestPublishRules(t *testing.T) {
	tests := []struct {
		name  string
		build func(e *testEnv, c *Course)
		want  any
		msg   string // part of the StateError message
	}{
		{"no chapters", func(*testEnv, *Course) {}, &StateError{}, "没有任何课时"},
		{"chapter without lessons", func(e *testEnv, c *Course) { e.seedChapter(c.ID, "空章") }, &StateError{}, "没有任何课时"},
		{"empty article", func(e *testEnv, c *Course) {
			ch := e.seedChapter(c.ID, "一")
			e.seedLesson(ch.ID, "好文章", KindArticle, nil)
			e.seedLesson(ch.ID, "空文章", KindArticle, func(l *Lesson) { l.BodyHTML = " \n\t " })
		}, &StateError{}, "空文章"},
		{"video processing", func(e *testEnv, c *Course) {
			e.seedLesson(e.seedChapter(c.ID, "一").ID, "处理中视频", KindVideo, func(l *Lesson) { l.MediaStatus = MediaProcessing })
		}, &StateError{}, "处理中视频"},
		{"audio never uploaded", func(e *testEnv, c *Course) {
			e.seedLesson(e.seedChapter(c.ID, "一").ID, "没有音频", KindAudio, nil)
		}, &StateError{}, "没有音频"},
		{"document failed", func(e *testEnv, c *Course) {
			e.seedLesson(e.seedChapter(c.ID, "一").ID, "坏文档", KindDocument, func(l *Lesson) { l.MediaStatus = MediaFailed })
		}, &StateError{}, "坏文档"},
		{"bad lesson in a later chapter", func(e *testEnv, c *Course) {
			e.seedLesson(e.seedChapter(c.ID, "一").ID, "好文章", KindArticle, nil)
			e.seedLesson(e.seedChapter(c.ID, "二").ID, "未就绪", KindVideo, func(l *Lesson) { l.MediaStatus = MediaProcessing })
		}, &StateError{}, "未就绪"},
		{"complete", func(e *testEnv, c *Course) {
			ch := e.seedChapter(c.ID, "一")
			e.seedLesson(ch.ID, "文章", KindArticle, nil)
			e.seedLesson(ch.ID, "视频", KindVideo, func(l *Lesson) { l.MediaStatus = MediaReady })
			e.seedLesson(e.seedChapter(c.ID, "空章").ID, "文档", KindDocument, func(l *Lesson) { l.MediaStatus = MediaReady })
		}, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t)
			c := e.seedCourse("课程", "A", "owner", StatusDraft)
			tt.build(e, c)
			e.clk.Advance(90 * time.Minute)
			before := e.db.snapshot()
			got, err := e.courses.Publish(e.as("owner"), c.ID)
			wantErrKind(t, err, tt.want)
			if tt.want != nil {
				if !strings.Contains(err.Error(), tt.msg) {
					t.Errorf("message %q does not mention %q", err.Error(), tt.msg)
				}
				if diff := cmp.Diff(before, e.db.snapshot()); diff != "" {
					t.Errorf("refused publish changed the store:\n%s", diff)
				}
				return
			}
			wantAt := testT0.Add(90 * time.Minute)
			if got.Status != StatusPublished || got.PublishedAt == nil || !got.PublishedAt.Equal(wantAt) {
				t.Fatalf("published: status %q at %v, want published at %v", got.Status, got.PublishedAt, wantAt)
			}
			if stored := e.db.course(c.ID); stored.Status != StatusPublished || !stored.PublishedAt.Equal(wantAt) {
				t.Errorf("stored: status %q at %v", stored.Status, stored.PublishedAt)
			}
			if len(got.Chapters) != 2 {
				t.Errorf("published course returned without its structure: %d chapters", len(got.Chapters))
			}

			// Publishing again is a no-op that keeps the first publication time.
			e.clk.Advance(time.Hour)
			before = e.db.snapshot()
			again, err := e.courses.Publish(e.as("staffG"), c.ID)
			if err != nil {
				t.Fatalf("second publish: %v", err)
			}
			if !again.PublishedAt.Equal(wantAt) {
				t.Errorf("second publish moved PublishedAt to %v", again.PublishedAt)
			}
			if diff := cmp.Diff(before, e.db.snapshot()); diff != "" {
				t.Errorf("second publish changed the store:\n%s", diff)
			}

			// Archived courses cannot be published again.
			if _, err := e.courses.Archive(e.as("owner"), c.ID); err != nil {
				t.Fatal(err)
			}
			_, err = e.courses.Publish(e.as("owner"), c.ID)
			wantErrKind(t, err, &StateError{})
		})
	}
}

// Published courses change only in safe fields; archived ones not at all; status never
// changes through Update.
func TestUpdateByStatus(t *testing.T) {
	tests := []struct {
		name   string
		status Status
		patch  CoursePatch
		want   any
	}{
		{"draft title", StatusDraft, CoursePatch{Title: ptr(" 新名称 ")}, nil},
		{"draft credit hours", StatusDraft, CoursePatch{CreditHours: ptr(2.5)}, nil},
		{"draft empty title", StatusDraft, CoursePatch{Title: ptr("  ")}, &FieldError{Field: "title"}},
		{"draft title too long", StatusDraft, CoursePatch{Title: ptr(strings.Repeat("党", 101))}, &FieldError{Field: "title"}},
		{"draft unknown topic", StatusDraft, CoursePatch{TopicID: ptr(int64(999))}, &FieldError{Field: "topic_id"}},
		{"published title", StatusPublished, CoursePatch{Title: ptr("新名称")}, &StateError{}},
		{"published credit hours", StatusPublished, CoursePatch{CreditHours: ptr(3.0)}, &StateError{}},
		{"published title with summary", StatusPublished, CoursePatch{Title: ptr("新名称"), Summary: ptr("s")}, &StateError{}},
		{"published summary", StatusPublished, CoursePatch{Summary: ptr(" 新简介")}, nil},
		{"published tags", StatusPublished, CoursePatch{Tags: &[]string{"a", " a ", "b"}}, nil},
		{"published cover", StatusPublished, CoursePatch{CoverURL: ptr("https://x/c.png")}, nil},
		{"archived summary", StatusArchived, CoursePatch{Summary: ptr("s")}, &StateError{}},
		{"archived tags", StatusArchived, CoursePatch{Tags: &[]string{"a"}}, &StateError{}},
		{"archived title", StatusArchived, CoursePatch{Title: ptr("新名称")}, &StateError{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t)
			c := e.seedCourse("课程", "A", "owner", tt.status)
			before := e.db.snapshot()
			got, err := e.courses.Update(e.as("owner"), c.ID, tt.patch)
			wantErrKind(t, err, tt.want)
			if tt.want != nil {
				if diff := cmp.Diff(before, e.db.snapshot()); diff != "" {
					t.Errorf("refused update changed the store:\n%s", diff)
				}
				return
			}
			stored := e.db.course(c.ID)
			if diff := cmp.Diff(stored, cloneCourse(got)); diff != "" {
				t.Errorf("returned course differs from stored (-stored +got):\n%s", diff)
			}
			switch {
			case tt.patch.Title != nil && stored.Title != strings.TrimSpace(*tt.patch.Title):
				t.Errorf("title = %q", stored.Title)
			case tt.patch.Summary != nil && stored.Summary != *tt.patch.Summary:
				t.Errorf("summary = %q", stored.Summary)
			case tt.patch.Tags != nil && !cmp.Equal(stored.Tags, []string{"a", "b"}):
				t.Errorf("tags = %q, want normalised [a b]", stored.Tags)
			case tt.patch.CreditHours != nil && stored.CreditHours != *tt.patch.CreditHours:
				t.Errorf("credit hours = %v", stored.CreditHours)
			}
		})
	}

	t.Run("status and publication time are not patchable", func(t *testing.T) {
		e := newTestEnv(t)
		c := e.seedCourse("课程", "A", "owner", StatusDraft)
		now := testT0
		got, err := e.courses.Update(e.as("owner"), c.ID, CoursePatch{Status: ptr(StatusPublished), PublishedAt: &now, Summary: ptr("s")})
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != StatusDraft || got.PublishedAt != nil {
			t.Errorf("Update changed status to %q / PublishedAt %v", got.Status, got.PublishedAt)
		}
	})
}
