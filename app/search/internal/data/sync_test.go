package data

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/vanguard/vanguard/app/search/internal/biz"
	"github.com/vanguard/vanguard/pkg/clock"
	"github.com/vanguard/vanguard/pkg/testdb"
)

// shelf is course's feed over a set of courses that the test changes; during, when set, runs
// inside each Courses call (an event arriving while a sync reads).
type shelf struct {
	feeds
	mu      sync.Mutex
	courses map[int64]*biz.SourceCourse
	calls   [][]int64
	during  func()
}

func (s *shelf) Courses(_ context.Context, ids []int64) ([]*biz.SourceCourse, error) {
	if err := s.err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.calls = append(s.calls, slices.Clone(ids))
	var out []*biz.SourceCourse
	for _, id := range ids {
		if c, ok := s.courses[id]; ok {
			out = append(out, c)
		}
	}
	during := s.during
	s.during = nil
	s.mu.Unlock()
	if during != nil {
		during()
	}
	return out, nil
}

// TestSyncWritesTheDueItemsTogether, on SQLite and PostgreSQL: one sync task writes its item and
// the others already due, in one read per kind and one engine write. An item another sync holds
// and one not yet due are left to their own tasks; a course its owner no longer has loses its
// documents; an event during the sync keeps that item's mark and queues it again. When the
// owner does not answer, every claim is released and every mark stays.
func TestSyncWritesTheDueItemsTogether(t *testing.T) {
	testdb.Each(t, func(t *testing.T, driver, dsn string) {
		ctx, d := context.Background(), openData(t, driver, dsn)
		gens := &BleveGenerations{Dir: t.TempDir()}
		index := biz.NewIndex(gens)
		t.Cleanup(func() { index.Close() })
		if err := index.Use(ctx, 1); err != nil {
			t.Fatal(err)
		}
		live, _ := index.Live()
		src := &shelf{courses: map[int64]*biz.SourceCourse{}}
		for id := int64(1); id <= 6; id++ {
			src.courses[id] = benchCourse(id)
		}
		q := &queued{}
		clk := clock.NewFake(time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC))
		repo := NewRepo(d)
		ix := biz.NewIndexer(biz.IndexerDeps{Index: index, Repo: repo, Sources: src, Sched: q, Clock: clk, Debounce: time.Second})
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		item := func(id int64) string { return biz.Item(biz.ItemCourse, id) }
		// First sync: every course in, one by one (nothing else due).
		for id := int64(1); id <= 6; id++ {
			_, err := ix.Mark(ctx, []string{item(id)}, "course.published")
			must(err)
			clk.Advance(2 * time.Second)
			must(ix.Sync(ctx, item(id)))
		}
		if n, _ := live.Count(ctx); n != 24 {
			t.Fatalf("%d documents after six courses, want 24", n)
		}

		// Five changes due together, one held by another sync, one not yet due.
		must2 := func(_ time.Time, err error) { must(err) }
		must2(ix.Mark(ctx, []string{item(1), item(2), item(3), item(4)}, "course.updated"))
		clk.Advance(2 * time.Second)
		must2(ix.Mark(ctx, []string{item(5)}, "course.updated")) // due in a second
		if _, err := repo.Claim(ctx, item(4), clk.Now(), clk.Now().Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		delete(src.courses, 3) // the owner deleted it
		src.courses[2] = &biz.SourceCourse{ID: 2, Title: "改后的课程", Published: true, OrgPath: "/1/2/", Assigned: []string{"/1/2/"}}
		src.during = func() { // course 2 changes again while the sync reads
			_, err := ix.Mark(ctx, []string{item(2)}, "course.updated")
			must(err)
		}
		src.calls, q.reindex = nil, nil
		q.mu.Lock()
		syncsBefore := q.syncs
		q.mu.Unlock()
		must(ix.Sync(ctx, item(1)))
		if len(src.calls) != 1 || !slices.Equal(src.calls[0], []int64{1, 2, 3}) { // one call: fewer than feedChunk
			t.Fatalf("the feed was asked %v, want [[1 2 3]] (4 held, 5 not due)", src.calls)
		}
		if n, _ := live.Count(ctx); n != 24-4-3 {
			t.Fatalf("%d documents, want %d (course 3's four gone, course 2 down to one)", n, 24-4-3)
		}
		marks, err := repo.DueMarks(ctx, clk.Now().Add(time.Hour), 10)
		must(err)
		var left []string
		for _, m := range marks {
			left = append(left, m.Item)
		}
		slices.Sort(left)
		if want := []string{item(2), item(4), item(5)}; !slices.Equal(left, want) {
			t.Fatalf("marks left %v, want %v", left, want)
		}
		q.mu.Lock()
		requeued := q.syncs - syncsBefore
		q.mu.Unlock()
		if requeued != 1 {
			t.Fatalf("%d syncs queued again, want 1 (course 2, changed during the sync)", requeued)
		}

		// The owner down: the claims go back, the marks stay.
		clk.Advance(2 * time.Minute)
		src.mu.Lock()
		src.down = true
		src.mu.Unlock()
		if err := ix.Sync(ctx, item(2)); err == nil {
			t.Fatal("a sync whose owner did not answer succeeded")
		}
		for _, it := range []string{item(2), item(4), item(5)} {
			m, err := repo.Claim(ctx, it, clk.Now(), clk.Now().Add(time.Minute))
			if err != nil || m == nil {
				t.Fatalf("%s after the failed sync: %+v, %v; want its mark, unclaimed", it, m, err)
			}
		}
	})
}

// TestSyncReadsTheFeedInChunks, on SQLite and PostgreSQL: a sync that takes 20 due courses
// along asks course's feed for at most 8 at a time (a course's lessons carry their text: one
// call for the whole batch could pass gRPC's message limit) and writes every one.
func TestSyncReadsTheFeedInChunks(t *testing.T) {
	testdb.Each(t, func(t *testing.T, driver, dsn string) {
		ctx, d := context.Background(), openData(t, driver, dsn)
		index := biz.NewIndex(&BleveGenerations{Dir: t.TempDir()})
		t.Cleanup(func() { index.Close() })
		if err := index.Use(ctx, 1); err != nil {
			t.Fatal(err)
		}
		src := &shelf{courses: map[int64]*biz.SourceCourse{}}
		var items []string
		for id := int64(1); id <= 20; id++ {
			src.courses[id] = benchCourse(id)
			items = append(items, biz.Item(biz.ItemCourse, id))
		}
		clk := clock.NewFake(time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC))
		ix := biz.NewIndexer(biz.IndexerDeps{Index: index, Repo: NewRepo(d), Sources: src, Sched: &queued{}, Clock: clk, Debounce: time.Second})
		if _, err := ix.Mark(ctx, items, "course.published"); err != nil {
			t.Fatal(err)
		}
		clk.Advance(2 * time.Second)
		if err := ix.Sync(ctx, items[0]); err != nil {
			t.Fatal(err)
		}
		var sizes []int
		var asked []int64
		for _, c := range src.calls {
			sizes = append(sizes, len(c))
			asked = append(asked, c...)
		}
		slices.Sort(asked)
		if !slices.Equal(sizes, []int{8, 8, 4}) || len(slices.Compact(asked)) != 20 || asked[0] != 1 || asked[19] != 20 {
			t.Fatalf("the feed was asked %v, want the 20 courses in calls of 8, 8 and 4", src.calls)
		}
		live, _ := index.Live()
		if n, _ := live.Count(ctx); n != 80 {
			t.Fatalf("%d documents after one sync of 20 courses, want 80", n)
		}
	})
}
