package biz

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// A save with the same version as the stored one loses and says so (two devices, one counter).
func TestSaveAnswerEqualVersionIsStale(t *testing.T) {
	e := newTestEnv(t)
	fx := e.newExam(t, []*Question{qTrueFalse()}, func(x *Exam) { x.PassMark = 1 })
	a := e.start(t, "memberA", fx.exam.ID)
	if _, _, err := e.uc.Attempts.SaveAnswer(e.as("memberA"), a.ID, 1, Answer{Choices: []string{"true"}, Version: 3}); err != nil {
		t.Fatal(err)
	}
	_, _, err := e.uc.Attempts.SaveAnswer(e.as("memberA"), a.ID, 1, Answer{Choices: []string{"false"}, Version: 3})
	var se *StaleError
	if !errors.As(err, &se) || se.Current != 3 {
		t.Fatalf("equal-version save = %v, want StaleError{3}", err)
	}
	if got := e.db.attempt(a.ID).Answers[1].Choices; len(got) != 1 || got[0] != "true" {
		t.Fatalf("stored answer = %v", got)
	}
}

// After the attempt left "in progress", a save is refused even if the caller's copy was stale.
func TestSaveAnswerAfterSubmitIsClosed(t *testing.T) {
	e := newTestEnv(t)
	fx := e.newExam(t, []*Question{qTrueFalse()}, func(x *Exam) { x.PassMark = 1 })
	a := e.start(t, "memberA", fx.exam.ID)
	e.db.st.Attempts[a.ID].Status = AttemptSubmitted // a submit landed between load and save
	if err := e.uc.Attempts.open(a); err != nil {
		t.Fatal("the loaded copy still says in progress")
	}
	_, _, err := e.uc.Attempts.SaveAnswer(e.as("memberA"), a.ID, 1, Answer{Choices: []string{"true"}, Version: 1})
	if _, ok := errors.AsType[*ClosedError](err); !ok {
		t.Fatalf("save after submit = %v, want ClosedError", err)
	}
}

// Essay scores must be within 0..points; correcting a score later announces the new total.
func TestScoreEssayBoundsAndRescoreEvent(t *testing.T) {
	e := newTestEnv(t)
	fx := e.newExam(t, []*Question{qTrueFalse(), qEssay(10)}, nil)
	a := e.graded(t, "memberA", fx.exam.ID, map[int]Answer{1: choices("true"), 2: {Text: "体会"}})
	if _, _, err := e.uc.Attempts.ScoreEssay(e.as("trainerA"), a.ID, 2, -1, ""); err == nil {
		t.Fatal("negative essay score accepted")
	}
	before := len(e.db.events())
	if _, _, err := e.uc.Attempts.ScoreEssay(e.as("trainerA"), a.ID, 2, 8, ""); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.uc.Attempts.ScoreEssay(e.as("trainerA"), a.ID, 2, 3, "复核后调整"); err != nil {
		t.Fatal(err)
	}
	if got := e.db.attempt(a.ID).Score; got == nil || *got != 5 {
		t.Fatalf("total = %v, want 5", got)
	}
	if n := len(e.db.events()) - before; n != 2 {
		t.Fatalf("events after scoring and re-scoring = %d, want 2", n)
	}
	// Re-scoring to the same value announces nothing new.
	if _, _, err := e.uc.Attempts.ScoreEssay(e.as("trainerA"), a.ID, 2, 3, "同分"); err != nil {
		t.Fatal(err)
	}
	if n := len(e.db.events()) - before; n != 2 {
		t.Fatalf("events after an unchanged re-score = %d, want 2", n)
	}
}

// A key fix on one question is applied even when another question's options were edited (whose
// key then cannot be mapped and stays as it was).
func TestRefreshKeysMixedChanges(t *testing.T) {
	a := &Attempt{Questions: []SnapQuestion{
		{No: 1, QuestionID: 1, Version: 1, Type: Single, Options: []Option{{Key: "A", HTML: "甲"}, {Key: "B", HTML: "乙"}}, AnswerKeys: []string{"A"}},
		{No: 2, QuestionID: 2, Version: 1, Type: Single, Options: []Option{{Key: "A", HTML: "丙"}, {Key: "B", HTML: "丁"}}, AnswerKeys: []string{"A"}},
	}}
	current := map[int64]*Question{
		1: {ID: 1, Version: 2, Type: Single, Options: []Option{{Key: "A", HTML: "甲"}, {Key: "B", HTML: "乙"}}, AnswerKeys: []string{"B"}},
		2: {ID: 2, Version: 2, Type: Single, Options: []Option{{Key: "A", HTML: "丙（改）"}, {Key: "B", HTML: "丁"}}, AnswerKeys: []string{"A"}},
	}
	if !refreshKeys(a, current) {
		t.Fatal("refreshKeys reported no change")
	}
	if got := a.Questions[0].AnswerKeys; len(got) != 1 || got[0] != "B" || a.Questions[0].Version != 2 {
		t.Fatalf("question 1 = %+v", a.Questions[0])
	}
	if got := a.Questions[1].AnswerKeys; got[0] != "A" || a.Questions[1].Version != 1 {
		t.Fatalf("question 2 = %+v", a.Questions[1])
	}
}

// Creating and editing a question announces question.changed (for search) in the same
// transaction; a failed announcement rolls the edit back.
func TestQuestionChangedIsAnnounced(t *testing.T) {
	e := newTestEnv(t)
	ctx := e.as("trainerA")
	bank, err := e.uc.Authoring.CreateBank(ctx, "党章题库", 0, false)
	if err != nil {
		t.Fatal(err)
	}
	q := qTrueFalse()
	q.BankID = bank.ID
	created, err := e.uc.Authoring.CreateQuestion(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	edit := qTrueFalse()
	edit.ID = created.ID
	edit.StemHTML = "<p>修改后的题干</p>"
	if _, err := e.uc.Authoring.UpdateQuestion(ctx, edit); err != nil {
		t.Fatal(err)
	}
	var got []QuestionChanged
	for _, ev := range e.db.allEvents() {
		if qc, ok := ev.(QuestionChanged); ok {
			got = append(got, qc)
		}
	}
	want := []QuestionChanged{
		{QuestionID: created.ID, BankID: bank.ID, Version: 1, OrgPath: bank.OrgPath},
		{QuestionID: created.ID, BankID: bank.ID, Version: 2, OrgPath: bank.OrgPath},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("question.changed events (-want +got):\n%s", diff)
	}
	e.db.failOutboxAdd = 1
	again := qTrueFalse()
	again.ID = created.ID
	again.StemHTML = "<p>不会保存的修改</p>"
	if _, err := e.uc.Authoring.UpdateQuestion(ctx, again); err == nil {
		t.Fatal("update succeeded although its event could not be written")
	}
	if v := e.db.st.Questions[created.ID].Version; v != 2 {
		t.Fatalf("question version = %d after a failed announcement, want 2 (rolled back)", v)
	}
}

// A paper's size (question count and total points) is computed in one place: fixed items count
// one each, random rules their count, and points are rounded to cents.
func TestPaperSize(t *testing.T) {
	p := &Paper{
		Items: []PaperItem{{QuestionID: 1, Points: 1.5}, {QuestionID: 2, Points: 2}},
		Rules: []PaperRule{{BankID: 1, Count: 3, Points: 0.1}},
	}
	n, pts := p.Size()
	if n != 5 || pts != 3.8 {
		t.Fatalf("Size = %d questions, %v points; want 5, 3.8", n, pts)
	}
}

// Deleting a question archives it for those who manage its bank and announces it (archived) in
// the same transaction; anyone else is told it does not exist, and nothing changes.
func TestArchiveQuestion(t *testing.T) {
	e := newTestEnv(t)
	ctx := e.as("trainerA")
	bank, err := e.uc.Authoring.CreateBank(ctx, "党章题库", 0, false)
	if err != nil {
		t.Fatal(err)
	}
	q := qTrueFalse()
	q.BankID = bank.ID
	created, err := e.uc.Authoring.CreateQuestion(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	for _, who := range []string{"memberA", "trainerB"} {
		if err := e.uc.Authoring.ArchiveQuestion(e.as(who), created.ID); !errors.Is(err, ErrNotFound) {
			t.Fatalf("%s archives: %v, want ErrNotFound", who, err)
		}
	}
	if e.db.st.Questions[created.ID].Archived {
		t.Fatal("a refused archive archived the question")
	}
	e.db.failOutboxAdd = 1
	if err := e.uc.Authoring.ArchiveQuestion(ctx, created.ID); err == nil {
		t.Fatal("archive succeeded although its event could not be written")
	}
	if e.db.st.Questions[created.ID].Archived {
		t.Fatal("archive kept although its event was not written")
	}
	if err := e.uc.Authoring.ArchiveQuestion(ctx, created.ID); err != nil {
		t.Fatal(err)
	}
	var last QuestionChanged
	for _, ev := range e.db.allEvents() {
		if qc, ok := ev.(QuestionChanged); ok {
			last = qc
		}
	}
	if want := (QuestionChanged{QuestionID: created.ID, BankID: bank.ID, Version: 1, OrgPath: bank.OrgPath, Archived: true}); last != want {
		t.Fatalf("last question.changed = %+v, want %+v", last, want)
	}
	if err := e.uc.Authoring.ArchiveQuestion(ctx, created.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("archive twice: %v", err)
	}
	edit := qTrueFalse()
	edit.ID = created.ID
	if _, err := e.uc.Authoring.UpdateQuestion(ctx, edit); !errors.Is(err, ErrNotFound) {
		t.Fatalf("edit of an archived question: %v", err)
	}
	if _, err := e.uc.Authoring.CreatePaper(ctx, "试卷", []PaperItem{{QuestionID: created.ID}}, nil); err == nil {
		t.Fatal("a new paper took an archived question")
	}
}
