package standalone

import (
	"context"
	"strconv"
	"testing"
	"time"

	quizv1 "github.com/vanguard/vanguard/api/quiz/v1"
)

// A submitted attempt whose grading task was lost (worker down, queue emptied) ends graded
// exactly once when the worker and reconciler come back, with exactly one graded event relayed.
func TestQuizGradingRecoveredAfterQueueLoss(t *testing.T) {
	l := startLiveWith(t, false)
	w := newQuizWorld(t, l)
	now := l.clock.Now()
	exam := w.exam(t, "IMMEDIATE", now.Add(-time.Minute), now.Add(time.Hour), 30, 1, w.single, w.tf)
	att := l.must(l.call("POST", "/v1/exams/"+exam+"/attempts", w.m1, map[string]any{}), 200).s("id")
	l.must(l.call("POST", "/v1/attempts/"+att+":submit", w.m1, map[string]any{}), 200)
	l.must(l.call("POST", "/v1/attempts/"+att+":submit", w.m1, map[string]any{}), 200)

	// The queue loses the grade task (and the scheduled autosubmit) before any worker ran.
	l.p.redis.FlushAll()
	l.startWorkers()
	waitStatus(t, l, w.trainer, exam, "graded")

	// Let a few more reconciler passes run: nothing may be graded or announced twice.
	time.Sleep(800 * time.Millisecond)
	evs, err := l.p.Quiz.Outbox().List(context.Background(), 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var graded int
	for _, ev := range evs {
		if ev.Topic != "attempt.graded" {
			continue
		}
		var msg quizv1.AttemptGraded
		if err := ev.Decode(&msg); err != nil {
			t.Fatal(err)
		}
		if strconv.FormatInt(msg.GetAttemptId(), 10) == att {
			graded++
		}
	}
	if graded != 1 {
		t.Fatalf("attempt.graded events for the attempt = %d, want exactly 1 (%d events)", graded, len(evs))
	}
	r := l.must(l.call("GET", "/v1/exams/"+exam+"/attempts", w.trainer, nil), 200)
	if r.s("attempts", "0", "status") != "graded" || r.s("attempts", "1") != "" {
		t.Fatalf("attempts = %s", r.raw)
	}
}
