// Package task declares the quiz service's Asynq tasks: types, queue, payloads and
// constructors, shared by the data layer (which enqueues) and the service layer (which handles).
package task

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/hibiken/asynq"

	"github.com/vanguard/vanguard/pkg/queue"
)

// Task types and the queue of the quiz service.
const (
	TypeGrade      = "quiz:grade"
	TypeAutosubmit = "quiz:autosubmit"
	Queue          = "quiz"
)

// AttemptPayload is the JSON payload of grade and autosubmit tasks.
type AttemptPayload struct {
	AttemptID int64 `json:"attempt_id"`
}

// NewGrade builds quiz:grade for an attempt; the task id is the attempt id, so an attempt is
// never queued for grading twice at once.
func NewGrade(attemptID int64) (*asynq.Task, []asynq.Option, error) {
	t, err := attemptTask(TypeGrade, attemptID)
	if err != nil {
		return nil, nil, err
	}
	return t, []asynq.Option{
		asynq.Queue(Queue), asynq.TaskID(queue.TaskID(TypeGrade, attemptID)), asynq.MaxRetry(20), asynq.Timeout(time.Minute),
	}, nil
}

// NewAutosubmit builds quiz:autosubmit for an attempt, to run at its deadline.
func NewAutosubmit(attemptID int64, at time.Time) (*asynq.Task, []asynq.Option, error) {
	t, err := attemptTask(TypeAutosubmit, attemptID)
	if err != nil {
		return nil, nil, err
	}
	return t, []asynq.Option{
		asynq.Queue(Queue), asynq.TaskID(queue.TaskID(TypeAutosubmit, attemptID)), asynq.ProcessAt(at), asynq.MaxRetry(20),
	}, nil
}

func attemptTask(typ string, attemptID int64) (*asynq.Task, error) {
	if attemptID <= 0 {
		return nil, fmt.Errorf("%s: attempt id %d must be positive", typ, attemptID)
	}
	b, err := json.Marshal(AttemptPayload{AttemptID: attemptID})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", typ, err)
	}
	return asynq.NewTask(typ, b), nil
}

// AttemptID decodes a grade or autosubmit payload; a malformed one is wrapped with
// asynq.SkipRetry (no retry can fix it).
func AttemptID(t *asynq.Task) (int64, error) {
	var p AttemptPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil || p.AttemptID <= 0 {
		return 0, fmt.Errorf("decode %s payload %q: %w", t.Type(), t.Payload(), asynq.SkipRetry)
	}
	return p.AttemptID, nil
}
