package data

import (
	"context"

	"github.com/vanguard/vanguard/app/course/internal/biz"
	"github.com/vanguard/vanguard/app/course/internal/task"
	"github.com/vanguard/vanguard/pkg/queue"
)

type taskQueue struct{ client *queue.Client }

var _ biz.TaskQueue = (*taskQueue)(nil)

// NewTaskQueue returns the course service's task queue on Asynq.
func NewTaskQueue(c *queue.Client) biz.TaskQueue { return &taskQueue{client: c} }

func (q *taskQueue) EnqueueProbe(ctx context.Context, lessonID int64, mediaKey string) error {
	t, opts, err := task.NewProbe(lessonID, mediaKey)
	if err != nil {
		return err
	}
	return q.client.Enqueue(ctx, t, opts...)
}
