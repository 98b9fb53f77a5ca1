package biz

import (
	"testing"
)

// The course lifecycle announces itself: publish, an edit of a published course, assignment and
// unassignment, archive, and deletion of a draft each write one event in their transaction;
// refused actions write none.
func TestCourseEventsAreAnnounced(t *testing.T) {
	e := newTestEnv(t)
	f := e.seedPermFixture()
	kinds := func() []string {
		var out []string
		for _, ev := range e.db.events() {
			switch x := ev.(type) {
			case CourseChanged:
				out = append(out, string(x.Kind))
			case AssignmentChanged:
				if x.Removed {
					out = append(out, "unassigned")
				} else {
					out = append(out, "assigned")
				}
			case LessonMediaReady:
				out = append(out, "media_ready")
			}
		}
		return out
	}
	if _, err := e.courses.Publish(e.as("trainerB"), f.draft.ID); err == nil {
		t.Fatal("outsider published")
	}
	if got := kinds(); len(got) != 0 {
		t.Fatalf("a refused publish announced %v", got)
	}
	if _, err := e.courses.Publish(e.as("owner"), f.draft.ID); err != nil {
		t.Fatal(err)
	}
	summary := "新的简介"
	if _, err := e.courses.Update(e.as("owner"), f.draft.ID, CoursePatch{Summary: &summary}); err != nil {
		t.Fatal(err)
	}
	as, err := e.courses.Assign(e.as("staffA"), f.draft.ID, []int64{testOrgs["A"].ID}, true, "2026-12-31")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.courses.Unassign(e.as("staffA"), as[0].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.courses.Archive(e.as("owner"), f.draft.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.courses.Archive(e.as("owner"), f.draft.ID); err != nil {
		t.Fatal(err)
	}
	other := e.seedCourse("草稿", "A", "owner", StatusDraft)
	if err := e.courses.Delete(e.as("owner"), other.ID); err != nil {
		t.Fatal(err)
	}
	want := []string{"published", "updated", "assigned", "unassigned", "archived", "deleted"}
	got := kinds()
	if len(got) != len(want) {
		t.Fatalf("events = %v, want %v (archiving twice announces once)", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("events = %v, want %v", got, want)
		}
	}
	evs := e.db.events()
	pub := evs[0].(CourseChanged)
	if pub.Course.ID != f.draft.ID || pub.Course.OrgPath != testOrgs["A"].Path || pub.Course.Status != StatusPublished || pub.Course.Chapters != nil {
		t.Fatalf("published event = %+v", pub.Course)
	}
	if up := evs[1].(CourseChanged); up.Course.Summary != summary {
		t.Fatalf("updated event summary = %q", up.Course.Summary)
	}
	if a := evs[2].(AssignmentChanged).Assignment; a.OrgPath != testOrgs["A"].Path || !a.Required || a.DueDate != "2026-12-31" {
		t.Fatalf("assignment event = %+v", a)
	}
}
