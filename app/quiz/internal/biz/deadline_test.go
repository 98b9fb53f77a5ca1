package biz

import (
	"context"
	"slices"
	"testing"
	"time"
)

// A manager gives one member more time: the deadline moves later, the autosubmit is scheduled
// for the new deadline (the old task finds itself superseded), it is audited, and a retry of
// the same request changes nothing.
func TestSetDeadlineExtendsAnAttemptInProgress(t *testing.T) {
	e := newTestEnv(t)
	e.uc.Attempts.audit = fakeAuditLog{e.db}
	fx := e.newExam(t, objective(), nil)
	a := e.start(t, "memberA", fx.exam.ID)
	old := a.Deadline
	later := old.Add(10 * time.Minute)
	got, err := e.uc.Attempts.SetDeadline(e.as("trainerA"), a.ID, later, "手机没电")
	if err != nil || !got.Deadline.Equal(later) || got.Status != AttemptInProgress {
		t.Fatalf("extend = %+v, %v", got, err)
	}
	if stored := e.db.attempt(a.ID); !stored.Deadline.Equal(later) {
		t.Fatalf("stored deadline %v, want %v", stored.Deadline, later)
	}
	if !slices.ContainsFunc(e.queue.autosubmitCalls(), func(s scheduled) bool { return s.AttemptID == a.ID && s.At.Equal(later) }) {
		t.Errorf("autosubmit not scheduled for the new deadline: %v", e.queue.autosubmitCalls())
	}
	if len(e.db.st.Audit) != 1 || e.db.st.Audit[0].Action != "attempt.extend" || e.db.st.Audit[0].TargetID != a.ID {
		t.Fatalf("audit = %+v", e.db.st.Audit)
	}
	// The task for the old deadline fires: superseded, nothing happens; answers are still taken.
	e.clk.Set(old.Add(time.Minute))
	if err := e.uc.Attempts.Autosubmit(context.Background(), a.ID, old); err != nil {
		t.Fatal(err)
	}
	if st := e.db.attempt(a.ID).Status; st != AttemptInProgress {
		t.Fatalf("the old deadline's task finalised the attempt: %s", st)
	}
	if _, _, err := e.uc.Attempts.SaveAnswer(e.as("memberA"), a.ID, 1, Answer{Choices: []string{"B"}, Version: 5}); err != nil {
		t.Fatalf("save after the old deadline, before the new one: %v", err)
	}
	// A retry changes nothing and records nothing more.
	if _, err := e.uc.Attempts.SetDeadline(e.as("trainerA"), a.ID, later, "手机没电"); err != nil || len(e.db.st.Audit) != 1 {
		t.Fatalf("retry: %v, %d audit entries", err, len(e.db.st.Audit))
	}
	// The new deadline's task finalises it at the new deadline.
	e.clk.Set(later)
	if err := e.uc.Attempts.Autosubmit(context.Background(), a.ID, later); err != nil {
		t.Fatal(err)
	}
	if st := e.db.attempt(a.ID); st.Status != AttemptSubmitted || !st.SubmittedAt.Equal(later) {
		t.Fatalf("after the new deadline: %s at %v", st.Status, st.SubmittedAt)
	}
}

// A submitted or graded attempt is reopened: scores cleared, answers kept, a notice for the
// member, and it is graded again when submitted. Not once its results were released: the member
// may have seen the keys.
func TestSetDeadlineReopensAGradedAttempt(t *testing.T) {
	e := newTestEnv(t)
	e.uc.Attempts.audit = fakeAuditLog{e.db}
	shown := e.newExam(t, objective(), func(x *Exam) { x.ResultsPolicy = ResultsImmediate })
	seen := e.graded(t, "memberA1", shown.exam.ID, map[int]Answer{1: choices("B")})
	_, err := e.uc.Attempts.SetDeadline(e.as("staffA"), seen.ID, e.clk.Now().Add(time.Hour), "断网")
	wantErrAs[*ClosedError](t, err)
	fx := e.newExam(t, objective(), func(x *Exam) { x.ResultsPolicy = ResultsAfterClose })
	a := e.graded(t, "memberA", fx.exam.ID, map[int]Answer{1: choices("B")})
	until := e.clk.Now().Add(30 * time.Minute).Truncate(time.Second)
	got, err := e.uc.Attempts.SetDeadline(e.as("staffA"), a.ID, until, "监考记录显示断网")
	if err != nil || got.Status != AttemptInProgress || got.Score != nil || got.SubmittedAt != nil || got.Notice == "" {
		t.Fatalf("reopen = %+v, %v", got, err)
	}
	stored := e.db.attempt(a.ID)
	if stored.Status != AttemptInProgress || stored.Score != nil || len(stored.Scores) != 0 || !stored.Deadline.Equal(until) ||
		stored.Answers[1].Choices[0] != "B" {
		t.Fatalf("stored after reopen = %+v", stored)
	}
	if len(e.db.st.Audit) != 1 || e.db.st.Audit[0].Action != "attempt.reopen" {
		t.Fatalf("audit = %+v", e.db.st.Audit)
	}
	for no, ans := range rightAnswers {
		ans.Version = 10
		if _, _, err := e.uc.Attempts.SaveAnswer(e.as("memberA"), a.ID, no, ans); err != nil {
			t.Fatalf("save %d after reopen: %v", no, err)
		}
	}
	sub, _, err := e.uc.Attempts.Submit(e.as("memberA"), a.ID)
	if err != nil || sub.Status != AttemptSubmitted {
		t.Fatalf("submit after reopen: %+v, %v", sub, err)
	}
	if err := e.uc.Attempts.Grade(context.Background(), a.ID); err != nil {
		t.Fatal(err)
	}
	if g := e.db.attempt(a.ID); g.Status != AttemptGraded || g.Score == nil {
		t.Fatalf("graded again: %+v", g)
	}
}

// Bad requests are refused with the field named and change nothing; only the exam's managers
// may move a deadline.
func TestSetDeadlineRefusals(t *testing.T) {
	e := newTestEnv(t)
	e.uc.Attempts.audit = fakeAuditLog{e.db}
	fx := e.newExam(t, objective(), nil)
	a := e.start(t, "memberA", fx.exam.ID)
	now := e.clk.Now()
	for _, tt := range []struct {
		name     string
		deadline time.Time
		reason   string
		field    string
	}{
		{"no reason", a.Deadline.Add(time.Minute), "  ", "reason"},
		{"in the past", now.Add(-time.Minute), "原因", "deadline"},
		{"earlier than the current deadline", a.Deadline.Add(-time.Minute), "原因", "deadline"},
		{"more than 7 days ahead", now.Add(MaxDeadlineAhead + time.Minute), "原因", "deadline"},
	} {
		_, err := e.uc.Attempts.SetDeadline(e.as("trainerA"), a.ID, tt.deadline, tt.reason)
		if fe := wantErrAs[*FieldError](t, err); fe.Field != tt.field {
			t.Errorf("%s: field %q, want %q", tt.name, fe.Field, tt.field)
		}
	}
	later := a.Deadline.Add(time.Hour)
	_, err := e.uc.Attempts.SetDeadline(e.as("memberA"), a.ID, later, "我想多一点时间")
	wantErrAs[*PermissionError](t, err) // a member the exam targets: a denial
	_, err = e.uc.Attempts.SetDeadline(e.as("trainerB"), a.ID, later, "原因")
	wantErrIs(t, err, ErrNotFound) // another org's trainer learns nothing
	_, err = e.uc.Attempts.SetDeadline(e.as("trainerA"), 987654, later, "原因")
	wantErrIs(t, err, ErrNotFound)
	if _, err := e.uc.Attempts.SetDeadline(context.Background(), a.ID, later, "原因"); err == nil {
		t.Fatal("no caller: accepted")
	}
	if st := e.db.attempt(a.ID); !st.Deadline.Equal(a.Deadline) || len(e.db.st.Audit) != 0 {
		t.Fatalf("refusals changed something: deadline %v, %d audit entries", st.Deadline, len(e.db.st.Audit))
	}
}
