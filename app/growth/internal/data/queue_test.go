package data

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/vanguard/vanguard/pkg/clock"
	"github.com/vanguard/vanguard/pkg/queue"
)

// growthRedisDB is the database number this package's tests own on the real Redis.
const growthRedisDB = 15

// TestSchedulerOnRedis: on a real Redis, a burst of 100 schedules of a member's compile for one
// due time is one Asynq task, delayed by the debounce; another due time is another task.
func TestSchedulerOnRedis(t *testing.T) {
	addr := os.Getenv("VANGUARD_TEST_REDIS_ADDR")
	if addr == "" {
		addr = "127.0.0.1:6379"
	}
	ctx := context.Background()
	rc := redis.NewClient(&redis.Options{Addr: addr, DB: growthRedisDB})
	defer rc.Close()
	if err := rc.Ping(ctx).Err(); err != nil {
		if os.Getenv("VANGUARD_TEST_REQUIRE_SERVICES") == "1" {
			t.Fatalf("redis at %s unreachable: %v", addr, err)
		}
		t.Skipf("redis at %s unreachable: %v", addr, err)
	}
	if err := rc.FlushDB(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	opt := asynq.RedisClientOpt{Addr: addr, DB: growthRedisDB}
	tasks, err := queue.NewClient(opt)
	if err != nil {
		t.Fatal(err)
	}
	defer tasks.Close()
	start := time.Now()
	clk := clock.NewFake(start)
	s := NewScheduler(tasks, "growth", clk)
	due := clk.Now().Add(2 * time.Second)
	for range 100 {
		if err := s.Schedule(ctx, 7, due); err != nil {
			t.Fatal(err)
		}
	}
	in := asynq.NewInspector(opt)
	defer in.Close()
	ts, err := in.ListScheduledTasks("growth")
	if err != nil || len(ts) != 1 {
		t.Fatalf("100 schedules: %d tasks %v, want 1", len(ts), err)
	}
	// Asynq keeps a scheduled task's time in whole seconds: the debounced task runs at the
	// earliest in the second start+2s falls in (not a second after the check, which failed
	// when the enqueues crossed into the next second).
	if ts[0].Type != TaskCompile || ts[0].NextProcessAt.Before(start.Add(2*time.Second).Truncate(time.Second)) {
		t.Errorf("task: %s at %v", ts[0].Type, ts[0].NextProcessAt)
	}
	if id, err := DecodeCompile(asynq.NewTask(TaskCompile, ts[0].Payload)); err != nil || id != 7 {
		t.Errorf("payload: %d %v", id, err)
	}
	if err := s.Schedule(ctx, 7, due.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if ts, _ := in.ListScheduledTasks("growth"); len(ts) != 2 {
		t.Errorf("a later due time: %d tasks, want 2", len(ts))
	}
	if _, err := DecodeCompile(asynq.NewTask(TaskCompile, []byte(`{"member_id":0}`))); err == nil {
		t.Error("a payload without a member decoded")
	}
}
