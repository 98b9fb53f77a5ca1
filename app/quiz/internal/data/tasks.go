package data

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/hibiken/asynq"

	"github.com/vanguard/vanguard/app/quiz/internal/biz"
	"github.com/vanguard/vanguard/pkg/queue"
)

// Task types and the queue of the quiz service.
const (
	TypeGrade      = "quiz:grade"
	TypeAutosubmit = "quiz:autosubmit"
	TypeEvent      = "quiz:event"
	Queue          = "quiz"
	// EventsQueue carries domain events to the services that consume them (study hours and the
	// growth file); until those run, relayed events wait there.
	EventsQueue = "events"
)

// AttemptPayload is the JSON payload of grade and autosubmit tasks.
type AttemptPayload struct {
	AttemptID int64 `json:"attempt_id"`
}

// EventPayload is the JSON payload of a relayed outbox event.
type EventPayload struct {
	EventID int64           `json:"event_id"`
	Topic   string          `json:"topic"`
	Data    json.RawMessage `json:"data"`
}

// NewGradeTask builds quiz:grade for an attempt; the task id is the attempt id, so an attempt is
// never queued for grading twice at once.
func NewGradeTask(attemptID int64) (*asynq.Task, []asynq.Option) {
	b, _ := json.Marshal(AttemptPayload{AttemptID: attemptID})
	return asynq.NewTask(TypeGrade, b), []asynq.Option{
		asynq.Queue(Queue), asynq.TaskID(queue.TaskID(TypeGrade, attemptID)), asynq.MaxRetry(20), asynq.Timeout(time.Minute),
	}
}

// NewAutosubmitTask builds quiz:autosubmit for an attempt, to run at its deadline.
func NewAutosubmitTask(attemptID int64, at time.Time) (*asynq.Task, []asynq.Option) {
	b, _ := json.Marshal(AttemptPayload{AttemptID: attemptID})
	return asynq.NewTask(TypeAutosubmit, b), []asynq.Option{
		asynq.Queue(Queue), asynq.TaskID(queue.TaskID(TypeAutosubmit, attemptID)), asynq.ProcessAt(at), asynq.MaxRetry(20),
	}
}

type taskQueue struct{ client *queue.Client }

var _ biz.TaskQueue = (*taskQueue)(nil)

// NewTaskQueue returns the quiz task queue on Asynq.
func NewTaskQueue(c *queue.Client) biz.TaskQueue { return &taskQueue{client: c} }

func (q *taskQueue) EnqueueGrade(ctx context.Context, attemptID int64) error {
	t, opts := NewGradeTask(attemptID)
	return q.client.Enqueue(ctx, t, opts...)
}

func (q *taskQueue) ScheduleAutosubmit(ctx context.Context, attemptID int64, at time.Time) error {
	t, opts := NewAutosubmitTask(attemptID, at)
	return q.client.Enqueue(ctx, t, opts...)
}

// PublishEvent relays an outbox event as a quiz:event task (consumers in later services
// subscribe by handling it); the task id is the event id, so a re-relay is a no-op.
func (q *taskQueue) PublishEvent(ctx context.Context, e *biz.Event) error {
	b, err := json.Marshal(EventPayload{EventID: e.ID, Topic: e.Topic, Data: e.Payload})
	if err != nil {
		return fmt.Errorf("PublishEvent: %w", err)
	}
	return q.client.Enqueue(ctx, asynq.NewTask(TypeEvent, b), asynq.Queue(EventsQueue), asynq.TaskID(biz.EventID(e)), asynq.Retention(24*time.Hour))
}
