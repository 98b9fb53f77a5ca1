package standalone

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/hibiken/asynq"
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

	// Let a few more reconciler passes run: nothing may be graded or relayed twice.
	time.Sleep(800 * time.Millisecond)
	insp := asynq.NewInspector(asynq.RedisClientOpt{Addr: l.p.RedisAddr})
	defer insp.Close()
	tasks, err := insp.ListPendingTasks("events")
	if err != nil {
		t.Fatal(err)
	}
	var graded int
	for _, task := range tasks {
		var p struct {
			Topic string          `json:"topic"`
			Data  json.RawMessage `json:"data"`
		}
		_ = json.Unmarshal(task.Payload, &p)
		var ev struct {
			AttemptID int64 `json:"attempt_id"`
		}
		_ = json.Unmarshal(p.Data, &ev)
		if p.Topic == "attempt.graded" && ev.AttemptID > 0 {
			graded++
		}
	}
	if graded != 1 {
		t.Fatalf("attempt.graded events relayed = %d, want exactly 1 (%d tasks)", graded, len(tasks))
	}
	r := l.must(l.call("GET", "/v1/exams/"+exam+"/attempts", w.trainer, nil), 200)
	if r.s("attempts", "0", "status") != "graded" || r.s("attempts", "1") != "" {
		t.Fatalf("attempts = %s", r.raw)
	}
}
