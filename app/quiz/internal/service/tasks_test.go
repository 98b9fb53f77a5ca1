package service

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hibiken/asynq"

	"github.com/vanguard/vanguard/app/quiz/internal/biz"
	"github.com/vanguard/vanguard/app/quiz/internal/task"
	"github.com/vanguard/vanguard/pkg/testdb"
)

// process runs a handler the way the Asynq server does.
func process(ctx context.Context, h func(context.Context, *asynq.Task) error, tk *asynq.Task) error {
	return asynq.HandlerFunc(h).ProcessTask(ctx, tk)
}

func TestTaskHandlersRefuseMalformedPayloads(t *testing.T) {
	e := newEnv(t, "sqlite", testdb.SQLite(t))
	tasks := NewTasks(e.uc)
	handlers := map[string]func(context.Context, *asynq.Task) error{task.TypeGrade: tasks.Grade, task.TypeAutosubmit: tasks.Autosubmit}
	payloads := map[string]string{
		"not JSON":      "attempt 1",
		"empty":         "",
		"missing id":    `{}`,
		"zero id":       `{"attempt_id":0}`,
		"negative id":   `{"attempt_id":-1}`,
		"id not number": `{"attempt_id":"1"}`,
	}
	for typ, h := range handlers {
		for name, payload := range payloads {
			t.Run(typ+"/"+name, func(t *testing.T) {
				before := e.attempts.gets.Load()
				err := process(context.Background(), h, asynq.NewTask(typ, []byte(payload)))
				if !errors.Is(err, asynq.SkipRetry) {
					t.Fatalf("error = %v, want one wrapping asynq.SkipRetry", err)
				}
				if n := e.attempts.gets.Load() - before; n != 0 {
					t.Fatalf("the handler read %d attempts; a malformed payload must not reach biz", n)
				}
			})
		}
	}
}

// submittedAttempt starts the exam as the member, answers correctly and submits.
func (e *env) submittedAttempt(t *testing.T) *biz.Attempt {
	t.Helper()
	ctx := asMember()
	a, _, err := e.uc.Attempts.Start(ctx, e.exam.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.uc.Attempts.SaveAnswer(ctx, a.ID, 1, biz.Answer{Choices: []string{"A"}, Version: 1}); err != nil {
		t.Fatal(err)
	}
	a, _, err = e.uc.Attempts.Submit(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if a.Status != biz.AttemptSubmitted {
		t.Fatalf("after submit: status %q", a.Status)
	}
	return a
}

func TestGradeHandlerGradesSubmittedAttempt(t *testing.T) {
	e := newEnv(t, "sqlite", testdb.SQLite(t))
	tasks := NewTasks(e.uc)
	a := e.submittedAttempt(t)
	tk, _, err := task.NewGrade(a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := process(context.Background(), tasks.Grade, tk); err != nil {
		t.Fatalf("grade: %v", err)
	}
	got, err := e.attempts.GetAttempt(context.Background(), a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != biz.AttemptGraded || got.Score == nil || *got.Score != 10 || got.GradedAt == nil {
		t.Fatalf("after quiz:grade: status %q, score %v, graded at %v; want graded with 10 points", got.Status, got.Score, got.GradedAt)
	}
	events, err := e.outbox.List(context.Background(), 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 1 || events[0].Topic != "attempt.graded" {
		t.Fatalf("outbox after grading = %+v, want one attempt.graded event", events)
	}
	// Running the task again (a retry after a lost ack) changes nothing.
	if err := process(context.Background(), tasks.Grade, tk); err != nil {
		t.Fatalf("grade again: %v", err)
	}
	if events, _ := e.outbox.List(context.Background(), 0, 10); len(events) != 1 {
		t.Fatalf("a second grade wrote %d events, want still 1", len(events))
	}
	// An attempt that no longer exists is nothing to do, not a malformed task.
	missing, _, _ := task.NewGrade(a.ID + 1000)
	if err := process(context.Background(), tasks.Grade, missing); err != nil {
		t.Fatalf("grade of a missing attempt: %v, want nil", err)
	}
}

func TestAutosubmitHandlerSubmitsOverdueAttempt(t *testing.T) {
	e := newEnv(t, "sqlite", testdb.SQLite(t))
	tasks := NewTasks(e.uc)
	a, _, err := e.uc.Attempts.Start(asMember(), e.exam.ID)
	if err != nil {
		t.Fatal(err)
	}
	tk, _, err := task.NewAutosubmit(a.ID, a.Deadline)
	if err != nil {
		t.Fatal(err)
	}

	// Early (a clock skew between worker and scheduler): an ordinary error, retried later.
	e.clock.Set(a.Deadline.Add(-time.Millisecond))
	err = process(context.Background(), tasks.Autosubmit, tk)
	if err == nil || errors.Is(err, asynq.SkipRetry) {
		t.Fatalf("autosubmit before the deadline: %v, want a retryable error", err)
	}
	if got, _ := e.attempts.GetAttempt(context.Background(), a.ID); got.Status != biz.AttemptInProgress {
		t.Fatalf("early autosubmit changed the attempt to %q", got.Status)
	}

	e.clock.Set(a.Deadline.Add(time.Second))
	if err := process(context.Background(), tasks.Autosubmit, tk); err != nil {
		t.Fatalf("autosubmit: %v", err)
	}
	got, err := e.attempts.GetAttempt(context.Background(), a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != biz.AttemptSubmitted || got.SubmittedAt == nil || !got.SubmittedAt.Equal(a.Deadline) {
		t.Fatalf("after quiz:autosubmit: status %q, submitted at %v; want submitted at the deadline %v", got.Status, got.SubmittedAt, a.Deadline)
	}
	if diff := cmp.Diff([]int64{a.ID}, e.queue.graded()); diff != "" {
		t.Fatalf("grading queued (-want +got):\n%s", diff)
	}
	missing, _, _ := task.NewAutosubmit(a.ID+1000, time.Now())
	if err := process(context.Background(), tasks.Autosubmit, missing); err != nil {
		t.Fatalf("autosubmit of a missing attempt: %v, want nil", err)
	}
}
