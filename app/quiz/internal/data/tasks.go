package data

import (
	"context"
	"time"

	"github.com/vanguard/vanguard/app/quiz/internal/biz"
	"github.com/vanguard/vanguard/app/quiz/internal/task"
	"github.com/vanguard/vanguard/pkg/queue"
)

type taskQueue struct{ client *queue.Client }

var _ biz.TaskQueue = (*taskQueue)(nil)

// NewTaskQueue returns the quiz task queue on Asynq.
func NewTaskQueue(c *queue.Client) biz.TaskQueue { return &taskQueue{client: c} }

func (q *taskQueue) EnqueueGrade(ctx context.Context, attemptID int64) error {
	t, opts, err := task.NewGrade(attemptID)
	if err != nil {
		return err
	}
	return q.client.Enqueue(ctx, t, opts...)
}

func (q *taskQueue) ScheduleAutosubmit(ctx context.Context, attemptID int64, at time.Time) error {
	t, opts, err := task.NewAutosubmit(attemptID, at)
	if err != nil {
		return err
	}
	return q.client.Enqueue(ctx, t, opts...)
}
