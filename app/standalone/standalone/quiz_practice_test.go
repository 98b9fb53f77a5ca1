package standalone

import (
	"strings"
	"testing"
	"time"
)

func TestPracticeAndWrongAnswerBook(t *testing.T) {
	l := startLive(t)
	w := newQuizWorld(t, l) // the world's bank (org A) is a practice bank
	examOnly := l.must(l.call("POST", "/v1/banks", w.trainer, map[string]any{"name": "考试专用", "examOnly": true}), 200).s("id")
	secret := l.must(l.call("POST", "/v1/banks/"+examOnly+"/questions", w.trainer, map[string]any{
		"bankId": examOnly, "type": "TRUE_FALSE", "stemHtml": "EXAM-ONLY 题", "answerKeys": []string{"true"}, "defaultPoints": 1,
	}), 200).s("id")

	p := l.must(l.call("POST", "/v1/practice", w.m1, map[string]any{"count": 10}), 200)
	noKeys(t, p.raw)
	if strings.Contains(p.raw, "EXAM-ONLY") || strings.Contains(p.raw, "ESSAY") || strings.Count(p.raw, `"no":`) != 4 {
		t.Fatalf("practice draw = %s", p.raw)
	}
	// Answer the true/false question wrong and the fill-in right.
	var tfNo, fillNo string
	for i := 0; i < 4; i++ {
		switch p.s("questions", itoa(i), "type") {
		case "TRUE_FALSE":
			tfNo = p.s("questions", itoa(i), "no")
		case "FILL_BLANK":
			fillNo = p.s("questions", itoa(i), "no")
		}
	}
	sid := p.s("sessionId")
	wrong := l.must(l.call("POST", "/v1/practice/"+sid+"/answers/"+tfNo, w.m1, map[string]any{"value": map[string]any{"choices": []string{"false"}}}), 200)
	if wrong.s("correct") != "false" || wrong.s("answerKeys") != `["true"]` {
		t.Fatalf("feedback = %s", wrong.raw)
	}
	right := l.must(l.call("POST", "/v1/practice/"+sid+"/answers/"+fillNo, w.m1, map[string]any{"value": map[string]any{"choices": []string{"1921", "中共"}}}), 200)
	if right.s("correct") != "true" {
		t.Fatalf("feedback = %s", right.raw)
	}
	// Someone else's session is not theirs to answer.
	l.must(l.call("POST", "/v1/practice/"+sid+"/answers/"+tfNo, w.m2, map[string]any{"value": map[string]any{"choices": []string{"true"}}}), 404, "NOT_FOUND")

	book := l.must(l.call("GET", "/v1/my/wrong-answers", w.m1, nil), 200)
	if book.s("items", "0", "questionId") != w.tf || book.s("items", "0", "wrongCount") != "1" || book.s("items", "1") != "" {
		t.Fatalf("wrong book = %s", book.raw)
	}
	// Retry: only questions in one's own book (never a key oracle), right marks it mastered.
	l.must(l.call("POST", "/v1/my/wrong-answers/"+secret+":retry", w.m1, map[string]any{"value": map[string]any{"choices": []string{"true"}}}), 404, "NOT_FOUND")
	l.must(l.call("POST", "/v1/my/wrong-answers/"+w.tf+":retry", w.m2, map[string]any{"value": map[string]any{"choices": []string{"true"}}}), 404, "NOT_FOUND")
	if r := l.must(l.call("POST", "/v1/my/wrong-answers/"+w.tf+":retry", w.m1, map[string]any{"value": map[string]any{"choices": []string{"true"}}}), 200); r.s("correct") != "true" {
		t.Fatalf("retry = %s", r.raw)
	}
	if b := l.must(l.call("GET", "/v1/my/wrong-answers", w.m1, nil), 200); strings.Contains(b.raw, `"questionId"`) {
		t.Fatalf("mastered entry still listed: %s", b.raw)
	}
	if b := l.must(l.call("GET", "/v1/my/wrong-answers?includeMastered=true", w.m1, nil), 200); b.s("items", "0", "mastered") != "true" {
		t.Fatalf("include mastered = %s", b.raw)
	}

	// Exam mistakes join the book only once results are released (after the window closes).
	now := l.clock.Now()
	exam := w.exam(t, "AFTER_CLOSE", now.Add(-time.Minute), now.Add(20*time.Minute), 10, 1, w.single)
	att := l.must(l.call("POST", "/v1/exams/"+exam+"/attempts", w.m2, map[string]any{}), 200).s("id")
	l.must(l.call("POST", "/v1/attempts/"+att+":submit", w.m2, map[string]any{}), 200) // blank = wrong
	waitStatus(t, l, w.trainer, exam, "graded")
	if b := l.must(l.call("GET", "/v1/my/wrong-answers", w.m2, nil), 200); strings.Contains(b.raw, w.single) {
		t.Fatalf("unreleased exam mistake leaked into the wrong book: %s", b.raw)
	}
	l.clock.Advance(21 * time.Minute)
	w.relogin()
	if b := l.must(l.call("GET", "/v1/my/wrong-answers", w.m2, nil), 200); b.s("items", "0", "questionId") != w.single {
		t.Fatalf("released exam mistake missing from the wrong book: %s", b.raw)
	}
	// Members of B have no practice banks.
	l.must(l.call("POST", "/v1/practice", l.login("qmb", "Passw0rd-qmb"), map[string]any{"count": 3}), 400, "INVALID_ARGUMENT")
}
