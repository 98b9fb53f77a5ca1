package queue_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/vanguard/vanguard/pkg/queue"
)

// pendingLessons stands in for a course database: lessons whose media is still "processing".
type pendingLessons struct {
	mu  sync.Mutex
	ids []int64
}

func (p *pendingLessons) list() []int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.ids)
}

// runReconciler starts r in the background; the returned function stops it (also at cleanup).
func runReconciler(t *testing.T, r *queue.Reconciler) (stop func(ctx context.Context) error) {
	t.Helper()
	res := make(chan error, 1)
	go func() { res <- r.Start(context.Background()) }()
	var once sync.Once
	var stopErr error
	stop = func(ctx context.Context) error {
		once.Do(func() {
			stopErr = r.Stop(ctx)
			if stopErr == nil {
				stopErr = <-res
			}
		})
		return stopErr
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := stop(ctx); err != nil {
			t.Errorf("stop reconciler: %v", err)
		}
	})
	return stop
}

func TestReconcilerRefillsQueueWithoutDuplicates(t *testing.T) {
	forEachRedis(t, func(t *testing.T, opt asynq.RedisClientOpt) {
		logger, _ := newLogger(t)
		c := newClient(t, opt)
		in := newInspector(t, opt)
		db := &pendingLessons{ids: []int64{3, 5, 8}}
		var passes atomic.Int32
		pass := func(ctx context.Context) error {
			defer passes.Add(1)
			for _, id := range db.list() {
				task := asynq.NewTask("media:probe", fmt.Appendf(nil, `{"lesson_id":%d}`, id))
				if err := c.Enqueue(ctx, task, asynq.Queue(testQueue), asynq.TaskID(queue.TaskID("media:probe", id))); err != nil {
					return err
				}
			}
			return nil
		}
		pendingIDs := func() []string {
			tasks, err := in.ListPendingTasks(testQueue)
			if err != nil && !errors.Is(err, asynq.ErrQueueNotFound) {
				t.Fatal(err)
			}
			var ids []string
			for _, task := range tasks {
				ids = append(ids, task.ID)
			}
			slices.Sort(ids)
			return ids
		}
		want := []string{"media:probe:3", "media:probe:5", "media:probe:8"}

		r := queue.NewReconciler("course-media", 40*time.Millisecond, pass, logger)
		runReconciler(t, r)
		waitFor(t, 5*time.Second, "several passes", func() bool { return passes.Load() >= 4 })
		if diff := cmp.Diff(want, pendingIDs()); diff != "" {
			t.Fatalf("pending tasks after %d passes (-want +got):\n%s", passes.Load(), diff)
		}

		// The queue loses everything (embedded Redis restarted); the next passes refill it from
		// the database, which meanwhile gained a lesson.
		rc := redis.NewClient(&redis.Options{Addr: opt.Addr, DB: opt.DB})
		defer rc.Close()
		db.mu.Lock()
		if err := rc.FlushDB(context.Background()).Err(); err != nil {
			t.Fatal(err)
		}
		db.ids = append(db.ids, 13)
		db.mu.Unlock()
		want = append(want, "media:probe:13")
		slices.Sort(want)
		waitFor(t, 5*time.Second, "queue refilled", func() bool { return slices.Equal(pendingIDs(), want) })
		after := passes.Load()
		waitFor(t, 5*time.Second, "more passes", func() bool { return passes.Load() >= after+2 })
		if diff := cmp.Diff(want, pendingIDs()); diff != "" {
			t.Errorf("pending tasks after refill (-want +got):\n%s", diff)
		}
	})
}

func TestReconcilerRunsAtStartThenPeriodically(t *testing.T) {
	logger, _ := newLogger(t)
	var passes atomic.Int32
	firstPass := make(chan time.Time, 1)
	r := queue.NewReconciler("test", 200*time.Millisecond, func(context.Context) error {
		if passes.Add(1) == 1 {
			firstPass <- time.Now()
		}
		return nil
	}, logger)
	begin := time.Now()
	stop := runReconciler(t, r)
	select {
	case at := <-firstPass:
		if d := at.Sub(begin); d > 100*time.Millisecond {
			t.Errorf("first pass ran %v after start, want at once", d)
		}
	case <-time.After(time.Second):
		t.Fatal("no pass at start")
	}
	time.Sleep(700 * time.Millisecond)
	// Passes at 0 and about every 200ms (±10%): 4 by 700ms, and never more than 5.
	if n := passes.Load(); n < 3 || n > 5 {
		t.Errorf("passes after ~700ms with a 200ms interval = %d, want 3..5", n)
	}
	if err := stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	n := passes.Load()
	time.Sleep(300 * time.Millisecond)
	if got := passes.Load(); got != n {
		t.Errorf("%d passes ran after Stop", got-n)
	}
}

func TestReconcilerSurvivesFailures(t *testing.T) {
	logger, logs := newLogger(t)
	var passes atomic.Int32
	r := queue.NewReconciler("flaky", 20*time.Millisecond, func(context.Context) error {
		switch passes.Add(1) {
		case 1:
			return errors.New("database unavailable")
		case 2:
			panic("nil lesson")
		}
		return nil
	}, logger)
	runReconciler(t, r)
	waitFor(t, 5*time.Second, "passes after an error and a panic", func() bool { return passes.Load() >= 4 })
	out := logs.String()
	for _, want := range []string{
		"reconciler=flaky msg=reconcile pass failed error=database unavailable",
		"reconciler=flaky msg=reconcile pass panicked panic=nil lesson",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("logs lack %q:\n%s", want, out)
		}
	}
}

func TestReconcilerStopWaitsForPass(t *testing.T) {
	logger, _ := newLogger(t)
	inPass, release := make(chan struct{}), make(chan struct{})
	var finished, cancelled atomic.Bool
	r := queue.NewReconciler("slow", time.Hour, func(ctx context.Context) error {
		close(inPass)
		select {
		case <-release:
			finished.Store(true)
		case <-ctx.Done():
			cancelled.Store(true)
		}
		return nil
	}, logger)
	stop := runReconciler(t, r)
	<-inPass
	stopped := make(chan error, 1)
	go func() { stopped <- stop(context.Background()) }()
	select {
	case err := <-stopped:
		t.Fatalf("Stop returned (%v) during a pass", err)
	case <-time.After(200 * time.Millisecond):
	}
	close(release)
	select {
	case err := <-stopped:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Stop did not return after the pass ended")
	}
	if !finished.Load() || cancelled.Load() {
		t.Errorf("pass finished %v, cancelled %v; want finished", finished.Load(), cancelled.Load())
	}
}

func TestReconcilerStopDeadlineCancelsPass(t *testing.T) {
	logger, _ := newLogger(t)
	inPass := make(chan struct{})
	passErr := make(chan error, 1)
	r := queue.NewReconciler("stuck", time.Hour, func(ctx context.Context) error {
		close(inPass)
		<-ctx.Done()
		passErr <- ctx.Err()
		return ctx.Err()
	}, logger)
	res := make(chan error, 1)
	go func() { res <- r.Start(context.Background()) }()
	<-inPass
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := r.Stop(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Stop = %v, want deadline exceeded", err)
	}
	select {
	case err := <-passErr:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("pass context error = %v, want canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("pass context not cancelled at the Stop deadline")
	}
	select {
	case err := <-res:
		if err != nil {
			t.Errorf("Start = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Start did not return")
	}
}

func TestReconcilerLifecycle(t *testing.T) {
	logger, _ := newLogger(t)
	var passes atomic.Int32
	pass := func(context.Context) error { passes.Add(1); return nil }

	r := queue.NewReconciler("never", time.Hour, pass, logger)
	if err := r.Stop(context.Background()); err != nil {
		t.Fatalf("Stop before Start = %v", err)
	}
	if err := r.Start(context.Background()); err != nil {
		t.Fatalf("Start after Stop = %v", err)
	}
	if passes.Load() != 0 {
		t.Error("a stopped reconciler ran a pass")
	}

	r = queue.NewReconciler("ctx", 0, pass, logger) // zero interval falls back to the default
	ctx, cancel := context.WithCancel(context.Background())
	res := make(chan error, 1)
	go func() { res <- r.Start(ctx) }()
	waitFor(t, time.Second, "first pass", func() bool { return passes.Load() == 1 })
	if err := r.Start(context.Background()); err == nil {
		t.Error("second Start succeeded")
	}
	cancel()
	select {
	case err := <-res:
		if err != nil {
			t.Errorf("Start = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Start did not return after its context ended")
	}
	if err := r.Stop(context.Background()); err != nil {
		t.Errorf("Stop after Start returned = %v", err)
	}
}
