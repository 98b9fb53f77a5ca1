package standalone

import (
	"strings"
	"testing"
	"time"
)

// A trainer fixes a wrong key; the regrade re-scores the attempts with the new key (mapped
// through each attempt's shuffled option labels), leaves a notice, and members cannot regrade.
func TestQuizRegradeAfterKeyFix(t *testing.T) {
	l := startLive(t)
	w := newQuizWorld(t, l)
	bank := l.must(l.call("POST", "/v1/banks", w.trainer, map[string]any{"name": "更正题库"}), 200).s("id")
	opts := []map[string]any{{"key": "A", "html": "1919年"}, {"key": "B", "html": "1921年"}, {"key": "C", "html": "1927年"}}
	q := l.must(l.call("POST", "/v1/banks/"+bank+"/questions", w.trainer, map[string]any{
		"bankId": bank, "type": "SINGLE", "stemHtml": "建党时间", "options": opts, "answerKeys": []string{"A"}, "defaultPoints": 5,
	}), 200).s("id")
	now := l.clock.Now()
	exam := w.exam(t, "IMMEDIATE", now.Add(-time.Minute), now.Add(time.Hour), 30, 1, q)
	for _, m := range []string{w.m1, w.m2} {
		v := l.must(l.call("POST", "/v1/exams/"+exam+"/attempts", m, map[string]any{}), 200)
		label := ""
		for i := 0; i < 3; i++ {
			if v.s("questions", "0", "options", itoa(i), "html") == "1921年" {
				label = v.s("questions", "0", "options", itoa(i), "key")
			}
		}
		l.must(l.call("PUT", "/v1/attempts/"+v.s("id")+"/answers/1", m, map[string]any{"value": map[string]any{"choices": []string{label}}, "version": 1}), 200)
		l.must(l.call("POST", "/v1/attempts/"+v.s("id")+":submit", m, map[string]any{}), 200)
	}
	waitStatus(t, l, w.trainer, exam, "graded")
	mine := func(m string) reply {
		return l.must(l.call("GET", "/v1/attempts/1", m, nil), 200)
	}
	if r := mine(w.m1); r.s("score") != "0" {
		t.Fatalf("before the fix = %s", r.raw)
	}
	// Fix the key (new version); the attempts keep the old one until the regrade.
	l.must(l.call("PUT", "/v1/questions/"+q, w.trainer, map[string]any{"question": map[string]any{
		"bankId": bank, "type": "SINGLE", "stemHtml": "建党时间", "options": opts, "answerKeys": []string{"B"}, "defaultPoints": 5,
	}}), 200)
	if r := mine(w.m1); r.s("score") != "0" {
		t.Fatalf("editing the question changed a past attempt: %s", r.raw)
	}
	l.must(l.call("POST", "/v1/exams/"+exam+":regrade", w.m1, map[string]any{"reason": "x"}), 403, "PERMISSION_DENIED")
	l.must(l.call("POST", "/v1/exams/"+exam+":regrade", w.trainer, map[string]any{"reason": ""}), 400, "INVALID_ARGUMENT")
	r := l.must(l.call("POST", "/v1/exams/"+exam+":regrade", w.trainer, map[string]any{"reason": "第1题答案应为1921年"}), 200)
	if r.s("checked") != "2" || r.s("changed") != "2" {
		t.Fatalf("regrade = %s", r.raw)
	}
	after := mine(w.m1)
	if after.s("score") != "5" || !strings.Contains(after.s("notice"), "原得分 0，现得分 5") {
		t.Fatalf("after regrade = %s", after.raw)
	}
	// Running it again changes nothing.
	if again := l.must(l.call("POST", "/v1/exams/"+exam+":regrade", w.trainer, map[string]any{"reason": "复核"}), 200); again.s("changed") != "0" {
		t.Fatalf("second regrade = %s", again.raw)
	}
	// Both regrades are in the audit trail, newest first; members cannot read it.
	trail := l.must(l.call("GET", "/v1/exams/"+exam+"/regrades", w.trainer, nil), 200)
	if trail.s("regrades", "0", "reason") != "复核" || trail.s("regrades", "1", "reason") != "第1题答案应为1921年" ||
		trail.s("regrades", "1", "changed") != "2" || trail.s("regrades", "1", "actorName") != "qtrainer" {
		t.Fatalf("regrade trail = %s", trail.raw)
	}
	l.must(l.call("GET", "/v1/exams/"+exam+"/regrades", w.m1, nil), 403, "PERMISSION_DENIED")
}
