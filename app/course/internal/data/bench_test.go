package data

// Benchmarks of the course service's data layer, on SQLite and on PostgreSQL. Run with `make
// bench`; they report figures only and assert no timings. MyCourses runs the real biz use case on
// the real repos and the real transaction, wired as app/course/course.go wires them, except the
// org directory (a fake: MyCourses never calls it).

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/vanguard/vanguard/app/course/internal/biz"
	"github.com/vanguard/vanguard/app/course/internal/data/ent"
	"github.com/vanguard/vanguard/app/course/internal/data/ent/course"
	"github.com/vanguard/vanguard/pkg/auth"
	"github.com/vanguard/vanguard/pkg/clock"
	"github.com/vanguard/vanguard/pkg/testdb"
)

// The benchmark org tree, materialised like the org service's: 10 committees × 10 general
// branches × 9 branches = 1,010 orgs. Org ids are dense: committees 1–10, general branches
// 11–110, branches 111–1,010; paths are "/c/", "/c/g/", "/c/g/b/".
const (
	benchCommittees  = 10
	benchGenerals    = 10 // per committee
	benchBranches    = 9  // per general branch
	benchCourseTotal = 10_000
	benchBatch       = 1_000 // rows per bulk insert (and per seeding transaction)
)

// benchOrg is an org of the benchmark tree.
type benchOrg struct {
	ID   int64
	Path string
}

// benchTree is the org tree: generals[c] are committee c's general branches, branches[c][g]
// general branch g's branches.
type benchTree struct {
	committees []benchOrg
	generals   [][]benchOrg
	branches   [][][]benchOrg
	all        []benchOrg // every branch, for rotating members
}

func newBenchTree() *benchTree {
	t := &benchTree{}
	id := int64(0)
	next := func(parent string) benchOrg {
		id++
		return benchOrg{ID: id, Path: fmt.Sprintf("%s%d/", parent, id)}
	}
	for range benchCommittees {
		t.committees = append(t.committees, next("/"))
	}
	t.generals = make([][]benchOrg, benchCommittees)
	for c := range benchCommittees {
		for range benchGenerals {
			t.generals[c] = append(t.generals[c], next(t.committees[c].Path))
		}
	}
	t.branches = make([][][]benchOrg, benchCommittees)
	for c := range benchCommittees {
		t.branches[c] = make([][]benchOrg, benchGenerals)
		for g := range benchGenerals {
			for range benchBranches {
				b := next(t.generals[c][g].Path)
				t.branches[c][g] = append(t.branches[c][g], b)
				t.all = append(t.all, b)
			}
		}
	}
	return t
}

// benchCourse and benchAssignment are the seed rows, kept in memory to check the results.
type benchCourse struct {
	title  string
	status course.Status
	owner  benchOrg
}

type benchAssignment struct {
	course   int // index into the course slice
	org      benchOrg
	required bool
	due      string
}

// benchSeedPlan generates 10,000 courses (85% published, 10% drafts, 5% archived) and 20,000
// assignments: course i gets 1 + i%3 of them, all inside one committee's subtree so that a
// member often inherits the same course twice (committee and general branch, say). 15% go to a
// committee (mostly required, with due dates), 35% to a general branch (half required), 50% to
// a branch (mostly electives). The generator is seeded: every run seeds the same data.
func benchSeedPlan(tree *benchTree) ([]benchCourse, []benchAssignment) {
	rng := rand.New(rand.NewPCG(2026, 7))
	due := func(p float64) string {
		if rng.Float64() >= p {
			return ""
		}
		return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, rng.IntN(365)).Format("2006-01-02")
	}
	courses := make([]benchCourse, benchCourseTotal)
	var as []benchAssignment
	for i := range courses {
		c := rng.IntN(benchCommittees)
		status := course.StatusPublished
		switch r := rng.IntN(20); {
		case r < 2:
			status = course.StatusDraft
		case r < 3:
			status = course.StatusArchived
		}
		owner := tree.committees[c]
		if rng.IntN(2) == 0 {
			owner = tree.generals[c][rng.IntN(benchGenerals)]
		}
		courses[i] = benchCourse{title: fmt.Sprintf("课程%05d", rng.IntN(100_000)), status: status, owner: owner}
		seen := map[int64]bool{}
		for len(seen) < 1+i%3 {
			g := rng.IntN(benchGenerals)
			var a benchAssignment
			switch r := rng.Float64(); {
			case r < 0.15:
				a = benchAssignment{org: tree.committees[c], required: rng.Float64() < 0.9}
				a.due = due(0.8)
			case r < 0.50:
				a = benchAssignment{org: tree.generals[c][g], required: rng.Float64() < 0.5}
				a.due = due(0.5)
			default:
				a = benchAssignment{org: tree.branches[c][g][rng.IntN(benchBranches)], required: rng.Float64() < 0.15}
				a.due = due(0.2)
			}
			if seen[a.org.ID] {
				continue // one assignment per (course, org)
			}
			seen[a.org.ID] = true
			a.course = i
			as = append(as, a)
		}
	}
	return courses, as
}

// benchSeed inserts the plan with bulk inserts through the ent client, one transaction per batch
// of 1,000 rows, and returns the course ids (in plan order).
func benchSeed(b *testing.B, ctx context.Context, d *Data, courses []benchCourse, as []benchAssignment) []int64 {
	b.Helper()
	published := time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC)
	ids := make([]int64, 0, len(courses))
	for lo := 0; lo < len(courses); lo += benchBatch {
		batch := courses[lo:min(lo+benchBatch, len(courses))]
		err := d.InTx(ctx, func(ctx context.Context) error {
			rows, err := d.client(ctx).Course.MapCreateBulk(batch, func(c *ent.CourseCreate, i int) {
				bc := batch[i]
				c.SetTitle(bc.title).SetSummary("基准测试课程").SetTags([]string{"基准"}).SetCreditHours(2).
					SetOwnerID(int64(lo + i + 1)).SetOrgID(bc.owner.ID).SetOrgPath(bc.owner.Path).SetStatus(bc.status)
				if bc.status != course.StatusDraft {
					c.SetPublishedAt(published)
				}
			}).Save(ctx)
			for _, r := range rows {
				ids = append(ids, r.ID)
			}
			return err
		})
		if err != nil {
			b.Fatalf("seed courses %d–%d: %v", lo, lo+len(batch), err)
		}
	}
	for lo := 0; lo < len(as); lo += benchBatch {
		batch := as[lo:min(lo+benchBatch, len(as))]
		err := d.InTx(ctx, func(ctx context.Context) error {
			return d.client(ctx).Assignment.MapCreateBulk(batch, func(c *ent.AssignmentCreate, i int) {
				a := batch[i]
				c.SetCourseID(ids[a.course]).SetOrgID(a.org.ID).SetOrgPath(a.org.Path).SetRequired(a.required).
					SetDueDate(a.due).SetAssignedBy(1)
			}).Exec(ctx)
		})
		if err != nil {
			b.Fatalf("seed assignments %d–%d: %v", lo, lo+len(batch), err)
		}
	}
	nc, err := d.client(ctx).Course.Query().Count(ctx)
	if err != nil || nc != len(courses) {
		b.Fatalf("seeded %d courses (err %v), want %d", nc, err, len(courses))
	}
	na, err := d.client(ctx).Assignment.Query().Count(ctx)
	if err != nil || na != len(as) {
		b.Fatalf("seeded %d assignments (err %v), want %d", na, err, len(as))
	}
	return ids
}

// benchOrgDirectory is the org directory MyCourses is wired with; it must not be called.
type benchOrgDirectory struct{ calls int }

func (o *benchOrgDirectory) GetOrg(context.Context, int64) (*biz.OrgInfo, error) {
	o.calls++
	return nil, errors.New("benchmark: OrgDirectory.GetOrg called")
}

// benchExpected returns, for a member of the org at path, the published courses (by id) the seed
// assigns to it or its ancestors, each with whether any of those assignments is required.
func benchExpected(path string, ids []int64, courses []benchCourse, as []benchAssignment) map[int64]bool {
	want := map[int64]bool{}
	for _, a := range as {
		if len(a.org.Path) > len(path) || path[:len(a.org.Path)] != a.org.Path || courses[a.course].status != course.StatusPublished {
			continue
		}
		want[ids[a.course]] = want[ids[a.course]] || a.required
	}
	return want
}

// benchCheckMyCourses checks one MyCourses result: non-empty, the expected published courses
// each once, with the strongest assignment, ordered required first, then by due date (none
// last), then title.
func benchCheckMyCourses(b *testing.B, got []*biz.MyCourse, want map[int64]bool) {
	b.Helper()
	if len(got) == 0 {
		b.Fatal("MyCourses returned no courses")
	}
	seen := map[int64]bool{}
	for i, m := range got {
		c := m.Course
		if seen[c.ID] {
			b.Fatalf("course %d listed twice", c.ID)
		}
		seen[c.ID] = true
		req, ok := want[c.ID]
		if !ok || c.Status != biz.StatusPublished {
			b.Fatalf("course %d (%s) is not a published course assigned to the member", c.ID, c.Status)
		}
		if m.Required != req {
			b.Fatalf("course %d required = %v, want %v", c.ID, m.Required, req)
		}
		if i == 0 {
			continue
		}
		p := got[i-1]
		switch {
		case p.Required != m.Required:
			if !p.Required {
				b.Fatalf("elective course %d before required course %d", p.Course.ID, c.ID)
			}
		case (p.DueDate == "") != (m.DueDate == ""):
			if p.DueDate == "" {
				b.Fatalf("course %d without due date before course %d due %s", p.Course.ID, c.ID, m.DueDate)
			}
		case p.DueDate != m.DueDate:
			if p.DueDate > m.DueDate {
				b.Fatalf("course %d due %s before course %d due %s", p.Course.ID, p.DueDate, c.ID, m.DueDate)
			}
		case p.Course.Title > c.Title:
			b.Fatalf("course %q before %q with the same due date", p.Course.Title, c.Title)
		}
	}
	if len(got) != len(want) {
		b.Fatalf("MyCourses returned %d courses, want %d", len(got), len(want))
	}
}

// BenchmarkMyCourses lists "my courses" (CourseUsecase.MyCourses: assignments to the member's
// org and its ancestors, then the published courses among them, deduped and sorted) for members
// of branches of a 1,010-org tree holding 10,000 courses and 20,000 assignments, rotating over
// all 900 branches. A branch member inherits ~380 assignments (~330 courses, ~280 published).
func BenchmarkMyCourses(b *testing.B) {
	tree := newBenchTree()
	courses, as := benchSeedPlan(tree)
	run := func(b *testing.B, driver, dsn string) {
		ctx := context.Background()
		d, err := Open(driver, dsn)
		if err != nil {
			b.Fatalf("open %s: %v", driver, err)
		}
		defer d.Close()
		if err := d.Migrate(ctx); err != nil {
			b.Fatalf("migrate %s: %v", driver, err)
		}
		start := time.Now()
		ids := benchSeed(b, ctx, d, courses, as)
		b.Logf("%s: seeded %d courses and %d assignments in %s", driver, len(courses), len(as), time.Since(start).Round(time.Millisecond))

		orgs := &benchOrgDirectory{}
		uc := biz.NewCourseUsecase(NewCourseRepo(d), NewAssignmentRepo(d), orgs, discardEvents{}, nil /* deletes nothing */, d, clock.Real{})
		members := make([]context.Context, len(tree.all))
		for i, br := range tree.all {
			members[i] = auth.NewContext(ctx, &auth.Principal{
				UserID: 100_000 + br.ID, Username: fmt.Sprintf("member%d", br.ID), Roles: []string{auth.RoleMember},
				OrgID: br.ID, OrgPath: br.Path,
			})
		}
		var (
			n, total int
			last     []*biz.MyCourse
			lastOrg  benchOrg
		)
		b.ReportAllocs()
		for b.Loop() {
			k := n % len(members)
			got, err := uc.MyCourses(members[k])
			if err != nil {
				b.Fatal(err)
			}
			n++
			total += len(got)
			last, lastOrg = got, tree.all[k]
		}
		b.StopTimer()
		if orgs.calls != 0 {
			b.Fatalf("MyCourses called the org directory %d times", orgs.calls)
		}
		benchCheckMyCourses(b, last, benchExpected(lastOrg.Path, ids, courses, as))
		b.ReportMetric(float64(total)/float64(n), "courses/op")
	}
	b.Run("sqlite", func(b *testing.B) { run(b, "sqlite", testdb.SQLite(b)) })
	b.Run("postgres", func(b *testing.B) { run(b, "postgres", testdb.Postgres(b)) })
}

// discardEvents drops events (the benchmark measures queries, not the outbox).
type discardEvents struct{}

func (discardEvents) Publish(context.Context, biz.DomainEvent) error { return nil }
