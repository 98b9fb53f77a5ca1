package standalone

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	quizv1 "github.com/vanguard/vanguard/api/quiz/v1"
)

// quizWorld is an org tree with a trainer and members, and a bank of five question types.
type quizWorld struct {
	l                              *live
	admin, trainer, staff          string
	m1, m2, mb                     string
	orgA, orgB                     string
	single, multi, tf, fill, essay string
}

func newQuizWorld(t *testing.T, l *live) *quizWorld {
	w := &quizWorld{l: l}
	w.admin = l.login("admin", "Admin-pass-2026")
	root := l.must(l.call("GET", "/v1/me", w.admin, nil), 200).s("orgId")
	w.orgA = l.must(l.call("POST", "/v1/orgs", w.admin, map[string]any{"parentId": root, "name": "A", "code": "A", "type": "BRANCH"}), 200).s("id")
	w.orgB = l.must(l.call("POST", "/v1/orgs", w.admin, map[string]any{"parentId": root, "name": "B", "code": "B", "type": "BRANCH"}), 200).s("id")
	user := func(name, org, role string) string {
		l.must(l.call("POST", "/v1/accounts", w.admin, map[string]any{"username": name, "displayName": name, "password": "Passw0rd-" + name, "roles": []string{role}, "orgId": org}), 200)
		return l.login(name, "Passw0rd-"+name)
	}
	w.trainer = user("qtrainer", w.orgA, "TRAINER")
	w.staff = user("qstaff", w.orgA, "STAFF")
	w.m1 = user("qm1", w.orgA, "MEMBER")
	w.m2 = user("qm2", w.orgA, "MEMBER")
	w.mb = user("qmb", w.orgB, "MEMBER")
	bank := l.must(l.call("POST", "/v1/banks", w.trainer, map[string]any{"name": "党章题库"}), 200).s("id")
	q := func(body map[string]any) string {
		body["bankId"] = bank
		if body["defaultPoints"] == nil {
			body["defaultPoints"] = 2
		}
		return l.must(l.call("POST", "/v1/banks/"+bank+"/questions", w.trainer, body), 200).s("id")
	}
	opts := []map[string]any{{"key": "A", "html": "1919年"}, {"key": "B", "html": "1921年"}, {"key": "C", "html": "1927年"}, {"key": "D", "html": "1949年"}}
	w.single = q(map[string]any{"type": "SINGLE", "stemHtml": "中国共产党成立于哪一年？", "options": opts, "answerKeys": []string{"B"}, "explanationHtml": "SECRET-EXPLANATION 1921年7月"})
	w.multi = q(map[string]any{"type": "MULTIPLE", "stemHtml": "下列属于“四个意识”的是", "options": []map[string]any{{"key": "A", "html": "政治意识"}, {"key": "B", "html": "市场意识"}, {"key": "C", "html": "大局意识"}}, "answerKeys": []string{"A", "C"}})
	w.tf = q(map[string]any{"type": "TRUE_FALSE", "stemHtml": "党的最高领导机关是党的全国代表大会和它所产生的中央委员会。", "answerKeys": []string{"true"}})
	w.fill = q(map[string]any{"type": "FILL_BLANK", "stemHtml": "____年，____成立。", "blanks": []map[string]any{{"accepted": []string{"1921"}}, {"accepted": []string{"SECRET-BLANK中国共产党", "中共"}}}})
	w.essay = q(map[string]any{"type": "ESSAY", "stemHtml": "谈谈你对党史学习教育的体会。", "reference": "SECRET-REFERENCE", "defaultPoints": 10})
	return w
}

// relogin renews every token (after the fake clock moved past their 15 minutes).
func (w *quizWorld) relogin() {
	w.admin = w.l.login("admin", "Admin-pass-2026")
	w.trainer = w.l.login("qtrainer", "Passw0rd-qtrainer")
	w.m1 = w.l.login("qm1", "Passw0rd-qm1")
	w.m2 = w.l.login("qm2", "Passw0rd-qm2")
}

func (w *quizWorld) exam(t testing.TB, policy string, opens, closes time.Time, minutes, attempts int, items ...string) string {
	l := w.l
	var its []map[string]any
	for _, id := range items {
		its = append(its, map[string]any{"questionId": id})
	}
	paper := l.must(l.call("POST", "/v1/papers", w.trainer, map[string]any{"title": "试卷", "items": its}), 200).s("id")
	return l.must(l.call("POST", "/v1/exams", w.trainer, map[string]any{
		"paperId": paper, "title": "考试", "opensAt": opens.Format(time.RFC3339), "closesAt": closes.Format(time.RFC3339),
		"durationMinutes": minutes, "attemptsAllowed": attempts, "resultsPolicy": policy, "passMark": 1,
		"shuffleOptions": true, "shuffleQuestions": true, "targetOrgIds": []string{w.orgA},
	}), 200).s("id")
}

// noKeys fails if a member-facing response carries anything of the answer key.
func noKeys(t *testing.T, raw string) {
	t.Helper()
	for _, leak := range []string{"answerKeys", "SECRET-", "explanationHtml", "reference", `"correct"`, `"blanks"`, `"score"`, `"results":[{`, `"passed"`} {
		if strings.Contains(raw, leak) {
			t.Fatalf("member-facing response leaks %q: %s", leak, raw)
		}
	}
}

func TestQuizJourney(t *testing.T) {
	l := startLive(t)
	w := newQuizWorld(t, l)
	now := l.clock.Now()
	exam := w.exam(t, "IMMEDIATE", now.Add(-time.Minute), now.Add(time.Hour), 30, 2, w.single, w.multi, w.tf, w.fill, w.essay)

	// Not targeted → 404; before it opens → EXAM_CLOSED.
	l.must(l.call("POST", "/v1/exams/"+exam+"/attempts", w.mb, map[string]any{}), 404, "NOT_FOUND")
	early := w.exam(t, "IMMEDIATE", now.Add(time.Hour), now.Add(2*time.Hour), 30, 1, w.single)
	l.must(l.call("POST", "/v1/exams/"+early+"/attempts", w.m1, map[string]any{}), 409, "EXAM_CLOSED")

	start := l.must(l.call("POST", "/v1/exams/"+exam+"/attempts", w.m1, map[string]any{}), 200)
	noKeys(t, start.raw)
	att := start.s("id")
	if start.s("remainingSeconds") != "1800" || strings.Count(start.raw, `"no":`) != 5 {
		t.Fatalf("start = %s", start.raw)
	}
	// Starting again resumes the same attempt.
	if again := l.must(l.call("POST", "/v1/exams/"+exam+"/attempts", w.m1, map[string]any{}), 200); again.s("id") != att {
		t.Fatalf("second start made a new attempt: %s", again.raw)
	}
	// Map question numbers to types, and find the right option labels after shuffling.
	byType := map[string]string{}
	rightLabel := func(no, html string) string {
		for i := 0; i < 4; i++ {
			for j := 0; j < 5; j++ {
				if start.s("questions", itoa(j), "no") == no && start.s("questions", itoa(j), "options", itoa(i), "html") == html {
					return start.s("questions", itoa(j), "options", itoa(i), "key")
				}
			}
		}
		return ""
	}
	for j := 0; j < 5; j++ {
		byType[start.s("questions", itoa(j), "type")] = start.s("questions", itoa(j), "no")
	}

	// Another member can neither read, autosave into nor submit this attempt.
	l.must(l.call("GET", "/v1/attempts/"+att, w.m2, nil), 404, "NOT_FOUND")
	l.must(l.call("PUT", "/v1/attempts/"+att+"/answers/1", w.m2, map[string]any{"value": map[string]any{"choices": []string{"A"}}, "version": 99}), 404, "NOT_FOUND")
	l.must(l.call("POST", "/v1/attempts/"+att+":submit", w.m2, map[string]any{}), 404, "NOT_FOUND")
	l.must(l.call("GET", "/v1/exams/"+exam+"/attempts", w.m2, nil), 403, "PERMISSION_DENIED")

	save := func(no string, version int, choices []string, text string) reply {
		return l.call("PUT", "/v1/attempts/"+att+"/answers/"+no, w.m1, map[string]any{"value": map[string]any{"choices": choices, "text": text}, "version": version})
	}
	l.must(save(byType["SINGLE"], 5, []string{rightLabel(byType["SINGLE"], "1921年")}, ""), 200)
	// A stale autosave (older version, e.g. from another device) does not overwrite.
	l.must(save(byType["SINGLE"], 3, []string{rightLabel(byType["SINGLE"], "1919年")}, ""), 409, "STALE_ANSWER")
	l.must(save(byType["MULTIPLE"], 1, []string{rightLabel(byType["MULTIPLE"], "政治意识"), rightLabel(byType["MULTIPLE"], "大局意识")}, ""), 200)
	l.must(save(byType["TRUE_FALSE"], 1, []string{"true"}, ""), 200)
	l.must(save(byType["FILL_BLANK"], 1, []string{" １９２１ ", "中共"}, ""), 200) // full-width digits, spaces
	l.must(save(byType["ESSAY"], 1, nil, "学史明理、学史增信"), 200)
	l.must(save("9", 1, []string{"A"}, ""), 400, "INVALID_ARGUMENT")
	l.must(l.call("POST", "/v1/attempts/"+att+":focus-loss", w.m1, map[string]any{}), 200)

	// Resume: saved answers and remaining time come back, still without keys.
	l.clock.Advance(5 * time.Minute)
	resumed := l.must(l.call("GET", "/v1/attempts/"+att, w.m1, nil), 200)
	noKeys(t, resumed.raw)
	if resumed.s("remainingSeconds") != "1500" || strings.Count(resumed.raw, `"questionNo"`) != 5 {
		t.Fatalf("resume = %s", resumed.raw)
	}

	sub := l.must(l.call("POST", "/v1/attempts/"+att+":submit", w.m1, map[string]any{}), 200)
	noKeys(t, sub.raw)
	l.must(l.call("POST", "/v1/attempts/"+att+":submit", w.m1, map[string]any{}), 200) // retry: same attempt
	l.must(save(byType["TRUE_FALSE"], 9, []string{"false"}, ""), 409, "ATTEMPT_CLOSED")

	// Grading runs on the worker; the essay waits for the trainer, so nothing is released yet.
	var list reply
	for i := 0; i < 200; i++ {
		list = l.must(l.call("GET", "/v1/exams/"+exam+"/attempts", w.trainer, nil), 200)
		if list.s("attempts", "0", "status") == "graded" {
			break
		}
		time.Sleep(25 * time.Millisecond)
	}
	if list.s("attempts", "0", "status") != "graded" || list.s("attempts", "0", "needsReview") != "true" || list.s("attempts", "0", "focusLosses") != "1" {
		t.Fatalf("trainer's list = %s", list.raw)
	}
	if n := strings.Count(list.raw, `"id"`); n != 1 {
		t.Fatalf("duplicate submit made %d attempts", n)
	}
	noKeys(t, l.must(l.call("GET", "/v1/attempts/"+att, w.m1, nil), 200).raw)

	// The essay is in the trainer's review queue (not in a member's).
	if q := l.must(l.call("GET", "/v1/review-queue", w.trainer, nil), 200); q.s("attempts", "0", "id") != att || q.s("attempts", "1") != "" {
		t.Fatalf("review queue = %s", q.raw)
	}
	l.must(l.call("GET", "/v1/review-queue", w.m1, nil), 403, "PERMISSION_DENIED")
	// Member cannot score; trainer of another org cannot see it; the trainer scores the essay.
	l.must(l.call("POST", "/v1/attempts/"+att+"/answers/"+byType["ESSAY"]+":score", w.m1, map[string]any{"score": 10}), 404)
	l.must(l.call("POST", "/v1/attempts/"+att+"/answers/"+byType["ESSAY"]+":score", w.trainer, map[string]any{"score": 11}), 400, "INVALID_ARGUMENT")
	l.must(l.call("POST", "/v1/attempts/"+att+"/answers/"+byType["ESSAY"]+":score", w.trainer, map[string]any{"score": 7.5, "comment": "较好"}), 200)

	if q := l.must(l.call("GET", "/v1/review-queue", w.trainer, nil), 200); strings.Contains(q.raw, `"id"`) {
		t.Fatalf("scored attempt still in the review queue: %s", q.raw)
	}
	done := l.must(l.call("GET", "/v1/attempts/"+att, w.m1, nil), 200)
	// 2 + 2 + 2 + 2 + 7.5: every objective answer right (full-width fill normalised).
	if done.s("score") != "15.5" || done.s("passed") != "true" || !strings.Contains(done.raw, "SECRET-EXPLANATION") {
		t.Fatalf("released result = %s", done.raw)
	}
	// Statistics for the trainer; members are refused.
	st := l.must(l.call("GET", "/v1/exams/"+exam+"/stats", w.trainer, nil), 200)
	if st.s("participants") != "1" || st.s("meanScore") != "15.5" || st.s("passRate") != "1" || !strings.Contains(st.raw, `"facility":1`) {
		t.Fatalf("stats = %s", st.raw)
	}
	l.must(l.call("GET", "/v1/exams/"+exam+"/stats", w.m1, nil), 403, "PERMISSION_DENIED")
	x := l.must(l.call("GET", "/v1/exams/"+exam+"/stats:export", w.trainer, nil), 200)
	book, err := base64.StdEncoding.DecodeString(x.s("content"))
	if err != nil {
		t.Fatal(err)
	}
	xf, err := excelize.OpenReader(bytes.NewReader(book))
	if err != nil {
		t.Fatalf("export is not a workbook: %v", err)
	}
	if rows, _ := xf.GetRows("答卷"); len(rows) != 2 || rows[1][4] != "15.5" {
		t.Fatalf("exported attempts = %v", rows)
	}
	l.must(l.call("GET", "/v1/exams/"+exam+"/stats:export", w.m2, nil), 403, "PERMISSION_DENIED")
	l.must(l.call("GET", "/v1/exams/"+exam+"/stats", w.mb, nil), 404, "NOT_FOUND")
	my := l.must(l.call("GET", "/v1/my/exams", w.m1, nil), 200)
	if !strings.Contains(my.raw, `"score":15.5`) {
		t.Fatalf("my exams = %s", my.raw)
	}
	// The member's own past attempts, with ids to reopen them and the released score; never
	// another member's.
	if myAttempt(my, exam, "id") != att || myAttempt(my, exam, "score") != "15.5" {
		t.Fatalf("my exams lack attempt %s with its score: %s", att, my.raw)
	}
	if other := l.must(l.call("GET", "/v1/my/exams", w.m2, nil), 200); myAttempt(other, exam, "id") != "" {
		t.Fatalf("another member's exams list attempt %s: %s", att, other.raw)
	}
}

// myAttempt is a field of the first attempt a /v1/my/exams reply lists for exam ("" if none).
func myAttempt(my reply, exam, field string) string {
	for i := 0; ; i++ {
		id := my.s("exams", fmt.Sprint(i), "exam", "id")
		if id == "" {
			return ""
		}
		if id == exam {
			return my.s("exams", fmt.Sprint(i), "attempts", "0", field)
		}
	}
}

// Results after the window closes; deadlines enforced by the server; attempts limited.
func TestQuizPoliciesAndDeadlines(t *testing.T) {
	l := startLive(t)
	w := newQuizWorld(t, l)
	now := l.clock.Now()

	// AFTER_CLOSE: nothing about the score before the window ends.
	ac := w.exam(t, "AFTER_CLOSE", now.Add(-time.Minute), now.Add(20*time.Minute), 10, 1, w.tf)
	att := l.must(l.call("POST", "/v1/exams/"+ac+"/attempts", w.m1, map[string]any{}), 200).s("id")
	l.must(l.call("PUT", "/v1/attempts/"+att+"/answers/1", w.m1, map[string]any{"value": map[string]any{"choices": []string{"true"}}, "version": 1}), 200)
	l.must(l.call("POST", "/v1/attempts/"+att+":submit", w.m1, map[string]any{}), 200)
	waitStatus(t, l, w.trainer, ac, "graded")
	noKeys(t, l.must(l.call("GET", "/v1/attempts/"+att, w.m1, nil), 200).raw)
	before := l.must(l.call("GET", "/v1/my/exams", w.m1, nil), 200)
	noKeys(t, before.raw)
	if myAttempt(before, ac, "id") != att {
		t.Fatalf("my exams before close lack attempt %s: %s", att, before.raw)
	}
	// Only one attempt allowed.
	l.must(l.call("POST", "/v1/exams/"+ac+"/attempts", w.m1, map[string]any{}), 409, "EXAM_CLOSED")
	l.clock.Advance(21 * time.Minute)
	w.relogin()
	if r := l.must(l.call("GET", "/v1/attempts/"+att, w.m1, nil), 200); r.s("score") != "2" {
		t.Fatalf("after close = %s", r.raw)
	}
	if r := l.must(l.call("GET", "/v1/my/exams", w.m1, nil), 200); myAttempt(r, ac, "id") != att || myAttempt(r, ac, "score") != "2" || myAttempt(r, ac, "passed") != "true" {
		t.Fatalf("my exams after close = %s", r.raw)
	}

	// NEVER: the member never sees a score; the trainer does.
	now = l.clock.Now()
	nv := w.exam(t, "NEVER", now.Add(-time.Minute), now.Add(time.Minute), 10, 1, w.single)
	att = l.must(l.call("POST", "/v1/exams/"+nv+"/attempts", w.m2, map[string]any{}), 200).s("id")
	l.must(l.call("POST", "/v1/attempts/"+att+":submit", w.m2, map[string]any{}), 200)
	waitStatus(t, l, w.trainer, nv, "graded")
	l.clock.Advance(time.Hour)
	w.relogin()
	noKeys(t, l.must(l.call("GET", "/v1/attempts/"+att, w.m2, nil), 200).raw)

	// Deadline: a 1-minute exam; two minutes later answers are refused and the server finalises
	// the attempt itself (reconciler / autosubmit), then grades it.
	now = l.clock.Now()
	short := w.exam(t, "IMMEDIATE", now.Add(-time.Minute), now.Add(time.Hour), 1, 1, w.tf)
	att = l.must(l.call("POST", "/v1/exams/"+short+"/attempts", w.m1, map[string]any{}), 200).s("id")
	l.must(l.call("PUT", "/v1/attempts/"+att+"/answers/1", w.m1, map[string]any{"value": map[string]any{"choices": []string{"true"}}, "version": 1}), 200)
	l.clock.Advance(2 * time.Minute)
	l.must(l.call("PUT", "/v1/attempts/"+att+"/answers/1", w.m1, map[string]any{"value": map[string]any{"choices": []string{"false"}}, "version": 2}), 409, "ATTEMPT_CLOSED")
	waitStatus(t, l, w.trainer, short, "graded")
	r := l.must(l.call("GET", "/v1/attempts/"+att, w.m1, nil), 200)
	if r.s("score") != "2" || !strings.HasPrefix(r.s("submittedAt"), r.s("deadline")[:16]) {
		t.Fatalf("server-finalised attempt = %s", r.raw)
	}
}

func waitStatus(t *testing.T, l *live, token, exam, status string) {
	t.Helper()
	for i := 0; i < 400; i++ {
		r := l.must(l.call("GET", "/v1/exams/"+exam+"/attempts", token, nil), 200)
		list, _ := r.json["attempts"].([]any)
		all := len(list) > 0
		for i := range list {
			all = all && r.s("attempts", fmt.Sprint(i), "status") == status
		}
		if all {
			return
		}
		time.Sleep(25 * time.Millisecond)
	}
	t.Fatalf("exam %s attempts never all reached %s", exam, status)
}

func itoa(i int) string { return string(rune('0' + i)) }

// An exam can target individual members: only they (and the orgs named) may take it, and only
// managers of the member's org may target them.
func TestQuizTargetsIndividualMembers(t *testing.T) {
	l := startLive(t)
	w := newQuizWorld(t, l)
	mbID := l.must(l.call("GET", "/v1/me", w.mb, nil), 200).s("id")
	paper := l.must(l.call("POST", "/v1/papers", w.trainer, map[string]any{"title": "补考", "items": []map[string]any{{"questionId": w.tf}}}), 200).s("id")
	now := l.clock.Now()
	body := map[string]any{"paperId": paper, "title": "补考", "opensAt": now.Add(-time.Minute).Format(time.RFC3339),
		"closesAt": now.Add(time.Hour).Format(time.RFC3339), "durationMinutes": 10, "attemptsAllowed": 1,
		"resultsPolicy": "IMMEDIATE", "targetUserIds": []string{mbID}}
	// The trainer of A cannot target a member of B (not visible to it in the org service).
	l.must(l.call("POST", "/v1/exams", w.trainer, body), 404, "NOT_FOUND")
	exam := l.must(l.call("POST", "/v1/exams", w.admin, body), 200).s("id")
	l.must(l.call("POST", "/v1/exams/"+exam+"/attempts", w.m1, map[string]any{}), 404, "NOT_FOUND")
	l.must(l.call("POST", "/v1/exams/"+exam+"/attempts", w.mb, map[string]any{}), 200)
	if my := l.must(l.call("GET", "/v1/my/exams", w.mb, nil), 200); !strings.Contains(my.raw, `"补考"`) {
		t.Fatalf("my exams = %s", my.raw)
	}
	delete(body, "targetUserIds")
	l.must(l.call("POST", "/v1/exams", w.admin, body), 400, "INVALID_ARGUMENT")
}

// TestMemberResults: the growth service reads a member's released results from quiz over gRPC
// with its service credentials; a result not released to the member (after the window closes)
// never leaves quiz; a user's token and another service are refused.
func TestMemberResults(t *testing.T) {
	l := startLive(t)
	w := newQuizWorld(t, l)
	ctx := context.Background()
	now := l.clock.Now()
	take := func(exam string) {
		t.Helper()
		att := l.must(l.call("POST", "/v1/exams/"+exam+"/attempts", w.m1, map[string]any{}), 200).s("id")
		l.must(l.call("PUT", "/v1/attempts/"+att+"/answers/1", w.m1, map[string]any{"value": map[string]any{"choices": []string{"true"}}, "version": 1}), 200)
		l.must(l.call("POST", "/v1/attempts/"+att+":submit", w.m1, map[string]any{}), 200)
		for i := 0; ; i++ {
			if l.must(l.call("GET", "/v1/exams/"+exam+"/attempts", w.trainer, nil), 200).s("attempts", "0", "status") == "graded" {
				return
			}
			if i > 200 {
				t.Fatal("the attempt was not graded")
			}
			time.Sleep(25 * time.Millisecond)
		}
	}
	released := w.exam(t, "IMMEDIATE", now.Add(-time.Minute), now.Add(time.Hour), 30, 1, w.tf)
	take(released)
	take(w.exam(t, "AFTER_CLOSE", now.Add(-time.Minute), now.Add(time.Hour), 30, 1, w.tf))
	id, _ := strconv.ParseInt(l.must(l.call("GET", "/v1/me", w.m1, nil), 200).s("id"), 10, 64)
	req := &quizv1.GetMemberResultsRequest{MemberId: id}

	rs, err := quizv1.NewDossiersClient(l.grpcConn(l.serviceToken("growth"))).GetMemberResults(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs.GetResults()) != 1 || fmt.Sprint(rs.GetResults()[0].GetExamId()) != released || rs.GetResults()[0].GetScore() != 2 ||
		rs.GetResults()[0].GetMaxScore() != 2 || !rs.GetResults()[0].GetPassed() || rs.GetResults()[0].GetGradedAt() == "" {
		t.Errorf("results: %v", rs)
	}
	_, err = quizv1.NewDossiersClient(l.grpcConn(l.serviceToken("search"))).GetMemberResults(ctx, req)
	wantCode(t, "another service", err, 403)
	_, err = quizv1.NewDossiersClient(l.grpcConn(w.trainer)).GetMemberResults(ctx, req)
	wantCode(t, "a trainer's token", err, 403)
}
