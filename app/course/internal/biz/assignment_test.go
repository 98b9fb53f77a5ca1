package biz

import (
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// Assign: only staff and admins, only published courses they can see, only to orgs they manage.
func TestAssignPermissions(t *testing.T) {
	tests := []struct {
		name   string
		as     string
		course string // "published" or "draft"
		to     []string
		want   any
	}{
		{"staff of owning org to own org", "staffA", "published", []string{"A"}, nil},
		{"staff of parent org to its subtree", "staffG", "published", []string{"G", "A"}, nil},
		{"admin anywhere", "admin", "published", []string{"ROOT", "B"}, nil},
		{"staff of owning org to its parent", "staffA", "published", []string{"G"}, &PermissionError{}},
		{"staff of parent org to a sibling subtree", "staffG", "published", []string{"B"}, ErrOrgNotFound}, // B is invisible to staff of G
		{"staff of sibling cannot see the course", "staffB", "published", []string{"B"}, ErrCourseNotFound},
		{"owner trainer", "owner", "published", []string{"A"}, &PermissionError{}},
		{"trainer of parent", "trainerG", "published", []string{"A"}, &PermissionError{}},
		{"member", "memberA", "published", []string{"A"}, &PermissionError{}},
		{"draft", "staffG", "draft", []string{"A"}, &StateError{}},
		{"draft by admin", "admin", "draft", []string{"A"}, &StateError{}},
		{"unknown org", "admin", "published", []string{"A", "NOPE"}, ErrOrgNotFound},
		// The first org is allowed, the second is not: nothing is assigned.
		{"all or nothing", "staffA", "published", []string{"A", "G"}, &PermissionError{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t)
			f := e.seedPermFixture()
			c := f.published
			if tt.course == "draft" {
				c = f.draft
			}
			var ids []int64
			for _, o := range tt.to {
				id := int64(999)
				if org := testOrgs[o]; org != nil {
					id = org.ID
				}
				ids = append(ids, id)
			}
			before := e.db.snapshot()
			got, err := e.courses.Assign(e.as(tt.as), c.ID, ids, false, "2025-06-30")
			wantErrKind(t, err, tt.want)
			if tt.want != nil {
				if diff := cmp.Diff(before, e.db.snapshot()); diff != "" {
					t.Errorf("refused assignment changed the store:\n%s", diff)
				}
				return
			}
			// The fixture's assignment to G (required) plus the new ones.
			stored := e.db.assignmentsOf(c.ID)
			if diff := cmp.Diff(stored, derefAll(got)); diff != "" {
				t.Errorf("returned assignments differ from stored (-stored +got):\n%s", diff)
			}
			for _, o := range tt.to {
				a := findAssignment(stored, testOrgs[o].ID)
				if a == nil {
					t.Fatalf("no assignment to %s", o)
				}
				if a.Required || a.DueDate != "2025-06-30" || a.OrgPath != testOrgs[o].Path || a.AssignedBy != principal(tt.as).UserID {
					t.Errorf("assignment to %s = %+v", o, a)
				}
			}
		})
	}
}

func derefAll(as []*Assignment) []Assignment {
	var out []Assignment
	for _, a := range as {
		out = append(out, *a)
	}
	return out
}

func findAssignment(as []Assignment, orgID int64) *Assignment {
	for i := range as {
		if as[i].OrgID == orgID {
			return &as[i]
		}
	}
	return nil
}

// Re-assigning updates the one assignment per (course, org); a bad due date is refused first.
func TestAssignUpsertAndDueDate(t *testing.T) {
	e := newTestEnv(t)
	f := e.seedPermFixture()
	ctx := e.as("staffG")
	if _, err := e.courses.Assign(ctx, f.published.ID, []int64{3}, false, ""); err != nil {
		t.Fatal(err)
	}
	got, err := e.courses.Assign(ctx, f.published.ID, []int64{3, 3}, true, "2025-03-31")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 { // G (fixture) and A
		t.Fatalf("assignments = %d, want 2: %+v", len(got), derefAll(got))
	}
	if a := findAssignment(derefAll(got), 3); a == nil || !a.Required || a.DueDate != "2025-03-31" {
		t.Errorf("assignment to A = %+v, want required due 2025-03-31", a)
	}
	for _, due := range []string{"2025-3-31", "2025-02-30", "31/03/2025", "2025-03-31T00:00"} {
		_, err := e.courses.Assign(ctx, f.published.ID, []int64{3}, true, due)
		wantErrKind(t, err, &FieldError{Field: "due_date"})
	}
}

// Playback URLs go to those who may view the course; everyone else gets a 404 and no URL.
func TestPlaybackPermissions(t *testing.T) {
	tests := []struct {
		as               string
		draft, published any
	}{
		{"owner", nil, nil},
		{"trainerA2", nil, nil},
		{"trainerB", ErrCourseNotFound, ErrCourseNotFound},
		{"staffG", nil, nil},
		{"staffB", ErrCourseNotFound, ErrCourseNotFound},
		{"memberA", ErrCourseNotFound, nil},
		{"memberB", ErrCourseNotFound, ErrCourseNotFound},
		{"admin", nil, nil},
	}
	e := newTestEnv(t)
	f := e.seedPermFixture()
	for _, tt := range tests {
		t.Run(tt.as, func(t *testing.T) {
			for _, c := range []struct {
				lesson *Lesson
				want   any
			}{{f.draftLesson, tt.draft}, {f.pubLesson, tt.published}} {
				pb, err := e.media.Playback(e.as(tt.as), c.lesson.ID)
				wantErrKind(t, err, c.want)
				if c.want != nil {
					if pb != nil {
						t.Errorf("playback %+v returned with %v", pb, err)
					}
					continue
				}
				if pb.URL == "" || pb.ContentType != "video/mp4" || pb.Lesson.ID != c.lesson.ID {
					t.Fatalf("playback = %+v", pb)
				}
				if rec := e.do(http.MethodGet, pb.URL, nil); rec.Code != http.StatusOK || rec.Body.Len() == 0 {
					t.Errorf("GET playback URL: %d", rec.Code)
				}
			}
		})
	}
	_, err := e.media.Playback(e.as("admin"), 9999)
	wantErrKind(t, err, ErrCourseNotFound)
}

// Playback URLs live at most 15 minutes (a longer configured TTL falls back to 10), and media
// that is not ready has no URL.
func TestPlaybackTTLAndReadiness(t *testing.T) {
	e := newTestEnv(t, func(c *MediaConfig) { c.PlaybackTTL = 2 * time.Hour })
	f := e.seedPermFixture()
	pb, err := e.media.Playback(e.as("memberA"), f.pubLesson.ID)
	if err != nil {
		t.Fatal(err)
	}
	if want := testT0.Add(10 * time.Minute); !pb.ExpiresAt.Equal(want) {
		t.Errorf("ExpiresAt = %v, want %v", pb.ExpiresAt, want)
	}
	e.clk.Advance(10*time.Minute + 2*time.Second)
	if rec := e.do(http.MethodGet, pb.URL, nil); rec.Code != http.StatusForbidden {
		t.Errorf("GET after expiry: %d, want 403", rec.Code)
	}

	for _, st := range []MediaStatus{MediaNone, MediaProcessing, MediaFailed} {
		l := e.seedLesson(e.seedChapter(f.draft.ID, "章").ID, "未就绪", KindVideo, func(l *Lesson) {
			l.MediaStatus, l.MediaKey = st, "lessons/x/y/z"
		})
		pb, err := e.media.Playback(e.as("owner"), l.ID)
		wantErrKind(t, err, ErrMediaNotReady)
		if pb != nil {
			t.Errorf("%s: playback returned", st)
		}
	}
	art := e.seedLesson(e.seedChapter(f.draft.ID, "章").ID, "文章", KindArticle, nil)
	_, err = e.media.Playback(e.as("owner"), art.ID)
	wantErrKind(t, err, ErrMediaNotReady)
}

// MyCourses: each published course assigned to the caller's org or an ancestor appears once,
// with its strongest assignment, ordered required → due date (none last) → title.
func TestMyCourses(t *testing.T) {
	e := newTestEnv(t)
	pub := func(title string) *Course { return e.seedCourse(title, "G", "staffG", StatusPublished) }

	beta := pub("Beta")
	e.seedAssignment(beta.ID, "ROOT", false, "2025-01-01") // elective first…
	e.seedAssignment(beta.ID, "A", true, "2025-03-01")     // …then required at two levels:
	e.seedAssignment(beta.ID, "G", true, "2025-02-01")     // the earliest required due date wins

	alpha := pub("Alpha")
	e.seedAssignment(alpha.ID, "G", false, "2025-01-01")
	e.seedAssignment(alpha.ID, "ROOT", true, "") // required beats elective, even without a date

	gamma := pub("Gamma")
	e.seedAssignment(gamma.ID, "ROOT", false, "2025-03-01")
	e.seedAssignment(gamma.ID, "A", false, "2025-01-15")
	e.seedAssignment(gamma.ID, "G", false, "")

	aardvark := pub("Aardvark")
	e.seedAssignment(aardvark.ID, "G", true, "2025-02-01") // same due date as Beta: title decides

	kappa := pub("Kappa")
	e.seedAssignment(kappa.ID, "A", true, "")
	e.seedAssignment(kappa.ID, "G", true, "2025-05-01") // a date beats none among equals

	omega := pub("Omega")
	e.seedAssignment(omega.ID, "ROOT", false, "")

	draft := e.seedCourse("Draft", "G", "staffG", StatusDraft)
	e.seedAssignment(draft.ID, "A", true, "2025-01-01")
	archived := e.seedCourse("Archived", "G", "staffG", StatusArchived)
	e.seedAssignment(archived.ID, "G", true, "2025-01-01")
	sibling := e.seedCourse("Sibling", "B", "staffB", StatusPublished)
	e.seedAssignment(sibling.ID, "B", true, "2025-01-01")

	type row struct {
		Title    string
		Required bool
		Due      string
	}
	rows := func(as string) []row {
		t.Helper()
		got, err := e.courses.MyCourses(e.as(as))
		if err != nil {
			t.Fatal(err)
		}
		var out []row
		for _, m := range got {
			out = append(out, row{m.Course.Title, m.Required, m.DueDate})
		}
		return out
	}
	wantA := []row{
		{"Aardvark", true, "2025-02-01"},
		{"Beta", true, "2025-02-01"},
		{"Kappa", true, "2025-05-01"},
		{"Alpha", true, ""},
		{"Gamma", false, "2025-01-15"},
		{"Omega", false, ""},
	}
	if diff := cmp.Diff(wantA, rows("memberA")); diff != "" {
		t.Errorf("MyCourses of memberA (-want +got):\n%s", diff)
	}
	// A member of G does not get what was assigned to A below it.
	wantG := []row{
		{"Aardvark", true, "2025-02-01"},
		{"Beta", true, "2025-02-01"},
		{"Kappa", true, "2025-05-01"},
		{"Alpha", true, ""},
		{"Gamma", false, "2025-03-01"},
		{"Omega", false, ""},
	}
	if diff := cmp.Diff(wantG, rows("memberG")); diff != "" {
		t.Errorf("MyCourses of memberG (-want +got):\n%s", diff)
	}
	// Only what ROOT and B assigned; the sibling subtree's course appears for B alone.
	wantB := []row{
		{"Sibling", true, "2025-01-01"},
		{"Alpha", true, ""},
		{"Beta", false, "2025-01-01"},
		{"Gamma", false, "2025-03-01"},
		{"Omega", false, ""},
	}
	if diff := cmp.Diff(wantB, rows("memberB")); diff != "" {
		t.Errorf("MyCourses of memberB (-want +got):\n%s", diff)
	}
}

// Members see a published course assigned to an ancestor, including its ListAssignments only
// through staff rules; staff outside the owning org see the assignments in their subtree.
func TestListAssignmentsScope(t *testing.T) {
	e := newTestEnv(t)
	f := e.seedPermFixture() // assigned to G
	e.seedAssignment(f.published.ID, "B", false, "")
	tests := []struct {
		as   string
		want any
		orgs []int64
	}{
		{"owner", nil, []int64{2, 4}},
		{"staffG", nil, []int64{2, 4}},
		{"staffB", nil, []int64{4}},
		{"memberA", &PermissionError{}, nil},
		{"trainerB", &PermissionError{}, nil}, // sees the course through B's assignment, not its assignments
		{"memberB", &PermissionError{}, nil},
	}
	for _, tt := range tests {
		got, err := e.courses.ListAssignments(e.as(tt.as), f.published.ID)
		wantErrKind(t, err, tt.want)
		var orgs []int64
		for _, a := range got {
			orgs = append(orgs, a.OrgID)
		}
		if diff := cmp.Diff(tt.orgs, orgs); diff != "" {
			t.Errorf("%s: assigned orgs (-want +got):\n%s", tt.as, diff)
		}
	}
	_, err := e.courses.ListAssignments(e.as("staffB"), f.draft.ID)
	wantErrKind(t, err, ErrCourseNotFound)
}
