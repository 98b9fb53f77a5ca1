package data

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/vanguard/vanguard/app/search/internal/biz"
	"github.com/vanguard/vanguard/pkg/testdb"
)

// openData opens and migrates a search database, closed at the test's end.
func openData(tb testing.TB, driver, dsn string) *Data {
	tb.Helper()
	d, err := Open(driver, dsn)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { d.Close() })
	if err := d.Migrate(context.Background()); err != nil {
		tb.Fatal(err)
	}
	return d
}

func openRepo(t *testing.T, driver, dsn string) biz.Repo { return NewRepo(openData(t, driver, dsn)) }

// TestRepo, on SQLite and PostgreSQL: marks bump their gen; one sync claims an item at a time;
// Finish clears a mark only at its gen and otherwise releases the claim; overdue marks are found
// unless claimed; entries record an item's documents; the reindex moves idle → requested →
// running (taken over once its heartbeat is stale) → idle with the new generation.
func TestRepo(t *testing.T) {
	testdb.Each(t, func(t *testing.T, driver, dsn string) {
		r, ctx := openRepo(t, driver, dsn), context.Background()
		t0 := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		must(r.Mark(ctx, []string{"course:1", "news:2"}, t0, "course.published"))
		must(r.Mark(ctx, []string{"course:1"}, t0.Add(time.Hour), "assignment.changed"))
		m, err := r.Claim(ctx, "course:1", t0, t0.Add(time.Minute))
		if err != nil || m == nil || m.Gen != 2 || !m.Due.Equal(t0) {
			t.Fatalf("Claim = %+v, %v; want gen 2 due %v", m, err, t0)
		}
		if _, err := r.Claim(ctx, "course:1", t0.Add(time.Second), t0.Add(time.Minute)); !errors.Is(err, biz.ErrClaimed) {
			t.Fatalf("a second claim: %v, want ErrClaimed", err)
		}
		if m, err := r.Claim(ctx, "course:404", t0, t0.Add(time.Minute)); m != nil || err != nil {
			t.Fatalf("a claim without a mark = %+v, %v", m, err)
		}
		// An event during the sync: the sync's Finish keeps the mark and releases it.
		must(r.Mark(ctx, []string{"course:1"}, t0, "course.updated"))
		if done, err := r.Finish(ctx, "course:1", 2); done || err != nil {
			t.Fatalf("Finish at an old gen = %v, %v", done, err)
		}
		m, err = r.Claim(ctx, "course:1", t0, t0.Add(time.Minute))
		if err != nil || m == nil || m.Gen != 3 {
			t.Fatalf("the claim after a release = %+v, %v", m, err)
		}
		due, err := r.DueMarks(ctx, t0.Add(time.Second), 10)
		if err != nil || len(due) != 1 || due[0].Item != "news:2" {
			t.Fatalf("DueMarks while course:1 is claimed = %+v, %v", due, err)
		}
		if due, _ := r.DueMarks(ctx, t0.Add(2*time.Minute), 10); len(due) != 2 {
			t.Fatalf("DueMarks once the claim ran out = %+v", due)
		}
		if done, err := r.Finish(ctx, "course:1", 3); !done || err != nil {
			t.Fatalf("Finish = %v, %v", done, err)
		}
		if n, _ := r.Pending(ctx); n != 1 {
			t.Fatalf("Pending = %d", n)
		}

		// One call writes several entries; the next replaces one, deletes another (no documents).
		must(r.PutEntries(ctx, map[string][]string{"course:1": {"course:1", "lesson:5"}, "news:2": {"news:old"}, "news:3": {"news:3"}}, t0))
		must(r.PutEntries(ctx, map[string][]string{"news:2": {"news:2"}, "news:3": nil}, t0.Add(time.Hour)))
		if es, err := r.Entries(ctx, []string{"course:1", "news:2", "news:3", "course:9"}); err != nil || len(es) != 2 ||
			!slices.Equal(es["course:1"], []string{"course:1", "lesson:5"}) || !slices.Equal(es["news:2"], []string{"news:2"}) {
			t.Fatalf("Entries = %v, %v", es, err)
		}
		if since, _ := r.SyncedSince(ctx, t0.Add(time.Minute)); !slices.Equal(since, []string{"news:2"}) {
			t.Fatalf("SyncedSince = %v", since)
		}
		must(r.DropEntriesBefore(ctx, t0.Add(time.Minute)))
		if es, _ := r.Entries(ctx, []string{"course:1"}); len(es) != 0 {
			t.Fatalf("a dropped entry = %v", es)
		}
		must(r.PutEntries(ctx, map[string][]string{"news:2": nil}, t0))
		if es, _ := r.Entries(ctx, []string{"news:2"}); len(es) != 0 {
			t.Fatalf("an emptied entry = %v", es)
		}

		st, err := r.State(ctx)
		if err != nil || st.Generation != 0 || st.Reindex != biz.ReindexIdle {
			t.Fatalf("the first state = %+v, %v", st, err)
		}
		if ok, err := r.ClaimReindex(ctx, t0, t0); ok || err != nil {
			t.Fatalf("claiming an idle reindex = %v, %v", ok, err)
		}
		if ok, _ := r.RequestReindex(ctx, t0); !ok {
			t.Fatal("RequestReindex refused")
		}
		if ok, _ := r.RequestReindex(ctx, t0.Add(time.Second)); ok {
			t.Fatal("a second RequestReindex was taken")
		}
		if ok, _ := r.ClaimReindex(ctx, t0, t0.Add(-2*time.Minute)); !ok {
			t.Fatal("ClaimReindex refused a request")
		}
		if ok, _ := r.ClaimReindex(ctx, t0.Add(time.Minute), t0.Add(-time.Minute)); ok {
			t.Fatal("a running reindex with a fresh heartbeat was taken over")
		}
		if ok, _ := r.ClaimReindex(ctx, t0.Add(3*time.Minute), t0.Add(time.Minute)); !ok {
			t.Fatal("a stale reindex was not taken over")
		}
		must(r.FinishReindex(ctx, 1, 42, t0.Add(4*time.Minute)))
		st, _ = r.State(ctx)
		if st.Generation != 1 || st.Reindex != biz.ReindexIdle || st.Documents != 42 || !st.ReindexedAt.Equal(t0.Add(4*time.Minute)) {
			t.Fatalf("after the reindex: %+v", st)
		}
	})
}

// TestFirstStateReadersRace, on SQLite and PostgreSQL: the state row is created by its first
// reader. When two readers miss it at once, the one whose insert finds the row already there must
// still succeed (ent reports that insert as sql.ErrNoRows; it once reached an admin as a 500).
func TestFirstStateReadersRace(t *testing.T) {
	testdb.Each(t, func(t *testing.T, driver, dsn string) {
		d, ctx := openData(t, driver, dsn), context.Background()
		// The loser's path, made deterministic: the row exists when the second insert runs.
		for i := range 2 {
			if err := createState(ctx, d.Client(ctx)); err != nil {
				t.Fatalf("insert %d of the state row: %v", i+1, err)
			}
		}
		if n := d.Client(ctx).IndexState.Query().CountX(ctx); n != 1 {
			t.Fatalf("%d state rows, want 1", n)
		}
		// And readers at once on a database without the row.
		d.Client(ctx).IndexState.Delete().ExecX(ctx)
		r := NewRepo(d)
		errs := make(chan error, 8)
		for range cap(errs) {
			go func() { _, err := r.State(ctx); errs <- err }()
		}
		for range cap(errs) {
			if err := <-errs; err != nil {
				t.Fatalf("a first reader: %v", err)
			}
		}
	})
}
