package standalone

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
)

// The deadline is exact through HTTP: an answer saved at the deadline counts, one a millisecond
// later is refused and cannot replace it, and a submit after the deadline is the server's
// submit at the deadline, graded on what was saved in time.
func TestQuizDeadlineIsExact(t *testing.T) {
	l := startLive(t)
	w := newQuizWorld(t, l)
	now := l.clock.Now()
	exam := w.exam(t, "IMMEDIATE", now.Add(-time.Minute), now.Add(time.Hour), 1, 1, w.tf)
	att := l.must(l.call("POST", "/v1/exams/"+exam+"/attempts", w.m1, map[string]any{}), 200)
	id := att.s("id")
	deadline, err := time.Parse(time.RFC3339Nano, att.s("deadline"))
	if err != nil {
		t.Fatalf("deadline %q: %v", att.s("deadline"), err)
	}
	save := func(choice string, version int) reply {
		return l.call("PUT", "/v1/attempts/"+id+"/answers/1", w.m1, map[string]any{"value": map[string]any{"choices": []string{choice}}, "version": version})
	}
	l.must(save("false", 1), 200)
	l.clock.Set(deadline)
	l.must(save("true", 2), 200) // at the deadline itself: in time
	l.clock.Set(deadline.Add(time.Millisecond))
	l.must(save("false", 3), 409, "ATTEMPT_CLOSED")
	l.must(l.call("POST", "/v1/attempts/"+id+":submit", w.m1, map[string]any{}), 200)
	waitStatus(t, l, w.trainer, exam, "graded")
	r := l.must(l.call("GET", "/v1/attempts/"+id, w.m1, nil), 200)
	submitted, err := time.Parse(time.RFC3339Nano, r.s("submittedAt"))
	if err != nil || !submitted.Equal(deadline) {
		t.Fatalf("submittedAt = %q, want the deadline %s", r.s("submittedAt"), deadline)
	}
	if r.s("score") != "2" {
		t.Fatalf("graded on %s, want the answer saved at the deadline (score 2): %s", r.s("score"), r.raw)
	}
}

// The deadline holds across a crash: the scheduled autosubmits live in the embedded Redis, which
// dies with the process. When the workers start, every open attempt's deadline is scheduled
// again (not left to a reconciler pass minutes later).
func TestQuizDeadlinesRescheduledWhenWorkersStart(t *testing.T) {
	l := startLiveWith(t, false)
	w := newQuizWorld(t, l)
	now := l.clock.Now()
	exam := w.exam(t, "IMMEDIATE", now.Add(-time.Minute), now.Add(time.Hour), 30, 1, w.tf)
	att := l.must(l.call("POST", "/v1/exams/"+exam+"/attempts", w.m1, map[string]any{}), 200)
	id := att.s("id")
	deadline, err := time.Parse(time.RFC3339, att.s("deadline"))
	if err != nil {
		t.Fatal(err)
	}
	taskID := "quiz:autosubmit:" + id + "@" + strconv.FormatInt(deadline.Unix(), 10)
	opt := asynq.RedisClientOpt{Addr: l.p.RedisAddr}
	in := asynq.NewInspector(opt)
	defer in.Close()
	if _, err := in.GetTaskInfo("quiz", taskID); err != nil {
		t.Fatalf("autosubmit not scheduled at start: %v", err)
	}
	// The queue loses everything, as the embedded Redis does in a crash.
	rdb := redis.NewClient(&redis.Options{Addr: l.p.RedisAddr})
	defer rdb.Close()
	if err := rdb.FlushAll(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := in.GetTaskInfo("quiz", taskID); err == nil {
		t.Fatal("flush left the task")
	}
	l.startWorkers()
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		info, err := in.GetTaskInfo("quiz", taskID)
		if err == nil {
			if info.State != asynq.TaskStateScheduled {
				t.Fatalf("rescheduled task is %v, want scheduled", info.State)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("autosubmit of attempt %s not rescheduled when the workers started: %v", id, err)
		}
	}
}

// The remedy through HTTP: the trainer reopens a member's submitted attempt until a later
// deadline with a reason (audited in org's log); the member answers again and submits; the
// member cannot do it themselves, nor can a trainer of another org.
func TestQuizTrainerReopensAnAttempt(t *testing.T) {
	l := startLive(t)
	w := newQuizWorld(t, l)
	now := l.clock.Now()
	exam := w.exam(t, "AFTER_CLOSE", now.Add(-time.Minute), now.Add(2*time.Hour), 30, 1, w.tf)
	id := l.must(l.call("POST", "/v1/exams/"+exam+"/attempts", w.m1, map[string]any{}), 200).s("id")
	l.must(l.call("PUT", "/v1/attempts/"+id+"/answers/1", w.m1, map[string]any{"value": map[string]any{"choices": []string{"false"}}, "version": 1}), 200)
	l.must(l.call("POST", "/v1/attempts/"+id+":submit", w.m1, map[string]any{}), 200)
	waitStatus(t, l, w.trainer, exam, "graded")

	until := l.clock.Now().Add(time.Hour).UTC().Truncate(time.Second).Format(time.RFC3339)
	body := map[string]any{"deadline": until, "reason": "考生手机没电，监考确认"}
	l.must(l.call("PUT", "/v1/attempts/"+id+"/deadline", w.m1, body), 403, "PERMISSION_DENIED")
	l.must(l.call("PUT", "/v1/attempts/"+id+"/deadline", w.trainer, map[string]any{"deadline": until, "reason": ""}), 400, "INVALID_ARGUMENT")
	l.must(l.call("PUT", "/v1/attempts/"+id+"/deadline", w.trainer, map[string]any{"deadline": "明天", "reason": "x"}), 400, "INVALID_ARGUMENT")
	r := l.must(l.call("PUT", "/v1/attempts/"+id+"/deadline", w.trainer, body), 200)
	if r.s("status") != "in_progress" || r.s("deadline") != until || r.s("score") != "" {
		t.Fatalf("reopened = %s", r.raw)
	}
	// A retry changes nothing more.
	l.must(l.call("PUT", "/v1/attempts/"+id+"/deadline", w.trainer, body), 200)

	mine := l.must(l.call("GET", "/v1/attempts/"+id, w.m1, nil), 200)
	if mine.s("status") != "in_progress" || mine.s("notice") == "" {
		t.Fatalf("member's view after reopen = %s", mine.raw)
	}
	l.must(l.call("PUT", "/v1/attempts/"+id+"/answers/1", w.m1, map[string]any{"value": map[string]any{"choices": []string{"true"}}, "version": 2}), 200)
	l.must(l.call("POST", "/v1/attempts/"+id+":submit", w.m1, map[string]any{}), 200)
	waitStatus(t, l, w.trainer, exam, "graded")

	var entries []string
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		logs := l.must(l.call("GET", "/v1/audit-logs?action=attempt.reopen&pageSize=100", w.admin, nil), 200)
		if s := logs.s("logs", "0", "summary"); s != "" {
			entries = append(entries, s)
			if logs.s("logs", "1", "summary") != "" {
				t.Fatalf("a retried reopen was audited twice: %s", logs.raw)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("reopen not in the audit log: %s", logs.raw)
		}
	}
	if !strings.Contains(entries[0], "考生手机没电") {
		t.Fatalf("audit summary = %q", entries[0])
	}
}
