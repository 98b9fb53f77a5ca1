package service

import (
	"context"
	"time"

	"github.com/hibiken/asynq"

	"github.com/vanguard/vanguard/app/quiz/internal/biz"
	"github.com/vanguard/vanguard/app/quiz/internal/task"
)

// Tasks runs the quiz service's Asynq handlers.
type Tasks struct{ attempts *biz.AttemptUsecase }

// NewTasks wires the handlers.
func NewTasks(q *biz.Quiz) *Tasks { return &Tasks{attempts: q.Attempts} }

// Grade handles quiz:grade.
func (t *Tasks) Grade(ctx context.Context, tk *asynq.Task) error {
	id, err := task.AttemptID(tk)
	if err != nil {
		return err
	}
	return t.attempts.Grade(ctx, id)
}

// Autosubmit handles quiz:autosubmit.
func (t *Tasks) Autosubmit(ctx context.Context, tk *asynq.Task) error {
	p, err := task.Payload(tk)
	if err != nil {
		return err
	}
	var scheduledFor time.Time
	if p.Deadline > 0 {
		scheduledFor = time.Unix(p.Deadline, 0)
	}
	return t.attempts.Autosubmit(ctx, p.AttemptID, scheduledFor)
}
