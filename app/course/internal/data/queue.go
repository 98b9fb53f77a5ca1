package data

import (
	"context"
	"encoding/json"
	"fmt"
	"path"

	"github.com/hibiken/asynq"

	"github.com/vanguard/vanguard/app/course/internal/biz"
	"github.com/vanguard/vanguard/pkg/queue"
)

// Task types and the queue of the course service.
const (
	TypeProbe = "media:probe"
	Queue     = "course"
)

// ProbePayload is the JSON payload of a media:probe task.
type ProbePayload struct {
	LessonID int64  `json:"lesson_id"`
	MediaKey string `json:"media_key"`
}

// NewProbeTask builds a media:probe task. Its id names the lesson and the media object, so the
// same object is never probed twice concurrently while a new upload gets a new task.
func NewProbeTask(lessonID int64, mediaKey string) (*asynq.Task, []asynq.Option, error) {
	payload, err := json.Marshal(ProbePayload{LessonID: lessonID, MediaKey: mediaKey})
	if err != nil {
		return nil, nil, err
	}
	id := fmt.Sprintf("%s:%d:%s", TypeProbe, lessonID, path.Base(path.Dir(mediaKey)))
	return asynq.NewTask(TypeProbe, payload), []asynq.Option{asynq.Queue(Queue), asynq.TaskID(id), asynq.MaxRetry(8)}, nil
}

type taskQueue struct{ client *queue.Client }

var _ biz.TaskQueue = (*taskQueue)(nil)

// NewTaskQueue returns the course service's task queue on Asynq.
func NewTaskQueue(c *queue.Client) biz.TaskQueue { return &taskQueue{client: c} }

func (q *taskQueue) EnqueueProbe(ctx context.Context, lessonID int64, mediaKey string) error {
	t, opts, err := NewProbeTask(lessonID, mediaKey)
	if err != nil {
		return err
	}
	return q.client.Enqueue(ctx, t, opts...)
}
