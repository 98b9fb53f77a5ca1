package queue_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/go-kratos/kratos/v2/log"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/vanguard/vanguard/pkg/queue"
)

// testRedisDB is the database number this package's tests own on the real Redis; it is
// flushed before each test.
const testRedisDB = 11

// testQueue is the queue the tests enqueue to and serve.
const testQueue = "qtest"

// forEachRedis runs fn once on the real Redis at 127.0.0.1:6379 (or VANGUARD_TEST_REDIS_ADDR)
// and once on a fresh miniredis, the server standalone mode embeds. The real one is skipped
// when unreachable unless VANGUARD_TEST_REQUIRE_SERVICES=1.
func forEachRedis(t *testing.T, fn func(t *testing.T, opt asynq.RedisClientOpt)) {
	t.Helper()
	t.Run("redis", func(t *testing.T) { fn(t, realRedis(t)) })
	t.Run("miniredis", func(t *testing.T) {
		mr := miniredis.RunT(t)
		fn(t, asynq.RedisClientOpt{Addr: mr.Addr()})
	})
}

func realRedis(t *testing.T) asynq.RedisClientOpt {
	t.Helper()
	addr := os.Getenv("VANGUARD_TEST_REDIS_ADDR")
	if addr == "" {
		addr = "127.0.0.1:6379"
	}
	opt := asynq.RedisClientOpt{Addr: addr, DB: testRedisDB}
	c := redis.NewClient(&redis.Options{Addr: addr, DB: testRedisDB})
	t.Cleanup(func() { _ = c.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		if os.Getenv("VANGUARD_TEST_REQUIRE_SERVICES") == "1" {
			t.Fatalf("redis at %s unreachable: %v", addr, err)
		}
		t.Skipf("redis at %s unreachable: %v", addr, err)
	}
	if err := c.FlushDB(ctx).Err(); err != nil {
		t.Fatalf("flush redis db %d: %v", testRedisDB, err)
	}
	return opt
}

// fastConfig shortens every asynq interval so a test runs in well under a second.
func fastConfig() queue.Config {
	return queue.Config{
		Queues:                   map[string]int{testQueue: 1},
		Concurrency:              4,
		ShutdownTimeout:          3 * time.Second,
		RetryDelayFunc:           func(int, error, *asynq.Task) time.Duration { return 10 * time.Millisecond },
		TaskCheckInterval:        20 * time.Millisecond,
		HealthCheckInterval:      100 * time.Millisecond,
		DelayedTaskCheckInterval: 100 * time.Millisecond,
	}
}

// logBuffer collects log output from several goroutines; its contents are printed when the
// test fails.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func newLogger(t *testing.T) (log.Logger, *logBuffer) {
	t.Helper()
	buf := &logBuffer{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("logs:\n%s", buf.String())
		}
	})
	return log.NewStdLogger(buf), buf
}

func newClient(t *testing.T, opt asynq.RedisConnOpt) *queue.Client {
	t.Helper()
	c, err := queue.NewClient(opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func newInspector(t *testing.T, opt asynq.RedisConnOpt) *asynq.Inspector {
	t.Helper()
	in := asynq.NewInspector(opt)
	t.Cleanup(func() { _ = in.Close() })
	return in
}

// run starts srv in the background and returns a function that stops it and reports any
// error of Stop or Start. The server is also stopped when the test ends.
func run(t *testing.T, srv *queue.Server) (stop func() error) {
	t.Helper()
	started := make(chan error, 1)
	go func() { started <- srv.Start(context.Background()) }()
	var once sync.Once
	var stopErr error
	stop = func() error {
		once.Do(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			stopErr = srv.Stop(ctx)
			if err := <-started; err != nil && stopErr == nil {
				stopErr = fmt.Errorf("start: %w", err)
			}
		})
		return stopErr
	}
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("stop: %v", err)
		}
	})
	return stop
}

// waitFor polls cond until it holds, failing the test after timeout.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// counter is a goroutine-safe tally of handler calls per key.
type counter struct {
	mu sync.Mutex
	m  map[string]int
}

func (c *counter) add(key string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]int{}
	}
	c.m[key]++
	return c.m[key]
}

func (c *counter) get(key string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[key]
}

func (c *counter) total() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, v := range c.m {
		n += v
	}
	return n
}

func (c *counter) snapshot() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]int, len(c.m))
	for k, v := range c.m {
		out[k] = v
	}
	return out
}
