package queue_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-kratos/kratos/v2"
	"github.com/google/go-cmp/cmp"
	"github.com/hibiken/asynq"

	"github.com/vanguard/vanguard/pkg/queue"
)

func newServer(t *testing.T, opt asynq.RedisConnOpt, cfg queue.Config) (*queue.Server, *logBuffer) {
	t.Helper()
	logger, logs := newLogger(t)
	srv, err := queue.NewServer(opt, cfg, logger)
	if err != nil {
		t.Fatal(err)
	}
	return srv, logs
}

func enqueue(t *testing.T, c *queue.Client, taskType string, id int64, opts ...asynq.Option) string {
	t.Helper()
	taskID := queue.TaskID(taskType, id)
	opts = append([]asynq.Option{asynq.Queue(testQueue), asynq.TaskID(taskID)}, opts...)
	if err := c.Enqueue(context.Background(), asynq.NewTask(taskType, fmt.Appendf(nil, `{"id":%d}`, id)), opts...); err != nil {
		t.Fatal(err)
	}
	return taskID
}

func TestServerProcessesEachTaskOnce(t *testing.T) {
	forEachRedis(t, func(t *testing.T, opt asynq.RedisClientOpt) {
		const n = 25
		srv, _ := newServer(t, opt, fastConfig())
		var calls counter
		srv.HandleFunc("test:once", func(ctx context.Context, task *asynq.Task) error {
			id, _ := asynq.GetTaskID(ctx)
			calls.add(id)
			return nil
		})
		c := newClient(t, opt)
		want := map[string]int{}
		for i := range int64(n) {
			want[enqueue(t, c, "test:once", i)] = 1
			enqueue(t, c, "test:once", i) // the duplicate is dropped at enqueue
		}
		stop := run(t, srv)
		waitFor(t, 5*time.Second, "all tasks processed", func() bool { return calls.total() >= n })
		time.Sleep(300 * time.Millisecond) // room for a duplicate delivery to show up
		if err := stop(); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, calls.snapshot()); diff != "" {
			t.Errorf("handler calls per task (-want +got):\n%s", diff)
		}
		info, err := newInspector(t, opt).GetQueueInfo(testQueue)
		if err != nil {
			t.Fatal(err)
		}
		if info.Size != 0 || info.Processed != n || info.Failed != 0 {
			t.Errorf("queue after run: size %d, processed %d, failed %d; want 0, %d, 0", info.Size, info.Processed, info.Failed, n)
		}
	})
}

func TestServerRetriesFailedTask(t *testing.T) {
	forEachRedis(t, func(t *testing.T, opt asynq.RedisClientOpt) {
		srv, logs := newServer(t, opt, fastConfig())
		var attempts atomic.Int32
		var done atomic.Bool
		srv.HandleFunc("test:flaky", func(ctx context.Context, task *asynq.Task) error {
			retried, _ := asynq.GetRetryCount(ctx)
			attempts.Add(1)
			if retried < 2 {
				return fmt.Errorf("transient failure on attempt %d", retried+1)
			}
			done.Store(true)
			return nil
		})
		id := enqueue(t, newClient(t, opt), "test:flaky", 1, asynq.MaxRetry(5))
		stop := run(t, srv)
		waitFor(t, 5*time.Second, "task to succeed on the third attempt", done.Load)
		if err := stop(); err != nil {
			t.Fatal(err)
		}
		if got := attempts.Load(); got != 3 {
			t.Errorf("attempts = %d, want 3", got)
		}
		out := logs.String()
		for retry := range 2 {
			want := fmt.Sprintf("msg=task failed task_type=test:flaky task_id=%s queue=%s retry=%d max_retry=5 archived=false", id, testQueue, retry)
			if !strings.Contains(out, want) {
				t.Errorf("logs lack %q:\n%s", want, out)
			}
		}
		if _, err := newInspector(t, opt).GetTaskInfo(testQueue, id); !errors.Is(err, asynq.ErrTaskNotFound) {
			t.Errorf("task still stored after success (err %v)", err)
		}
	})
}

func TestServerSkipRetryArchives(t *testing.T) {
	forEachRedis(t, func(t *testing.T, opt asynq.RedisClientOpt) {
		srv, logs := newServer(t, opt, fastConfig())
		var attempts atomic.Int32
		srv.HandleFunc("test:malformed", func(ctx context.Context, task *asynq.Task) error {
			attempts.Add(1)
			return fmt.Errorf("decode payload: %w", asynq.SkipRetry)
		})
		id := enqueue(t, newClient(t, opt), "test:malformed", 1, asynq.MaxRetry(5))
		in := newInspector(t, opt)
		stop := run(t, srv)
		waitFor(t, 5*time.Second, "task archived", func() bool {
			info, err := in.GetTaskInfo(testQueue, id)
			return err == nil && info.State == asynq.TaskStateArchived
		})
		time.Sleep(300 * time.Millisecond) // a retry would need only 10ms + one forwarder tick
		if err := stop(); err != nil {
			t.Fatal(err)
		}
		if got := attempts.Load(); got != 1 {
			t.Errorf("attempts = %d, want 1", got)
		}
		info, err := in.GetTaskInfo(testQueue, id)
		if err != nil {
			t.Fatal(err)
		}
		if info.Retried != 0 || !strings.Contains(info.LastErr, "skip retry") {
			t.Errorf("archived task: retried %d, last error %q", info.Retried, info.LastErr)
		}
		if !strings.Contains(logs.String(), "archived=true") {
			t.Errorf("failure not logged as final:\n%s", logs.String())
		}
	})
}

func TestServerSurvivesPanic(t *testing.T) {
	forEachRedis(t, func(t *testing.T, opt asynq.RedisClientOpt) {
		srv, logs := newServer(t, opt, fastConfig())
		var calls counter
		srv.HandleFunc("test:panic", func(ctx context.Context, task *asynq.Task) error {
			if calls.add("panic") == 1 {
				var m map[string]int
				m["boom"]++ // nil map write: a runtime panic
			}
			return nil
		})
		srv.HandleFunc("test:after", func(ctx context.Context, task *asynq.Task) error {
			calls.add("after")
			return nil
		})
		c := newClient(t, opt)
		id := enqueue(t, c, "test:panic", 1, asynq.MaxRetry(3))
		stop := run(t, srv)
		waitFor(t, 5*time.Second, "panicking task retried and done", func() bool { return calls.get("panic") == 2 })
		enqueue(t, c, "test:after", 2)
		waitFor(t, 5*time.Second, "next task processed", func() bool { return calls.get("after") == 1 })
		if err := stop(); err != nil {
			t.Fatal(err)
		}
		out := logs.String()
		for _, want := range []string{"msg=task handler panicked", "task_id=" + id, "assignment to entry in nil map", "queue: task handler panicked: test:panic"} {
			if !strings.Contains(out, want) {
				t.Errorf("logs lack %q:\n%s", want, out)
			}
		}
	})
}

func TestServerStopWaitsForRunningHandler(t *testing.T) {
	forEachRedis(t, func(t *testing.T, opt asynq.RedisClientOpt) {
		srv, _ := newServer(t, opt, fastConfig())
		started, release := make(chan struct{}), make(chan struct{})
		var finished atomic.Bool
		srv.HandleFunc("test:slow", func(ctx context.Context, task *asynq.Task) error {
			close(started)
			<-release
			finished.Store(true)
			return nil
		})
		id := enqueue(t, newClient(t, opt), "test:slow", 1)
		stop := run(t, srv)
		<-started
		stopped := make(chan error, 1)
		go func() { stopped <- stop() }()
		select {
		case err := <-stopped:
			t.Fatalf("Stop returned (%v) while a handler was running", err)
		case <-time.After(300 * time.Millisecond):
		}
		close(release)
		select {
		case err := <-stopped:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("Stop did not return after the handler finished")
		}
		if !finished.Load() {
			t.Error("Stop returned before the handler finished")
		}
		if _, err := newInspector(t, opt).GetTaskInfo(testQueue, id); !errors.Is(err, asynq.ErrTaskNotFound) {
			t.Errorf("finished task still stored (err %v)", err)
		}
	})
}

func TestServerStopHonoursDeadline(t *testing.T) {
	forEachRedis(t, func(t *testing.T, opt asynq.RedisClientOpt) {
		cfg := fastConfig()
		cfg.ShutdownTimeout = 500 * time.Millisecond
		srv, _ := newServer(t, opt, cfg)
		started, exited := make(chan struct{}), make(chan struct{})
		srv.HandleFunc("test:stuck", func(ctx context.Context, task *asynq.Task) error {
			defer close(exited)
			close(started)
			<-ctx.Done() // only the shutdown timeout ends it
			return ctx.Err()
		})
		enqueue(t, newClient(t, opt), "test:stuck", 1)
		startErr := make(chan error, 1)
		go func() { startErr <- srv.Start(context.Background()) }()
		<-started
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		begin := time.Now()
		if err := srv.Stop(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Stop = %v, want deadline exceeded", err)
		}
		if took := time.Since(begin); took > time.Second {
			t.Errorf("Stop took %v past its 100ms deadline", took)
		}
		// The shutdown goes on: the handler's context is cancelled after ShutdownTimeout and
		// Start returns once everything is released.
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			t.Fatal("handler context never cancelled")
		}
		select {
		case err := <-startErr:
			if err != nil {
				t.Fatalf("Start = %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("Start did not return after shutdown")
		}
		if err := srv.Stop(context.Background()); err != nil {
			t.Errorf("second Stop = %v", err)
		}
	})
}

func TestServerStartStopLifecycle(t *testing.T) {
	logger, _ := newLogger(t)

	t.Run("redis unreachable", func(t *testing.T) {
		srv, err := queue.NewServer(asynq.RedisClientOpt{Addr: "127.0.0.1:1", DialTimeout: 200 * time.Millisecond}, fastConfig(), logger)
		if err != nil {
			t.Fatal(err)
		}
		if err := srv.Start(context.Background()); err == nil || !strings.Contains(err.Error(), "redis unreachable") {
			t.Errorf("Start = %v, want redis unreachable", err)
		}
		if err := srv.Stop(context.Background()); err != nil {
			t.Errorf("Stop after failed Start = %v", err)
		}
	})

	forEachRedis(t, func(t *testing.T, opt asynq.RedisClientOpt) {
		t.Run("stop before start", func(t *testing.T) {
			srv, _ := newServer(t, opt, fastConfig())
			if err := srv.Stop(context.Background()); err != nil {
				t.Fatal(err)
			}
			if err := srv.Start(context.Background()); err != nil {
				t.Errorf("Start after Stop = %v, want nil", err)
			}
		})
		t.Run("start twice", func(t *testing.T) {
			srv, _ := newServer(t, opt, fastConfig())
			run(t, srv)
			time.Sleep(50 * time.Millisecond)
			if err := srv.Start(context.Background()); err == nil {
				t.Error("second Start succeeded")
			}
		})
		t.Run("start context ends", func(t *testing.T) {
			srv, _ := newServer(t, opt, fastConfig())
			ctx, cancel := context.WithCancel(context.Background())
			res := make(chan error, 1)
			go func() { res <- srv.Start(ctx) }()
			time.Sleep(50 * time.Millisecond)
			cancel()
			select {
			case err := <-res:
				if err != nil {
					t.Errorf("Start = %v", err)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("Start did not return after its context ended")
			}
		})
	})
}

func TestNewServerValidatesConfig(t *testing.T) {
	opt := asynq.RedisClientOpt{Addr: "127.0.0.1:6379"}
	tests := map[string]queue.Config{
		"zero priority":     {Queues: map[string]int{"course": 0}},
		"empty queue name":  {Queues: map[string]int{"": 1}},
		"negative timeout":  {ShutdownTimeout: -time.Second},
		"negative interval": {DelayedTaskCheckInterval: -time.Second},
		"negative workers":  {Concurrency: -1},
	}
	for name, cfg := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := queue.NewServer(opt, cfg, nil); err == nil {
				t.Error("NewServer accepted an invalid config")
			}
		})
	}
	if _, err := queue.NewServer(nil, queue.Config{}, nil); err == nil {
		t.Error("NewServer accepted a nil redis option")
	}
	srv, err := queue.NewServer(opt, queue.Config{}, nil)
	if err != nil {
		t.Fatalf("zero config rejected: %v", err)
	}
	_ = srv.Stop(context.Background())
}

// TestServerInKratosApp runs a worker and a reconciler the way a service binary does, through
// kratos.New and Servers (which drops the roles this binary does not run).
func TestServerInKratosApp(t *testing.T) {
	forEachRedis(t, func(t *testing.T, opt asynq.RedisClientOpt) {
		logger, _ := newLogger(t)
		srv, _ := newServer(t, opt, fastConfig())
		var processed atomic.Int32
		srv.HandleFunc("test:app", func(ctx context.Context, task *asynq.Task) error {
			processed.Add(1)
			return nil
		})
		c := newClient(t, opt)
		rec := queue.NewReconciler("test", time.Hour, func(ctx context.Context) error {
			return c.Enqueue(ctx, asynq.NewTask("test:app", nil), asynq.Queue(testQueue), asynq.TaskID(queue.TaskID("test:app", 1)))
		}, logger)
		var noWorker *queue.Server
		app := kratos.New(kratos.Name("queue-test"), kratos.Logger(logger), kratos.StopTimeout(5*time.Second),
			queue.Servers(srv, rec, noWorker, nil))
		res := make(chan error, 1)
		go func() { res <- app.Run() }()
		waitFor(t, 5*time.Second, "reconciler's task processed by the worker", func() bool { return processed.Load() == 1 })
		if err := app.Stop(); err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-res:
			if err != nil {
				t.Fatalf("app.Run = %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("app did not stop")
		}
	})
}
