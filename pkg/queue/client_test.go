package queue_test

import (
	"context"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/vanguard/vanguard/pkg/queue"
)

func TestTaskID(t *testing.T) {
	if got, want := queue.TaskID("media:probe", 7), "media:probe:7"; got != want {
		t.Errorf("TaskID = %q, want %q", got, want)
	}
}

func TestEnqueueIsIdempotent(t *testing.T) {
	forEachRedis(t, func(t *testing.T, opt asynq.RedisClientOpt) {
		ctx := context.Background()
		c := newClient(t, opt)
		in := newInspector(t, opt)
		id := queue.TaskID("media:probe", 42)
		for i := range 3 {
			task := asynq.NewTask("media:probe", []byte(`{"lesson_id":42}`))
			if err := c.Enqueue(ctx, task, asynq.Queue(testQueue), asynq.TaskID(id)); err != nil {
				t.Fatalf("enqueue #%d: %v", i+1, err)
			}
		}
		// A Unique lock is another way to dedupe; it too counts as success.
		for i := range 2 {
			task := asynq.NewTask("quiz:grade", []byte(`{"attempt_id":9}`))
			if err := c.Enqueue(ctx, task, asynq.Queue(testQueue), asynq.Unique(time.Minute)); err != nil {
				t.Fatalf("unique enqueue #%d: %v", i+1, err)
			}
		}
		tasks, err := in.ListPendingTasks(testQueue)
		if err != nil {
			t.Fatal(err)
		}
		if len(tasks) != 2 {
			t.Fatalf("pending tasks = %d, want 2 (one per dedupe key): %+v", len(tasks), tasks)
		}
		info, err := in.GetTaskInfo(testQueue, id)
		if err != nil {
			t.Fatalf("task %s not found: %v", id, err)
		}
		if info.Type != "media:probe" || info.State != asynq.TaskStatePending {
			t.Errorf("task = %s in state %v, want media:probe pending", info.Type, info.State)
		}
	})
}

func TestEnqueueReportsRealErrors(t *testing.T) {
	c := newClient(t, asynq.RedisClientOpt{Addr: "127.0.0.1:1", DialTimeout: 200 * time.Millisecond})
	err := c.Enqueue(context.Background(), asynq.NewTask("media:probe", nil), asynq.TaskID("media:probe:1"))
	if err == nil {
		t.Fatal("enqueue to an unreachable Redis succeeded")
	}
	if err := c.Enqueue(context.Background(), nil); err == nil {
		t.Error("enqueue of a nil task succeeded")
	}
}

func TestNewClientRejectsMissingOption(t *testing.T) {
	if _, err := queue.NewClient(nil); err == nil {
		t.Error("NewClient(nil) succeeded")
	}
}
