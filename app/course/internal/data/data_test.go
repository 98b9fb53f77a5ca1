package data

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vanguard/vanguard/app/course/internal/biz"
	"github.com/vanguard/vanguard/pkg/testdb"
)

func open(t *testing.T, driver, dsn string) *Data {
	t.Helper()
	d, err := Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	if err := d.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return d
}

func titles[T any](items []T, f func(T) string) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = f(it)
	}
	return out
}

func TestStructureOrdering(t *testing.T) {
	testdb.Each(t, func(t *testing.T, driver, dsn string) {
		ctx := context.Background()
		repo := NewCourseRepo(open(t, driver, dsn))
		c, err := repo.CreateCourse(ctx, &biz.Course{Title: "c", OwnerID: 1, OrgID: 1, OrgPath: "/1/", Status: biz.StatusDraft, Tags: []string{"a"}})
		if err != nil {
			t.Fatal(err)
		}
		mk := func(title string, pos int) *biz.Chapter {
			ch, err := repo.CreateChapter(ctx, &biz.Chapter{CourseID: c.ID, Title: title, Position: pos})
			if err != nil {
				t.Fatal(err)
			}
			return ch
		}
		one := mk("one", 0)
		mk("three", 0)
		mk("two", 2) // inserted between
		zero := mk("zero", 1)
		full, err := repo.GetCourse(ctx, c.ID, true)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"zero", "one", "two", "three"}, titles(full.Chapters, func(c *biz.Chapter) string { return c.Title })); diff != "" {
			t.Fatalf("chapter order (-want +got):\n%s", diff)
		}
		// Move "zero" to the end, then delete "one": positions stay 1..n.
		last := 4
		if _, err := repo.UpdateChapter(ctx, zero.ID, nil, &last); err != nil {
			t.Fatal(err)
		}
		if err := repo.DeleteChapter(ctx, one.ID); err != nil {
			t.Fatal(err)
		}
		full, _ = repo.GetCourse(ctx, c.ID, true)
		var got []string
		for i, ch := range full.Chapters {
			if ch.Position != i+1 {
				t.Fatalf("positions not contiguous: %+v", full.Chapters)
			}
			got = append(got, ch.Title)
		}
		if diff := cmp.Diff([]string{"two", "three", "zero"}, got); diff != "" {
			t.Fatalf("after move/delete (-want +got):\n%s", diff)
		}
		// Lessons order within a chapter and carry their media state.
		l1, _ := repo.CreateLesson(ctx, &biz.Lesson{ChapterID: zero.ID, CourseID: c.ID, Title: "b", Kind: biz.KindVideo, MediaStatus: biz.MediaNone})
		if _, err := repo.CreateLesson(ctx, &biz.Lesson{ChapterID: zero.ID, CourseID: c.ID, Title: "a", Kind: biz.KindArticle, Position: 1, BodyHTML: "<p>x</p>", MediaStatus: biz.MediaNone}); err != nil {
			t.Fatal(err)
		}
		st, key := biz.MediaProcessing, "lessons/1/k/v.mp4"
		if _, err := repo.UpdateLesson(ctx, l1.ID, biz.LessonPatch{MediaStatus: &st, MediaKey: &key}); err != nil {
			t.Fatal(err)
		}
		proc, err := repo.LessonsByMediaStatus(ctx, biz.MediaProcessing, 10)
		if err != nil || len(proc) != 1 || proc[0].ID != l1.ID {
			t.Fatalf("processing = %+v err %v", proc, err)
		}
		keys, _ := repo.MediaKeys(ctx, c.ID)
		if diff := cmp.Diff([]string{key}, keys); diff != "" {
			t.Fatalf("media keys (-want +got):\n%s", diff)
		}
		full, _ = repo.GetCourse(ctx, c.ID, true)
		if got := titles(full.Chapters[2].Lessons, func(l *biz.Lesson) string { return l.Title }); !cmp.Equal(got, []string{"a", "b"}) {
			t.Fatalf("lesson order = %v", got)
		}
		if err := repo.DeleteCourse(ctx, c.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := repo.GetLesson(ctx, l1.ID); !errors.Is(err, biz.ErrCourseNotFound) {
			t.Fatalf("lesson after course delete: %v", err)
		}
	})
}

func TestAssignmentsPlansUploads(t *testing.T) {
	testdb.Each(t, func(t *testing.T, driver, dsn string) {
		ctx := context.Background()
		d := open(t, driver, dsn)
		courses, as, plans, uploads := NewCourseRepo(d), NewAssignmentRepo(d), NewPlanRepo(d), NewUploadRepo(d)
		c, _ := courses.CreateCourse(ctx, &biz.Course{Title: "c", OwnerID: 1, OrgID: 2, OrgPath: "/1/2/", Status: biz.StatusPublished})
		other, _ := courses.CreateCourse(ctx, &biz.Course{Title: "o", OwnerID: 9, OrgID: 3, OrgPath: "/1/3/", Status: biz.StatusDraft})

		// Upsert keeps one row per (course, org) and updates it.
		a1, err := as.Upsert(ctx, &biz.Assignment{CourseID: c.ID, OrgID: 2, OrgPath: "/1/2/", Required: false, AssignedBy: 1})
		if err != nil {
			t.Fatal(err)
		}
		a2, err := as.Upsert(ctx, &biz.Assignment{CourseID: c.ID, OrgID: 2, OrgPath: "/1/2/", Required: true, DueDate: "2026-12-31", AssignedBy: 5})
		if err != nil || a2.ID != a1.ID || !a2.Required || a2.DueDate != "2026-12-31" {
			t.Fatalf("upsert = %+v (first %+v) err %v", a2, a1, err)
		}
		list, _ := as.ListByCourse(ctx, c.ID)
		if len(list) != 1 {
			t.Fatalf("assignments = %d, want 1", len(list))
		}
		for paths, want := range map[string]bool{"/1/|/1/2/|/1/2/7/": true, "/1/|/1/3/": false} {
			got, err := as.AppliesTo(ctx, c.ID, splitPaths(paths))
			if err != nil || got != want {
				t.Fatalf("AppliesTo(%s) = %v err %v", paths, got, err)
			}
		}

		// Management listing: subtree or owner.
		got, err := courses.ListCourses(ctx, biz.CourseFilter{PathPrefix: "/1/2/", OrOwnerID: 9, Limit: 10})
		if err != nil || len(got) != 2 {
			t.Fatalf("subtree-or-owner = %d err %v", len(got), err)
		}
		got, _ = courses.ListCourses(ctx, biz.CourseFilter{PathPrefix: "/1/2/", Limit: 10})
		if len(got) != 1 || got[0].ID != c.ID {
			t.Fatalf("subtree only = %+v", got)
		}
		_ = other

		// Plans come back with their items in date order.
		p, err := plans.Create(ctx, &biz.StudyPlan{OrgID: 2, OrgPath: "/1/2/", Year: 2026, Title: "计划", CreatedBy: 1, Items: []*biz.PlanItem{
			{Title: "二月", StartsOn: "2026-02-01", EndsOn: "2026-02-28", CourseIDs: []int64{c.ID}},
			{Title: "一月", StartsOn: "2026-01-01", EndsOn: "2026-01-31"},
		}})
		if err != nil {
			t.Fatal(err)
		}
		ps, err := plans.List(ctx, []string{"/1/", "/1/2/"}, 2026)
		if err != nil || len(ps) != 1 || ps[0].ID != p.ID {
			t.Fatalf("plans = %+v err %v", ps, err)
		}
		if got := titles(ps[0].Items, func(i *biz.PlanItem) string { return i.Title }); !cmp.Equal(got, []string{"一月", "二月"}) || !cmp.Equal(ps[0].Items[1].CourseIDs, []int64{c.ID}) {
			t.Fatalf("items = %+v", ps[0].Items)
		}
		if ps, _ := plans.List(ctx, []string{"/1/2/"}, 2025); len(ps) != 0 {
			t.Fatal("year filter ignored")
		}

		// Expired pending uploads are found; completed ones are not.
		now := time.Now().UTC().Truncate(time.Second)
		u, err := uploads.Create(ctx, &biz.Upload{LessonID: 1, CreatedBy: 1, ObjectKey: "k", StoreUploadID: "s", FileName: "f", Size: 1, DeclaredType: "video/mp4", PartSize: 1, PartCount: 1, Status: "pending", ExpiresAt: now.Add(-time.Minute)})
		if err != nil {
			t.Fatal(err)
		}
		done, _ := uploads.Create(ctx, &biz.Upload{LessonID: 1, CreatedBy: 1, ObjectKey: "k2", StoreUploadID: "s2", FileName: "f", Size: 1, DeclaredType: "video/mp4", PartSize: 1, PartCount: 1, Status: "pending", ExpiresAt: now.Add(-time.Minute)})
		if err := uploads.SetStatus(ctx, done.ID, "completed", ""); err != nil {
			t.Fatal(err)
		}
		exp, err := uploads.Expired(ctx, now, 10)
		if err != nil || len(exp) != 1 || exp[0].ID != u.ID {
			t.Fatalf("expired = %+v err %v", exp, err)
		}
	})
}

func splitPaths(s string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == '|' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return out
}
