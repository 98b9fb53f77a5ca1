package data

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/hibiken/asynq"

	"github.com/vanguard/vanguard/app/search/internal/biz"
	"github.com/vanguard/vanguard/pkg/clock"
	"github.com/vanguard/vanguard/pkg/queue"
)

// Task types of the search service.
const (
	TaskSync    = "search:sync"
	TaskReindex = "search:reindex"
)

type syncPayload struct {
	Item string `json:"item"`
}

type scheduler struct {
	tasks *queue.Client
	queue string
	clock clock.Clock
}

// NewScheduler queues syncs (one task per item and due time: the events of a burst, the
// reconciler and retries queue it once) and reindexes (one per request) on the search queue.
func NewScheduler(tasks *queue.Client, queueName string, clk clock.Clock) biz.Scheduler {
	if clk == nil {
		clk = clock.Real{}
	}
	return &scheduler{tasks: tasks, queue: queueName, clock: clk}
}

func (s *scheduler) Sync(ctx context.Context, item string, due time.Time) error {
	b, err := json.Marshal(syncPayload{Item: item})
	if err != nil {
		return err
	}
	return s.tasks.Enqueue(ctx, asynq.NewTask(TaskSync, b), asynq.Queue(s.queue), asynq.ProcessIn(max(due.Sub(s.clock.Now()), 0)),
		asynq.TaskID(fmt.Sprintf("%s:%s:%d", TaskSync, item, due.UnixMilli())), asynq.MaxRetry(10))
}

func (s *scheduler) Reindex(ctx context.Context, requested time.Time) error {
	return s.tasks.Enqueue(ctx, asynq.NewTask(TaskReindex, nil), asynq.Queue(s.queue), asynq.MaxRetry(3),
		asynq.Timeout(6*time.Hour), asynq.TaskID(fmt.Sprintf("%s:%d", TaskReindex, requested.UnixMilli())))
}

// DecodeSync reads a sync task's item.
func DecodeSync(t *asynq.Task) (string, error) {
	var p syncPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil {
		return "", fmt.Errorf("decode %s: %w", TaskSync, asynq.SkipRetry)
	}
	if _, _, err := biz.ParseItem(p.Item); err != nil {
		return "", fmt.Errorf("decode %s: %w: %w", TaskSync, err, asynq.SkipRetry)
	}
	return p.Item, nil
}
