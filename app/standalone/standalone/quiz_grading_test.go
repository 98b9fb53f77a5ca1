package standalone

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	orgv1 "github.com/vanguard/vanguard/api/org/v1"
)

// A trainer grades with the member's answer in front of them: the exams they manage with live
// counts, attempt lists and the review queue by name, and the grader's view of an attempt with
// keys and the reference answer — which the member, other members, other orgs' trainers and
// users calling org's directory never get.
func TestTrainerGradesByName(t *testing.T) {
	l := startLive(t)
	w := newQuizWorld(t, l)
	now := l.clock.Now()
	exam := w.exam(t, "AFTER_CLOSE", now.Add(-time.Minute), now.Add(time.Hour), 30, 1, w.single, w.essay)
	l.must(l.call("POST", "/v1/accounts", w.admin, map[string]any{"username": "qtrainerb", "displayName": "培训员乙", "password": "Passw0rd-qtrainerb", "roles": []string{"TRAINER"}, "orgId": w.orgB}), 200)
	trainerB := l.login("qtrainerb", "Passw0rd-qtrainerb")

	start := l.must(l.call("POST", "/v1/exams/"+exam+"/attempts", w.m1, map[string]any{}), 200)
	att := start.s("id")
	l.must(l.call("POST", "/v1/exams/"+exam+"/attempts", w.m2, map[string]any{}), 200) // in progress
	essayNo := start.s("questions", "0", "no")
	if start.s("questions", "0", "type") != "ESSAY" {
		essayNo = start.s("questions", "1", "no")
	}
	l.must(l.call("PUT", "/v1/attempts/"+att+"/answers/"+essayNo, w.m1, map[string]any{"value": map[string]any{"text": "学史明理、学史增信、学史崇德、学史力行"}, "version": 1}), 200)
	l.must(l.call("POST", "/v1/attempts/"+att+":submit", w.m1, map[string]any{}), 200)
	for i := 0; ; i++ {
		if l.must(l.call("GET", "/v1/review-queue", w.trainer, nil), 200).s("attempts", "0", "id") == att {
			break
		}
		if i == 400 {
			t.Fatal("the attempt never reached the review queue")
		}
		time.Sleep(25 * time.Millisecond)
	}

	// The trainer's exams, with live counts; a member is refused; another org's trainer does
	// not see it.
	var mine struct {
		Exams []struct {
			Exam struct {
				ID string `json:"id"`
			} `json:"exam"`
			InProgress, Submitted, Graded int
		} `json:"exams"`
	}
	if err := json.Unmarshal([]byte(l.must(l.call("GET", "/v1/exams", w.trainer, nil), 200).raw), &mine); err != nil {
		t.Fatal(err)
	}
	if len(mine.Exams) != 1 || mine.Exams[0].Exam.ID != exam || mine.Exams[0].InProgress != 1 || mine.Exams[0].Graded != 1 {
		t.Fatalf("trainer's exams = %+v", mine)
	}
	l.must(l.call("GET", "/v1/exams", w.m1, nil), 403, "PERMISSION_DENIED")
	if other := l.must(l.call("GET", "/v1/exams", trainerB, nil), 200); strings.Contains(other.raw, `"id":"`+exam+`"`) {
		t.Fatalf("another org's trainer lists the exam: %s", other.raw)
	}

	// Names, not ids: the attempt list, the review queue and the statistics by org.
	list := l.must(l.call("GET", "/v1/exams/"+exam+"/attempts", w.trainer, nil), 200)
	if !strings.Contains(list.raw, `"memberName":"qm1"`) || !strings.Contains(list.raw, `"memberName":"qm2"`) || !strings.Contains(list.raw, `"orgName":"A"`) {
		t.Fatalf("attempt list without names: %s", list.raw)
	}
	queue := l.must(l.call("GET", "/v1/review-queue", w.trainer, nil), 200)
	if queue.s("attempts", "0", "id") != att || queue.s("attempts", "0", "memberName") != "qm1" || queue.s("attempts", "0", "orgName") != "A" {
		t.Fatalf("review queue = %s", queue.raw)
	}

	// The grader's view: the member's answer beside the reference answer and the keys.
	review := l.must(l.call("GET", "/v1/attempts/"+att+"/review", w.trainer, nil), 200)
	if review.s("attempt", "memberName") != "qm1" || review.s("examTitle") != "考试" {
		t.Fatalf("review header = %s", review.raw)
	}
	var items []struct {
		No            int      `json:"no"`
		Type          string   `json:"type"`
		StemHTML      string   `json:"stemHtml"`
		AnswerKeys    []string `json:"answerKeys"`
		Reference     string   `json:"reference"`
		PendingReview bool     `json:"pendingReview"`
		Answer        struct {
			Text string `json:"text"`
		} `json:"answer"`
	}
	if err := json.Unmarshal([]byte(review.s("items")), &items); err != nil || len(items) != 2 {
		t.Fatalf("review items = %s (%v)", review.s("items"), err)
	}
	for _, it := range items {
		switch it.Type {
		case "ESSAY":
			if it.Answer.Text != "学史明理、学史增信、学史崇德、学史力行" || it.Reference != "SECRET-REFERENCE" || !it.PendingReview || !strings.Contains(it.StemHTML, "体会") {
				t.Fatalf("essay as the grader sees it = %+v", it)
			}
		case "SINGLE":
			if len(it.AnswerKeys) != 1 || it.PendingReview {
				t.Fatalf("single choice as the grader sees it = %+v", it)
			}
		}
	}
	// Staff of the owning org may grade too; the member, another member, another org's trainer
	// and a caller without a token may not.
	l.must(l.call("GET", "/v1/attempts/"+att+"/review", w.staff, nil), 200)
	for who, r := range map[string]reply{
		"the member":             l.call("GET", "/v1/attempts/"+att+"/review", w.m1, nil),
		"another member":         l.call("GET", "/v1/attempts/"+att+"/review", w.m2, nil),
		"another org's member":   l.call("GET", "/v1/attempts/"+att+"/review", w.mb, nil),
		"another org's trainer":  l.call("GET", "/v1/attempts/"+att+"/review", trainerB, nil),
		"no token":               l.call("GET", "/v1/attempts/"+att+"/review", "", nil),
		"a missing attempt":      l.call("GET", "/v1/attempts/987654/review", w.trainer, nil),
		"a forged token (admin)": l.call("GET", "/v1/attempts/"+att+"/review", w.admin[:len(w.admin)-4]+"AAAA", nil),
	} {
		want := map[string]int{"the member": 403, "another member": 403, "another org's member": 404, "another org's trainer": 404,
			"no token": 401, "a missing attempt": 404, "a forged token (admin)": 401}[who]
		if r.status != want {
			t.Errorf("%s reading the grader's view: %d, want %d: %s", who, r.status, want, r.raw)
		}
		if strings.Contains(r.raw, "SECRET-") {
			t.Errorf("%s got the key: %s", who, r.raw)
		}
	}

	// Scored with the answer in view; the statistics name the org.
	l.must(l.call("POST", "/v1/attempts/"+att+"/answers/"+essayNo+":score", w.trainer, map[string]any{"score": 8, "comment": "体会深刻"}), 200)
	after := l.must(l.call("GET", "/v1/attempts/"+att+"/review", w.trainer, nil), 200)
	if !strings.Contains(after.raw, `"comment":"体会深刻"`) || strings.Contains(after.raw, `"pendingReview":true`) {
		t.Fatalf("review after scoring = %s", after.raw)
	}
	if st := l.must(l.call("GET", "/v1/exams/"+exam+"/stats", w.trainer, nil), 200); st.s("byOrg", "0", "orgName") != "A" {
		t.Fatalf("stats by org = %s", st.s("byOrg"))
	}

	// Papers: listed and read by those who manage them; nobody else.
	papers := l.must(l.call("GET", "/v1/papers", w.trainer, nil), 200)
	paper := papers.s("papers", "0", "id")
	if paper == "" || papers.s("papers", "0", "questionCount") != "2" || papers.s("papers", "0", "items") != "[]" {
		t.Fatalf("trainer's papers = %s", papers.raw)
	}
	if got := l.must(l.call("GET", "/v1/papers/"+paper, w.trainer, nil), 200); !strings.Contains(got.raw, `"questionId":"`+w.essay+`"`) {
		t.Fatalf("paper = %s", got.raw)
	}
	l.must(l.call("GET", "/v1/papers", w.m1, nil), 403, "PERMISSION_DENIED")
	l.must(l.call("GET", "/v1/papers/"+paper, w.m1, nil), 404, "NOT_FOUND")
	l.must(l.call("GET", "/v1/papers/"+paper, trainerB, nil), 404, "NOT_FOUND")
	if other := l.must(l.call("GET", "/v1/papers", trainerB, nil), 200); strings.Contains(other.raw, `"id":"`+paper+`"`) {
		t.Fatalf("another org's trainer lists the paper: %s", other.raw)
	}

	// Org's directory answers services only: a user's token, even an admin's, is refused.
	_, err := orgv1.NewDirectoryClient(l.grpcConn(w.admin)).LookupPeople(context.Background(), &orgv1.LookupPeopleRequest{UserIds: []int64{1}})
	wantCode(t, "directory lookup with an admin's token", err, 403)
	_, err = orgv1.NewDirectoryClient(l.grpcConn("")).LookupPeople(context.Background(), &orgv1.LookupPeopleRequest{UserIds: []int64{1}})
	wantCode(t, "directory lookup without a token", err, 401)
}

// An exam's managers may change or delete it until its first attempt; then both are refused and
// nothing changes. Members and other orgs' trainers never may; bad settings name their field.
func TestExamEditUntilFirstAttempt(t *testing.T) {
	l := startLive(t)
	w := newQuizWorld(t, l)
	now := l.clock.Now()
	later := w.exam(t, "IMMEDIATE", now.Add(time.Hour), now.Add(3*time.Hour), 30, 1, w.single, w.tf)
	open := w.exam(t, "IMMEDIATE", now.Add(-time.Minute), now.Add(time.Hour), 30, 1, w.single)
	l.must(l.call("POST", "/v1/accounts", w.admin, map[string]any{"username": "etrainerb", "displayName": "乙", "password": "Passw0rd-etrainerb", "roles": []string{"TRAINER"}, "orgId": w.orgB}), 200)
	trainerB := l.login("etrainerb", "Passw0rd-etrainerb")

	edited := l.must(l.call("PATCH", "/v1/exams/"+later, w.trainer, map[string]any{"title": "改期后的月考", "durationMinutes": 45,
		"closesAt": now.Add(5 * time.Hour).Format(time.RFC3339), "resultsPolicy": "NEVER"}), 200)
	if edited.s("title") != "改期后的月考" || edited.s("durationMinutes") != "45" || edited.s("resultsPolicy") != "NEVER" || edited.s("questionCount") != "2" {
		t.Fatalf("edited exam = %s", edited.raw)
	}
	l.must(l.call("PATCH", "/v1/exams/"+later, w.m1, map[string]any{"title": "x"}), 403, "PERMISSION_DENIED")
	l.must(l.call("PATCH", "/v1/exams/"+later, trainerB, map[string]any{"title": "x"}), 404, "NOT_FOUND")
	l.must(l.call("DELETE", "/v1/exams/"+later, w.m1, nil), 403, "PERMISSION_DENIED")
	l.must(l.call("DELETE", "/v1/exams/"+later, trainerB, nil), 404, "NOT_FOUND")
	for field, body := range map[string]map[string]any{
		"closes_at": {"closesAt": now.Add(30 * time.Minute).Format(time.RFC3339)},
		"pass_mark": {"passMark": 1000},
		"title":     {"title": "   "},
		"opens_at":  {"opensAt": "明天"},
	} {
		r := l.must(l.call("PATCH", "/v1/exams/"+later, w.trainer, body), 400, "INVALID_ARGUMENT")
		if r.s("metadata", "field") != field {
			t.Errorf("bad %s refused naming %q: %s", field, r.s("metadata", "field"), r.raw)
		}
	}
	if got := l.must(l.call("GET", "/v1/exams/"+later, w.trainer, nil), 200); got.s("title") != "改期后的月考" {
		t.Fatalf("refused edits changed the exam: %s", got.raw)
	}

	// Once a member has started, the exam stays as it was.
	l.must(l.call("POST", "/v1/exams/"+open+"/attempts", w.m1, map[string]any{}), 200)
	l.must(l.call("PATCH", "/v1/exams/"+open, w.trainer, map[string]any{"durationMinutes": 5}), 409, "EXAM_CLOSED")
	l.must(l.call("DELETE", "/v1/exams/"+open, w.trainer, nil), 409, "EXAM_CLOSED")
	if got := l.must(l.call("GET", "/v1/exams/"+open, w.trainer, nil), 200); got.s("durationMinutes") != "30" {
		t.Fatalf("an exam with an attempt was changed: %s", got.raw)
	}

	l.must(l.call("DELETE", "/v1/exams/"+later, w.trainer, nil), 200)
	l.must(l.call("GET", "/v1/exams/"+later, w.trainer, nil), 404, "NOT_FOUND")
	if mine := l.must(l.call("GET", "/v1/my/exams", w.m1, nil), 200); strings.Contains(mine.raw, "改期后的月考") {
		t.Fatalf("a deleted exam is still listed for members: %s", mine.raw)
	}
}

// Banks are renamed by those who manage them and deleted only when empty.
func TestBankEditAndDelete(t *testing.T) {
	l := startLive(t)
	w := newQuizWorld(t, l)
	l.must(l.call("POST", "/v1/accounts", w.admin, map[string]any{"username": "btrainerb", "displayName": "乙", "password": "Passw0rd-btrainerb", "roles": []string{"TRAINER"}, "orgId": w.orgB}), 200)
	trainerB := l.login("btrainerb", "Passw0rd-btrainerb")
	bank := l.must(l.call("GET", "/v1/banks", w.trainer, nil), 200).s("banks", "0", "id")

	renamed := l.must(l.call("PATCH", "/v1/banks/"+bank, w.trainer, map[string]any{"name": "党章党史题库", "examOnly": true}), 200)
	if renamed.s("name") != "党章党史题库" || renamed.s("examOnly") != "true" || renamed.s("questionCount") != "5" {
		t.Fatalf("renamed bank = %s", renamed.raw)
	}
	l.must(l.call("PATCH", "/v1/banks/"+bank, w.m1, map[string]any{"name": "x"}), 404, "NOT_FOUND")
	l.must(l.call("PATCH", "/v1/banks/"+bank, trainerB, map[string]any{"name": "x"}), 404, "NOT_FOUND")
	if r := l.must(l.call("PATCH", "/v1/banks/"+bank, w.trainer, map[string]any{"name": "  "}), 400, "INVALID_ARGUMENT"); r.s("metadata", "field") != "name" {
		t.Fatalf("blank name refused with %s", r.raw)
	}
	l.must(l.call("DELETE", "/v1/banks/"+bank, trainerB, nil), 404, "NOT_FOUND")
	l.must(l.call("DELETE", "/v1/banks/"+bank, w.trainer, nil), 409, "CONFLICT")
	if n := l.must(l.call("GET", "/v1/banks/"+bank+"/questions", w.trainer, nil), 200); strings.Count(n.raw, `"stemHtml"`) != 5 {
		t.Fatalf("a refused delete lost questions: %s", n.raw)
	}
	empty := l.must(l.call("POST", "/v1/banks", w.trainer, map[string]any{"name": "空题库"}), 200).s("id")
	l.must(l.call("DELETE", "/v1/banks/"+empty, w.trainer, nil), 200)
	l.must(l.call("GET", "/v1/banks/"+empty+"/questions", w.trainer, nil), 404, "NOT_FOUND")
}

// Papers are renamed by those who manage them; their questions change, and they are deleted,
// only while no exam uses them. Every refusal changes nothing.
func TestPaperEditAndDelete(t *testing.T) {
	l := startLive(t)
	w := newQuizWorld(t, l)
	l.must(l.call("POST", "/v1/accounts", w.admin, map[string]any{"username": "ptrainerb", "displayName": "乙", "password": "Passw0rd-ptrainerb", "roles": []string{"TRAINER"}, "orgId": w.orgB}), 200)
	trainerB := l.login("ptrainerb", "Passw0rd-ptrainerb")
	paper := l.must(l.call("POST", "/v1/papers", w.trainer, map[string]any{"title": "月考试卷", "items": []any{map[string]any{"questionId": w.single, "points": 2}}}), 200).s("id")
	path := "/v1/papers/" + paper

	for _, who := range []string{w.m1, trainerB} {
		l.must(l.call("PATCH", path, who, map[string]any{"title": "x"}), 404, "NOT_FOUND")
		l.must(l.call("DELETE", path, who, nil), 404, "NOT_FOUND")
	}
	if r := l.must(l.call("PATCH", path, w.trainer, map[string]any{"title": "  "}), 400, "INVALID_ARGUMENT"); r.s("metadata", "field") != "title" {
		t.Fatalf("blank title refused with %s", r.raw)
	}
	if r := l.must(l.call("PATCH", path, w.trainer, map[string]any{"items": []any{map[string]any{"questionId": "999999"}}}), 400, "INVALID_ARGUMENT"); r.s("metadata", "field") != "items[0].question_id" {
		t.Fatalf("unknown question refused with %s", r.raw)
	}
	if got := l.must(l.call("GET", path, w.trainer, nil), 200); got.s("title") != "月考试卷" || got.s("questionCount") != "1" {
		t.Fatalf("refused edits changed the paper: %s", got.raw)
	}
	edited := l.must(l.call("PATCH", path, w.trainer, map[string]any{"title": "七月月考试卷",
		"items": []any{map[string]any{"questionId": w.single, "points": 3}, map[string]any{"questionId": w.tf, "points": 2}}}), 200)
	if edited.s("title") != "七月月考试卷" || edited.s("questionCount") != "2" || edited.s("totalPoints") != "5" {
		t.Fatalf("edited paper = %s", edited.raw)
	}

	now := l.clock.Now()
	l.must(l.call("POST", "/v1/exams", w.trainer, map[string]any{
		"paperId": paper, "title": "七月月考", "opensAt": now.Add(time.Hour).Format(time.RFC3339), "closesAt": now.Add(2 * time.Hour).Format(time.RFC3339),
		"durationMinutes": 30, "attemptsAllowed": 1, "resultsPolicy": "IMMEDIATE", "targetOrgIds": []string{w.orgA},
	}), 200)
	l.must(l.call("PATCH", path, w.trainer, map[string]any{"items": []any{map[string]any{"questionId": w.fill}}}), 409, "CONFLICT")
	l.must(l.call("DELETE", path, w.trainer, nil), 409, "CONFLICT")
	renamed := l.must(l.call("PATCH", path, w.trainer, map[string]any{"title": "七月月考试卷（定稿）"}), 200)
	if renamed.s("title") != "七月月考试卷（定稿）" || renamed.s("questionCount") != "2" {
		t.Fatalf("paper in use after a rename = %s", renamed.raw)
	}

	unused := l.must(l.call("POST", "/v1/papers", w.trainer, map[string]any{"title": "草稿", "items": []any{map[string]any{"questionId": w.single}}}), 200).s("id")
	l.must(l.call("DELETE", "/v1/papers/"+unused, w.trainer, nil), 200)
	l.must(l.call("GET", "/v1/papers/"+unused, w.trainer, nil), 404, "NOT_FOUND")
}

// A deleted question leaves its bank, practice and new papers; an exam whose paper holds it
// still gives it to members. Only its bank's managers delete it; it cannot be edited after.
func TestQuestionDelete(t *testing.T) {
	l := startLive(t)
	w := newQuizWorld(t, l)
	l.must(l.call("POST", "/v1/accounts", w.admin, map[string]any{"username": "qtrainerb", "displayName": "乙", "password": "Passw0rd-qtrainerb", "roles": []string{"TRAINER"}, "orgId": w.orgB}), 200)
	trainerB := l.login("qtrainerb", "Passw0rd-qtrainerb")
	now := l.clock.Now()
	exam := w.exam(t, "IMMEDIATE", now.Add(-time.Minute), now.Add(time.Hour), 30, 1, w.single, w.tf)
	bank := l.must(l.call("GET", "/v1/banks", w.trainer, nil), 200).s("banks", "0", "id")

	l.must(l.call("DELETE", "/v1/questions/"+w.single, w.m1, nil), 404, "NOT_FOUND")
	l.must(l.call("DELETE", "/v1/questions/"+w.single, trainerB, nil), 404, "NOT_FOUND")
	if n := l.must(l.call("GET", "/v1/banks/"+bank+"/questions", w.trainer, nil), 200); strings.Count(n.raw, `"stemHtml"`) != 5 {
		t.Fatalf("refused deletes changed the bank: %s", n.raw)
	}
	l.must(l.call("DELETE", "/v1/questions/"+w.single, w.trainer, nil), 200)
	l.must(l.call("DELETE", "/v1/questions/"+w.single, w.trainer, nil), 404, "NOT_FOUND")

	listed := l.must(l.call("GET", "/v1/banks/"+bank+"/questions", w.trainer, nil), 200)
	if strings.Count(listed.raw, `"stemHtml"`) != 4 || strings.Contains(listed.raw, `"id":"`+w.single+`"`) {
		t.Fatalf("bank after the delete = %s", listed.raw)
	}
	if b := l.must(l.call("GET", "/v1/banks", w.trainer, nil), 200); b.s("banks", "0", "questionCount") != "4" {
		t.Fatalf("bank count after the delete = %s", b.raw)
	}
	l.must(l.call("PUT", "/v1/questions/"+w.single, w.trainer, map[string]any{"question": map[string]any{
		"bankId": bank, "type": "TRUE_FALSE", "stemHtml": "<p>改过的题干</p>", "answerKeys": []string{"T"}, "defaultPoints": 1}}), 404, "NOT_FOUND")
	if r := l.must(l.call("POST", "/v1/papers", w.trainer, map[string]any{"title": "新卷", "items": []any{map[string]any{"questionId": w.single}}}), 400, "INVALID_ARGUMENT"); r.s("metadata", "field") != "items[0].question_id" {
		t.Fatalf("new paper with a deleted question: %s", r.raw)
	}
	// The exam set before keeps its two questions.
	start := l.must(l.call("POST", "/v1/exams/"+exam+"/attempts", w.m1, map[string]any{}), 200)
	if strings.Count(start.raw, `"no":`) != 2 {
		t.Fatalf("attempt after the delete = %s", start.raw)
	}
}
