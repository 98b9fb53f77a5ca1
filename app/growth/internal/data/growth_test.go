package data

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/vanguard/vanguard/app/growth/internal/biz"
	"github.com/vanguard/vanguard/pkg/auth"
	"github.com/vanguard/vanguard/pkg/bizerr"
	"github.com/vanguard/vanguard/pkg/clock"
	"github.com/vanguard/vanguard/pkg/testdb"
)

// facts stands in for the other services until growth gathers from them over gRPC (the
// standalone tests will run the real ones): each member's content, changeable by the test.
type facts struct {
	mu sync.Mutex
	m  map[int64]biz.Content
	// during runs once inside the next Gather (an event arriving while a compile runs).
	during func()
}

func (f *facts) Gather(_ context.Context, id int64) (biz.Content, error) {
	f.mu.Lock()
	during := f.during
	f.during = nil
	c := f.m[id]
	f.mu.Unlock()
	if during != nil {
		during()
	}
	return c, nil
}

func (f *facts) set(id int64, c biz.Content) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.m[id] = c
}

func (f *facts) OrgPath(_ context.Context, id int64) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.m[id]
	if !ok {
		return "", biz.ErrNotFound
	}
	return c.Profile.OrgPath, nil
}

// Members is the roster of the nightly compile: every member with facts.
func (f *facts) Members(_ context.Context, after int64, limit int) ([]int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var ids []int64
	for id := range f.m {
		if id > after {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids[:min(limit, len(ids))], nil
}

// tasks records the compiles queued, by task id (member and due time), as Asynq's task ids would.
type tasks struct {
	mu  sync.Mutex
	ids map[string]int
}

func (q *tasks) Schedule(_ context.Context, member int64, due time.Time) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.ids[fmt.Sprintf("%d@%d", member, due.UnixMilli())]++
	return nil
}

func (q *tasks) distinct() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.ids)
}

type auditFake struct {
	mu      sync.Mutex
	entries []biz.AuditEntry
}

func (a *auditFake) Record(_ context.Context, es ...biz.AuditEntry) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.entries = append(a.entries, es...)
	return nil
}

func (a *auditFake) actions() map[string]int {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := map[string]int{}
	for _, e := range a.entries {
		out[e.Action]++
	}
	return out
}

func newGrowth(d *Data, src *facts, clk clock.Clock) (*biz.Growth, *tasks, *auditFake) {
	q, log := &tasks{ids: map[string]int{}}, &auditFake{}
	return biz.NewGrowth(biz.Deps{Files: NewFileRepo(d), Records: NewRecordRepo(d), Marks: NewMarkRepo(d), Sources: src, Members: src,
		Audit: log, Sched: q, Tx: d, Clock: clk}), q, log
}

func as(p *auth.Principal) context.Context { return auth.NewContext(context.Background(), p) }

// TestGrowth runs compile, read and review on SQLite and PostgreSQL.
func TestGrowth(t *testing.T) {
	testdb.Each(t, func(t *testing.T, driver, dsn string) {
		ctx := context.Background()
		clk := clock.NewFake(time.Date(2026, 12, 2, 2, 0, 0, 0, time.UTC))
		src := &facts{m: map[int64]biz.Content{7: content(7, "/1/2/", 86)}}
		uc, _, log := newGrowth(open(t, driver, dsn), src, clk)

		// Compiles: a first version; the same facts again, nothing; new facts, the next version.
		if f, v, err := uc.Compile(ctx, 7, "nightly"); err != nil || v == nil || v.No != 1 || f.Status != biz.StatusPending {
			t.Fatalf("first compile: %+v %+v %v", f, v, err)
		}
		if _, v, err := uc.Compile(ctx, 7, "nightly"); err != nil || v != nil {
			t.Fatalf("unchanged compile made a version: %+v %v", v, err)
		}
		// Racing compiles of changed facts store one version, not two.
		src.set(7, content(7, "/1/2/", 50))
		var wg sync.WaitGroup
		errs := make(chan error, 4)
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, _, err := uc.Compile(ctx, 7, "attempt.graded")
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatalf("racing compile: %v", err)
			}
		}
		member := &auth.Principal{UserID: 7, Username: "liuyi", Roles: []string{auth.RoleMember}, OrgPath: "/1/2/"}
		view, err := uc.Get(as(member), 7, 0)
		if err != nil || view.Version.No != 2 || view.Content.Exams[0].Score != 50 || len(view.Version.Changes) != 1 {
			t.Fatalf("the member's file: %+v %v", view, err)
		}

		// Readers: the member and staff over the branch; not another member, not another branch.
		staff := &auth.Principal{UserID: 3, Username: "sunba", Roles: []string{auth.RoleStaff}, OrgPath: "/1/2/"}
		committee := &auth.Principal{UserID: 2, Username: "committee", Roles: []string{auth.RoleStaff}, OrgPath: "/1/"}
		other := &auth.Principal{UserID: 8, Username: "chener", Roles: []string{auth.RoleMember}, OrgPath: "/1/2/"}
		otherStaff := &auth.Principal{UserID: 4, Username: "zhouqi", Roles: []string{auth.RoleStaff}, OrgPath: "/1/20/"}
		for _, p := range []*auth.Principal{staff, committee} {
			if v, err := uc.Get(as(p), 7, 1); err != nil || v.Version.No != 1 {
				t.Errorf("%s reading version 1: %v", p.Username, err)
			}
		}
		for _, p := range []*auth.Principal{other, otherStaff} {
			if _, err := uc.Get(as(p), 7, 0); !errors.Is(err, biz.ErrNotFound) {
				t.Errorf("%s reading: %v, want not found", p.Username, err)
			}
		}

		// Reviews: not by the member, not by another branch; a return needs its reason.
		if _, err := uc.Review(as(member), 7, 2, true, ""); !errors.As(err, new(*bizerr.PermissionError)) {
			t.Errorf("the member approving their own file: %v, want a denial", err)
		}
		if _, err := uc.Review(as(other), 7, 2, true, ""); !errors.Is(err, biz.ErrNotFound) {
			t.Errorf("another member: %v, want not found", err)
		}
		if _, err := uc.Review(as(otherStaff), 7, 2, true, ""); !errors.Is(err, biz.ErrNotFound) {
			t.Errorf("another branch's staff: %v", err)
		}
		if _, err := uc.Review(as(staff), 7, 2, false, " "); !errors.As(err, new(*bizerr.FieldError)) {
			t.Errorf("a return without a reason: %v, want a field error", err)
		}
		f, err := uc.Review(as(staff), 7, 2, false, "考试成绩未附补考记录")
		if err != nil || f.Status != biz.StatusReturned {
			t.Fatalf("return: %+v %v", f, err)
		}
		// A returned file stays returned while nothing changes, and is pending again after the
		// next compile that changes it.
		if f, _, _ := uc.Compile(ctx, 7, "nightly"); f.Status != biz.StatusReturned {
			t.Fatalf("unchanged compile moved the review: %+v", f)
		}
		src.set(7, content(7, "/1/2/", 75))
		if f, v, err := uc.Compile(ctx, 7, "attempt.graded"); err != nil || v.No != 3 || f.Status != biz.StatusPending {
			t.Fatalf("compile after the return: %+v %+v %v", f, v, err)
		}
		if _, err := uc.Review(as(staff), 7, 2, true, ""); !errors.Is(err, biz.ErrStale) {
			t.Errorf("approving an old version: %v", err)
		}
		if f, err := uc.Review(as(committee), 7, 3, true, "同意"); err != nil || f.Status != biz.StatusApproved || f.Approved != 3 {
			t.Fatalf("approve: %+v %v", f, err)
		}
		if _, err := uc.Review(as(staff), 7, 3, false, "再看看"); !errors.Is(err, biz.ErrLocked) {
			t.Errorf("returning an approved version: %v", err)
		}
		// Staff's reads and reviews are audited (the two reads of version 1, the return and the
		// approval); the member's own reads are not.
		if got := log.actions(); got["growth.view"] != 2 || got["growth.review"] != 2 || len(got) != 2 {
			t.Errorf("audit: %v", got)
		}
	})
}

// TestCompiles runs the debounce, the compile task, the reconciler and the nightly compile on
// SQLite and PostgreSQL.
func TestCompiles(t *testing.T) {
	testdb.Each(t, func(t *testing.T, driver, dsn string) {
		ctx := context.Background()
		clk := clock.NewFake(time.Date(2026, 12, 2, 16, 0, 0, 0, time.UTC)) // midnight in Beijing: the nightly compile waits for 02:00
		src := &facts{m: map[int64]biz.Content{7: content(7, "/1/2/", 86), 9: content(9, "/1/2/", 70)}}
		d := open(t, driver, dsn)
		uc, q, _ := newGrowth(d, src, clk)
		c := biz.NewCompiler(uc, src)
		marks := NewMarkRepo(d)

		// 100 events of a burst, each in its own transaction and queueing its task: one task.
		for i := range 100 {
			if err := d.InTx(ctx, func(ctx context.Context) error { return c.Mark(ctx, 7, "hours.credited") }); err != nil {
				t.Fatal(err)
			}
			c.Kick(ctx, 7)
			if i%10 == 0 {
				clk.Advance(100 * time.Millisecond) // the burst lasts a second, inside the debounce
			}
		}
		if n := q.distinct(); n != 1 {
			t.Fatalf("100 events queued %d distinct tasks, want 1", n)
		}
		m, err := marks.GetMark(ctx, 7)
		if err != nil || m.Gen != 100 {
			t.Fatalf("mark: %+v %v", m, err)
		}
		// The task, at its due time, compiles once and clears the mark.
		clk.Advance(biz.Debounce)
		if err := c.Run(ctx, 7); err != nil {
			t.Fatal(err)
		}
		vs, err := d.FileRepo().ListVersions(ctx, 7)
		if err != nil || len(vs) != 1 || vs[0].Trigger != "hours.credited" {
			t.Fatalf("versions after the burst: %+v %v", vs, err)
		}
		if _, err := marks.GetMark(ctx, 7); !errors.Is(err, biz.ErrNotFound) {
			t.Fatalf("the mark outlived its compile: %v", err)
		}
		// A task run again (a retry) finds no mark: no compile.
		if err := c.Run(ctx, 7); err != nil {
			t.Fatal(err)
		}
		if vs, _ := d.FileRepo().ListVersions(ctx, 7); len(vs) != 1 {
			t.Fatalf("a retried task compiled again: %d versions", len(vs))
		}

		// An event while a compile runs: the compile keeps the mark and queues the next one after
		// the debounce, which compiles what the event brought.
		if err := c.Mark(ctx, 7, "attempt.graded"); err != nil {
			t.Fatal(err)
		}
		src.during = func() {
			src.set(7, content(7, "/1/2/", 99))
			if err := c.Mark(ctx, 7, "attempt.graded"); err != nil {
				t.Error(err)
			}
		}
		clk.Advance(biz.Debounce)
		queued := q.distinct()
		if err := c.Run(ctx, 7); err != nil {
			t.Fatal(err)
		}
		if m, err := marks.GetMark(ctx, 7); err != nil || !m.Due.After(clk.Now()) || q.distinct() != queued+1 {
			t.Fatalf("an event during the compile: mark %+v %v, tasks %d→%d", m, err, queued, q.distinct())
		}
		clk.Advance(biz.Debounce)
		if err := c.Run(ctx, 7); err != nil {
			t.Fatal(err)
		}
		if f, err := d.FileRepo().GetFile(ctx, 7); err != nil || f.Latest != 2 {
			t.Fatalf("the compile after the event: %+v %v", f, err)
		}
		if _, err := marks.GetMark(ctx, 7); !errors.Is(err, biz.ErrNotFound) {
			t.Fatalf("the mark outlived the second compile: %v", err)
		}

		// A mark whose task was lost (Redis lost it) is queued again by the reconciler once it
		// is a minute overdue, and only then.
		if err := c.Mark(ctx, 9, "meeting.recorded"); err != nil {
			t.Fatal(err)
		}
		before := q.distinct()
		clk.Advance(30 * time.Second)
		if n, err := c.Reconcile(ctx); err != nil || n != 0 {
			t.Fatalf("reconcile before the mark is lost: %d %v", n, err)
		}
		clk.Advance(time.Minute)
		if n, err := c.Reconcile(ctx); err != nil || n != 1 || q.distinct() != before+1 {
			t.Fatalf("reconcile: %d %v, tasks %d→%d", n, err, before, q.distinct())
		}

		// The nightly compile: not before 02:00 in Beijing; then once a day, over the roster and
		// the files; the next day again.
		night := time.Date(2026, 12, 2, 17, 30, 0, 0, time.UTC) // 01:30 on the 3rd in Beijing
		if n, err := c.Nightly(ctx, night); err != nil || n != 0 {
			t.Fatalf("nightly before its hour: %d %v", n, err)
		}
		src.set(11, content(11, "/1/3/", 90))
		night = night.Add(time.Hour)
		if n, err := c.Nightly(ctx, night); err != nil || n != 3 {
			t.Fatalf("nightly: %d %v, want 3 members", n, err)
		}
		if n, err := c.Nightly(ctx, night.Add(time.Hour)); err != nil || n != 0 {
			t.Fatalf("nightly twice a day: %d %v", n, err)
		}
		for _, id := range []int64{7, 9, 11} {
			m, err := marks.GetMark(ctx, id)
			if err != nil || m.Due.After(night) {
				t.Fatalf("member %d not marked for the night: %+v %v", id, m, err)
			}
		}
		if m, _ := marks.GetMark(ctx, 9); m.Trigger != "meeting.recorded" || m.Gen != 2 {
			t.Errorf("the nightly compile replaced a pending mark's trigger: %+v", m)
		}
		if n, err := c.Nightly(ctx, night.Add(24*time.Hour)); err != nil || n != 3 {
			t.Fatalf("the next night: %d %v", n, err)
		}
	})
}
