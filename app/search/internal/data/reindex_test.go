package data

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/vanguard/vanguard/app/search/internal/biz"
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
