package data

import (
	"context"
	"errors"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/vanguard/vanguard/app/search/internal/biz"
	"github.com/vanguard/vanguard/pkg/auth"
	"github.com/vanguard/vanguard/pkg/clock"
	"github.com/vanguard/vanguard/pkg/testdb"
)

// feeds are course's and quiz's feeds as search reaches them: one course and one question, or,
// while down, the error a call to a service that is not up returns.
type feeds struct {
	mu   sync.Mutex
	down bool
}

var errFeedDown = errors.New("rpc error: code = Unavailable desc = connection refused")

func (f *feeds) err() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down {
		return errFeedDown
	}
	return nil
}

func (f *feeds) Courses(context.Context, []int64) ([]*biz.SourceCourse, error) { return nil, f.err() }
func (f *feeds) Posts(context.Context, []int64) ([]*biz.SourcePost, error)     { return nil, f.err() }
func (f *feeds) Questions(context.Context, []int64) ([]*biz.SourceQuestion, error) {
	return nil, f.err()
}

func (f *feeds) ListCourses(_ context.Context, after int64, _ int) ([]*biz.SourceCourse, int64, error) {
	if err := f.err(); err != nil || after > 0 {
		return nil, 0, err
	}
	return []*biz.SourceCourse{{ID: 7, Title: "党章学习", Published: true, OrgPath: "/1/", Assigned: []string{"/1/"}}}, 0, nil
}

func (f *feeds) ListPosts(context.Context, int64, int) ([]*biz.SourcePost, int64, error) {
	return nil, 0, f.err()
}

func (f *feeds) ListQuestions(_ context.Context, after int64, _ int) ([]*biz.SourceQuestion, int64, error) {
	if err := f.err(); err != nil || after > 0 {
		return nil, 0, err
	}
	return []*biz.SourceQuestion{{ID: 9, BankID: 1, BankName: "题库", OrgPath: "/1/", Stem: "四个意识"}}, 0, nil
}

// queued records the reindex tasks queued, by their request time (their task id).
type queued struct {
	mu      sync.Mutex
	reindex []time.Time
	syncs   int
}

func (q *queued) Sync(context.Context, string, time.Time) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.syncs++
	return nil
}

func (q *queued) Reindex(_ context.Context, requested time.Time) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.reindex = append(q.reindex, requested)
	return nil
}

func (q *queued) last() time.Time {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.reindex) == 0 {
		return time.Time{}
	}
	return q.reindex[len(q.reindex)-1]
}

// TestFirstReindexWaitsForTheFeeds, on SQLite and PostgreSQL: the first start's reindex, run
// while course and quiz are not up yet, gives the run back. The reconciler's next pass queues it
// again under a new task id (the old one's retries may still hold its id), and once the feeds
// answer it builds the index. Before, the failed run stayed "running" until its heartbeat went
// stale: no index for minutes, and its retries found it claimed and did nothing.
func TestFirstReindexWaitsForTheFeeds(t *testing.T) {
	testdb.Each(t, func(t *testing.T, driver, dsn string) {
		ctx, d := context.Background(), openData(t, driver, dsn)
		gens := &BleveGenerations{Dir: t.TempDir()}
		index := biz.NewIndex(gens)
		t.Cleanup(func() { index.Close() })
		src, q := &feeds{down: true}, &queued{}
		clk := clock.NewFake(time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC))
		repo := NewRepo(d)
		ix := biz.NewIndexer(biz.IndexerDeps{Index: index, Repo: repo, Sources: src, Sched: q, Clock: clk})

		if err := ix.Reconcile(ctx); err != nil {
			t.Fatal(err)
		}
		first := q.last()
		if !first.Equal(clk.Now()) {
			t.Fatalf("the first reconcile queued %v, want a reindex requested at %v", q.reindex, clk.Now())
		}
		clk.Advance(time.Second)
		if err := ix.Reindex(ctx); err != nil {
			t.Fatalf("a reindex the feeds failed is handed back, not an error for its task to retry: %v", err)
		}
		st, err := repo.State(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if st.Reindex != biz.ReindexRequested || st.Generation != 0 || !st.RequestedAt.Equal(clk.Now()) {
			t.Fatalf("after a failed first reindex: %+v, want requested again at %v", st, clk.Now())
		}
		if _, err := index.Live(); err == nil {
			t.Fatal("a live index without a finished reindex")
		}

		// The reconciler's next pass queues it under a new id; it fails again while the feeds
		// are down, then builds once they answer.
		clk.Advance(time.Minute)
		if err := ix.Reconcile(ctx); err != nil {
			t.Fatal(err)
		}
		if again := q.last(); !again.After(first) {
			t.Fatalf("the reconciler queued %v after the failure, want a request later than %v", q.reindex, first)
		}
		if err := ix.Reindex(ctx); err != nil {
			t.Fatal(err)
		}
		src.mu.Lock()
		src.down = false
		src.mu.Unlock()
		clk.Advance(time.Minute)
		if err := ix.Reconcile(ctx); err != nil {
			t.Fatal(err)
		}
		if err := ix.Reindex(ctx); err != nil {
			t.Fatal(err)
		}
		st, err = repo.State(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if st.Reindex != biz.ReindexIdle || st.Generation != 1 || st.Documents != 2 {
			t.Fatalf("after the feeds answered: %+v, want generation 1 idle with 2 documents", st)
		}
		live, err := index.Live()
		if err != nil {
			t.Fatal(err)
		}
		if n, err := live.Count(ctx); err != nil || n != 2 {
			t.Fatalf("the live index holds %d documents (%v), want 2", n, err)
		}

		// A release never takes a run that is not running.
		if ok, err := repo.ReleaseReindex(ctx, clk.Now()); ok || err != nil {
			t.Fatalf("ReleaseReindex of an idle index = %v, %v", ok, err)
		}
	})
}

// finishHook is the search database with a hook run once right after a reindex's finish has
// committed, before the reindex swaps its engine in.
type finishHook struct {
	biz.Repo
	after func()
}

func (f *finishHook) FinishReindex(ctx context.Context, gen int64, docs int, now time.Time) error {
	if err := f.Repo.FinishReindex(ctx, gen, docs, now); err != nil {
		return err
	}
	if after := f.after; after != nil {
		f.after = nil
		after()
	}
	return nil
}

// TestReconcileBetweenFinishAndSwap, on SQLite and PostgreSQL: a reconciler pass that runs
// after a reindex has committed its new generation but before the reindex swaps it in finds the
// database ahead of the process and makes the generation live itself, with the engine the
// reindex built. The reindex must then neither close that engine nor drop its generation.
// Before, it did both (it dropped "the live generation of the moment"): every search answered
// 500 until the process restarted, and the restarted process found the index gone.
func TestReconcileBetweenFinishAndSwap(t *testing.T) {
	testdb.Each(t, func(t *testing.T, driver, dsn string) {
		ctx, d := context.Background(), openData(t, driver, dsn)
		gens := &BleveGenerations{Dir: t.TempDir()}
		index := biz.NewIndex(gens)
		t.Cleanup(func() { index.Close() })
		clk := clock.NewFake(time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC))
		repo := &finishHook{Repo: NewRepo(d)}
		ix := biz.NewIndexer(biz.IndexerDeps{Index: index, Repo: repo, Sources: &feeds{}, Sched: &queued{}, Clock: clk})
		search := func(want int64) {
			t.Helper()
			if g := index.Generation(); g != want {
				t.Fatalf("live generation %d, want %d", g, want)
			}
			live, err := index.Live()
			if err != nil {
				t.Fatal(err)
			}
			res, err := live.Search(ctx, biz.Query{Text: "党章", Limit: 10, Scope: biz.Scope{Paths: []string{"/1/"}}})
			if err != nil || len(res.Hits) == 0 {
				t.Fatalf("search in generation %d = %+v, %v; want the course", want, res, err)
			}
			if _, err := os.Stat(gens.dir(want)); err != nil {
				t.Fatalf("the live generation's directory: %v", err)
			}
		}
		for gen := int64(1); gen <= 2; gen++ {
			if _, err := ix.RequestReindex(ctx); err != nil {
				t.Fatal(err)
			}
			reconciled := false
			repo.after = func() {
				if err := ix.Reconcile(ctx); err != nil {
					t.Errorf("reconcile between finish and swap: %v", err)
				}
				reconciled = index.Generation() == gen
			}
			clk.Advance(time.Second)
			if err := ix.Reindex(ctx); err != nil {
				t.Fatal(err)
			}
			if !reconciled {
				t.Fatalf("generation %d: the reconciler pass in between did not make it live, so the test tried nothing", gen)
			}
			search(gen)
		}
		if _, err := os.Stat(gens.dir(1)); !os.IsNotExist(err) {
			t.Fatalf("generation 1 after generation 2 went live: %v, want its directory dropped", err)
		}
	})
}

// swapUnder is generation 1's engine: its first search, once armed, runs `during` (a whole
// reindex that swaps generation 2 in and closes this one) before it reaches Bleve.
type swapUnder struct {
	biz.Engine
	during func()
}

func (s *swapUnder) Search(ctx context.Context, q biz.Query) (*biz.Result, error) {
	if during := s.during; during != nil {
		s.during = nil
		during()
	}
	return s.Engine.Search(ctx, q)
}

type gen1Wrapped struct {
	*BleveGenerations
	gen1 *swapUnder
}

func (g *gen1Wrapped) Open(ctx context.Context, gen int64) (biz.Engine, error) {
	e, err := g.BleveGenerations.Open(ctx, gen)
	if err != nil || gen != 1 {
		return e, err
	}
	if g.gen1 == nil || g.gen1.Engine != e {
		g.gen1 = &swapUnder{Engine: e}
	}
	return g.gen1, nil
}

// TestSearchDuringTheSwap, on SQLite and PostgreSQL: a member's search that took the live
// engine just before a reindex swapped the next generation in and closed it is answered by the
// new generation, instead of failing with a 500.
func TestSearchDuringTheSwap(t *testing.T) {
	testdb.Each(t, func(t *testing.T, driver, dsn string) {
		ctx, d := context.Background(), openData(t, driver, dsn)
		gens := &gen1Wrapped{BleveGenerations: &BleveGenerations{Dir: t.TempDir()}}
		index := biz.NewIndex(gens)
		t.Cleanup(func() { index.Close() })
		clk := clock.NewFake(time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC))
		ix := biz.NewIndexer(biz.IndexerDeps{Index: index, Repo: NewRepo(d), Sources: &feeds{}, Sched: &queued{}, Clock: clk})
		reindex := func() {
			t.Helper()
			if _, err := ix.RequestReindex(ctx); err != nil {
				t.Fatal(err)
			}
			clk.Advance(time.Second)
			if err := ix.Reindex(ctx); err != nil {
				t.Fatal(err)
			}
		}
		reindex()
		if index.Generation() != 1 || gens.gen1 == nil {
			t.Fatalf("live generation %d after the first reindex", index.Generation())
		}
		gens.gen1.during = func() {
			reindex()
			if index.Generation() != 2 {
				t.Fatalf("live generation %d after the second reindex, want 2", index.Generation())
			}
		}
		member := auth.NewContext(ctx, &auth.Principal{UserID: 5, Username: "m5", Roles: []string{auth.RoleMember}, OrgPath: "/1/"})
		res, err := biz.NewSearcher(index).Search(member, &biz.Request{Text: "党章", Page: 1, PageSize: 10})
		if err != nil || len(res.Hits) == 0 || res.Hits[0].Doc.ID != "course:7" {
			t.Fatalf("search across the swap = %+v, %v; want the course from generation 2", res, err)
		}
		if gens.gen1.during != nil {
			t.Fatal("the search never ran into the swap")
		}
	})
}
