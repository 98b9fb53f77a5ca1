// Package task declares the quiz service's Asynq tasks: types, queue, payloads and
// constructors, shared by the data layer (which enqueues) and the service layer (which handles).
package task

import (
	"encoding/json"
	"fmt"
	"strconv"
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
	// Deadline is the deadline an autosubmit was scheduled for (Unix seconds; 0 in grade tasks
	// and in autosubmits queued before it existed). A later deadline has its own task.
	Deadline int64 `json:"deadline,omitempty"`
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

// NewAutosubmit builds quiz:autosubmit for an attempt, to run at its deadline. The task id
// holds the deadline ("quiz:autosubmit:<attempt>@<unix>"): scheduling the same deadline twice
// queues one task, and a deadline moved later (SetDeadline) gets a task of its own while the
// one for the old deadline finds it superseded and does nothing.
func NewAutosubmit(attemptID int64, at time.Time) (*asynq.Task, []asynq.Option, error) {
	t, err := attemptTask(TypeAutosubmit, attemptID, at.Unix())
	if err != nil {
		return nil, nil, err
	}
	return t, []asynq.Option{
		asynq.Queue(Queue), asynq.TaskID(AutosubmitID(attemptID, at)), asynq.ProcessAt(at), asynq.MaxRetry(20),
	}, nil
}

// AutosubmitID is the task id of an attempt's autosubmit for a deadline.
func AutosubmitID(attemptID int64, at time.Time) string {
	return queue.TaskID(TypeAutosubmit, attemptID) + "@" + strconv.FormatInt(at.Unix(), 10)
}

func attemptTask(typ string, attemptID int64, deadline ...int64) (*asynq.Task, error) {
	if attemptID <= 0 {
		return nil, fmt.Errorf("%s: attempt id %d must be positive", typ, attemptID)
	}
	p := AttemptPayload{AttemptID: attemptID}
	if len(deadline) > 0 {
		p.Deadline = deadline[0]
	}
	b, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", typ, err)
	}
	return asynq.NewTask(typ, b), nil
}

// AttemptID decodes a grade or autosubmit payload; a malformed one is wrapped with
// asynq.SkipRetry (no retry can fix it).
func AttemptID(t *asynq.Task) (int64, error) {
	p, err := Payload(t)
	return p.AttemptID, err
}

// Payload decodes a grade or autosubmit payload, like AttemptID.
func Payload(t *asynq.Task) (AttemptPayload, error) {
	var p AttemptPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil || p.AttemptID <= 0 || p.Deadline < 0 {
		return AttemptPayload{}, fmt.Errorf("decode %s payload %q: %w", t.Type(), t.Payload(), asynq.SkipRetry)
	}
	return p, nil
}
