package biz

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// fiveTypes is one question of each type, the essay worth 10 points (total 20).
func fiveTypes() []*Question {
	return []*Question{qSingle(), qMultiple(), qTrueFalse(), qFill(), qEssay(10)}
}

// objective is the first four question types (total 10, pass mark 6).
func objective() []*Question { return []*Question{qSingle(), qMultiple(), qTrueFalse(), qFill()} }

// rightAnswers answers objective() correctly.
var rightAnswers = map[int]Answer{1: choices("A"), 2: choices("A", "C"), 3: choices("true"), 4: choices("1935", "遵义")}

func TestStartRefusals(t *testing.T) {
	tests := []struct {
		name    string
		user    string
		tweak   func(*Exam)
		at      time.Duration // clock offset from testT0
		prepare func(t *testing.T, e *testEnv, ex *Exam)
		want    string // "notfound" or "closed"
	}{
		{name: "member of another org", user: "memberB", want: "notfound"},
		{name: "trainer of the owning org is not a target of an A1 exam", user: "trainerA",
			tweak: func(ex *Exam) { ex.TargetOrgIDs = []int64{4} }, want: "notfound"},
		{name: "admin above the target", user: "admin", want: "notfound"},
		{name: "before open", user: "memberA", tweak: func(ex *Exam) { ex.OpensAt = testT0.Add(time.Hour) },
			at: 59 * time.Minute, want: "closed"},
		{name: "at close", user: "memberA", at: 2 * time.Hour, want: "closed"},
		{name: "after close", user: "memberA1", at: 3 * time.Hour, want: "closed"},
		{name: "attempts used up", user: "memberA", tweak: func(ex *Exam) { ex.AttemptsAllowed = 1 },
			prepare: func(t *testing.T, e *testEnv, ex *Exam) { e.submitted(t, "memberA", ex.ID, nil) }, want: "closed"},
		{name: "an unfinalised overdue attempt counts", user: "memberA", tweak: func(ex *Exam) { ex.AttemptsAllowed = 1 },
			prepare: func(t *testing.T, e *testEnv, ex *Exam) {
				e.start(t, "memberA", ex.ID)
				e.clk.Advance(31 * time.Minute) // past deadline + grace, autosubmit not run yet
			}, want: "closed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t)
			fx := e.newExam(t, objective(), tt.tweak)
			if tt.prepare != nil {
				tt.prepare(t, e, fx.exam)
			}
			e.clk.Advance(tt.at)
			before := e.db.snapshot()
			a, ex, err := e.uc.Attempts.Start(e.as(tt.user), fx.exam.ID)
			if a != nil || ex != nil {
				t.Errorf("Start returned %v, %v with error %v", a, ex, err)
			}
			switch tt.want {
			case "notfound":
				wantErrIs(t, err, ErrNotFound)
			case "closed":
				if ce := wantErrAs[*ClosedError](t, err); !ce.Exam {
					t.Errorf("ClosedError.Exam = false, want true (%v)", ce)
				}
			}
			if diff := cmp.Diff(before, e.db.snapshot()); diff != "" {
				t.Errorf("refused start changed the store:\n%s", diff)
			}
		})
	}
}

func TestStartSnapshotAndDeadline(t *testing.T) {
	for _, tt := range []struct {
		name     string
		at       time.Duration
		deadline time.Duration // from testT0
	}{
		{"duration ends first", 10 * time.Minute, 40 * time.Minute},
		{"window closes first", 100 * time.Minute, 2 * time.Hour},
		{"opening instant", 0, 30 * time.Minute},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t)
			fx := e.newExam(t, fiveTypes(), nil)
			e.clk.Advance(tt.at)
			a, ex, err := e.uc.Attempts.Start(e.as("memberA1"), fx.exam.ID) // A1 is below the target A
			if err != nil {
				t.Fatal(err)
			}
			if ex.ID != fx.exam.ID || a.UserID != e.user["memberA1"].UserID || a.UserOrgPath != "/1/2/4/" ||
				a.Number != 1 || a.Status != AttemptInProgress || !a.StartedAt.Equal(testT0.Add(tt.at)) {
				t.Errorf("attempt = %+v", a)
			}
			if want := testT0.Add(tt.deadline); !a.Deadline.Equal(want) {
				t.Errorf("deadline = %v, want %v", a.Deadline, want)
			}
			if a.MaxScore != 20 || fx.exam.TotalPoints != 20 || fx.exam.QuestionCount != 5 {
				t.Errorf("max %v, exam total %v / %d questions; want 20, 20 / 5", a.MaxScore, fx.exam.TotalPoints, fx.exam.QuestionCount)
			}
			for i, q := range a.Questions {
				src := fx.questions[i]
				if q.No != i+1 || q.QuestionID != src.ID || q.Version != 1 || q.Type != src.Type || q.Points != src.Points ||
					!cmp.Equal(q.Options, src.Options) || !cmp.Equal(q.AnswerKeys, src.AnswerKeys) {
					t.Errorf("snapshot %d = %+v, want question %+v", i, q, src)
				}
			}
			want := []scheduled{{a.ID, a.Deadline}} // at the deadline itself: no grace period
			if diff := cmp.Diff(want, e.queue.autosubmitCalls()); diff != "" {
				t.Errorf("autosubmit schedule (-want +got):\n%s", diff)
			}
		})
	}
}

func TestStartResumes(t *testing.T) {
	e := newTestEnv(t)
	fx := e.newExam(t, objective(), nil)
	first := e.start(t, "memberA", fx.exam.ID)
	e.save(t, "memberA", first, map[int]Answer{1: choices("B")})
	e.clk.Advance(20 * time.Minute)
	again := e.start(t, "memberA", fx.exam.ID)
	if again.ID != first.ID || !again.Deadline.Equal(first.Deadline) || again.Answers[1].Choices[0] != "B" {
		t.Fatalf("resume = %+v, want attempt %d with its answer", again, first.ID)
	}
	// Still resumable at the deadline itself.
	e.clk.Set(first.Deadline)
	if got := e.start(t, "memberA", fx.exam.ID); got.ID != first.ID {
		t.Fatalf("resume at the deadline = attempt %d, want %d", got.ID, first.ID)
	}
	if n := e.db.createAttemptCalls; n != 1 {
		t.Errorf("CreateAttempt calls = %d, want 1", n)
	}
	if n := len(e.queue.autosubmitCalls()); n != 1 {
		t.Errorf("autosubmits scheduled = %d, want 1", n)
	}
	// A nanosecond past the deadline a second attempt starts (two allowed).
	e.clk.Set(first.Deadline.Add(time.Nanosecond))
	if got := e.start(t, "memberA", fx.exam.ID); got.ID == first.ID || got.Number != 2 {
		t.Fatalf("after the deadline = attempt %d number %d, want a new attempt number 2", got.ID, got.Number)
	}
}

// A double click: the other request inserts attempt 1 between our list and our insert.
func TestStartRaceResumesWinner(t *testing.T) {
	e := newTestEnv(t)
	fx := e.newExam(t, objective(), nil)
	var winner int64
	e.db.beforeCreateAttempt = func(st *fakeState, a *Attempt) {
		e.db.beforeCreateAttempt = nil
		w := cloneAttempt(a)
		w.ID, w.Answers = e.db.nextID(), nil
		st.Attempts[w.ID] = w
		st.Answers[w.ID] = map[int]Answer{}
		winner = w.ID
	}
	got := e.start(t, "memberA", fx.exam.ID)
	if got.ID != winner || got.Answers == nil {
		t.Fatalf("Start = attempt %d (answers %v), want the winner %d with answers loaded", got.ID, got.Answers, winner)
	}
	if n := len(e.db.snapshot().Attempts); n != 1 {
		t.Errorf("attempts stored = %d, want 1", n)
	}
}

// Many concurrent starts by one member end with one attempt that all of them return.
func TestStartConcurrent(t *testing.T) {
	e := newTestEnv(t)
	fx := e.newExam(t, objective(), nil)
	const n = 8
	ids := make([]int64, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			a, _, err := e.uc.Attempts.Start(e.as("memberA"), fx.exam.ID)
			if err != nil {
				t.Errorf("start %d: %v", i, err)
				return
			}
			ids[i] = a.ID
		})
	}
	wg.Wait()
	if st := e.db.snapshot(); len(st.Attempts) != 1 {
		t.Fatalf("attempts stored = %d, want 1", len(st.Attempts))
	}
	for i, id := range ids {
		if id != ids[0] {
			t.Fatalf("start %d got attempt %d, start 0 got %d", i, id, ids[0])
		}
	}
}

func TestStartShuffles(t *testing.T) {
	e := newTestEnv(t)
	e.uc.Attempts.shuffle = reverseShuffle
	fx := e.newExam(t, objective(), func(ex *Exam) { ex.ShuffleQuestions, ex.ShuffleOptions = true, true })
	a := e.start(t, "memberA", fx.exam.ID)

	// Questions reversed and renumbered: fill, true/false, multiple, single.
	wantTypes := []QType{FillBlank, TrueFalse, Multiple, Single}
	for i, q := range a.Questions {
		if q.No != i+1 || q.Type != wantTypes[i] || q.QuestionID != fx.questions[3-i].ID {
			t.Errorf("question %d = no %d %s id %d; want no %d %s id %d", i, q.No, q.Type, q.QuestionID, i+1, wantTypes[i], fx.questions[3-i].ID)
		}
	}
	// Multiple: 政治 A ✓, 市场 B, 大局 C ✓, 品牌 D reversed → 品牌 A, 大局 B ✓, 市场 C, 政治 D ✓.
	multi := a.Questions[2]
	wantOpts := []Option{{Key: "A", HTML: "品牌意识"}, {Key: "B", HTML: "大局意识"}, {Key: "C", HTML: "市场意识"}, {Key: "D", HTML: "政治意识"}}
	if diff := cmp.Diff(wantOpts, multi.Options); diff != "" {
		t.Errorf("multiple options (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"B", "D"}, multi.AnswerKeys); diff != "" {
		t.Errorf("multiple keys (-want +got):\n%s", diff)
	}
	// Single: the right answer (A 全心全意…) is now D.
	single := a.Questions[3]
	if single.Options[3].HTML != "全心全意为人民服务" || !cmp.Equal(single.AnswerKeys, []string{"D"}) {
		t.Errorf("single = %+v, want key D on 全心全意为人民服务", single)
	}
	// True/false options are not shuffled.
	if tf := a.Questions[1]; tf.Options[0].Key != "true" || tf.AnswerKeys[0] != "true" {
		t.Errorf("true/false = %+v", tf)
	}
	// The bank still holds the original order and key.
	if q := e.db.snapshot().Questions[fx.questions[1].ID]; q.Options[0].HTML != "政治意识" || !cmp.Equal(q.AnswerKeys, []string{"A", "C"}) {
		t.Errorf("bank question changed: %+v", q)
	}

	// Picking the relabelled right options scores full marks.
	e.save(t, "memberA", a, map[int]Answer{1: choices("1935", "遵义"), 2: choices("true"), 3: choices("D", "B"), 4: choices("D")})
	if _, _, err := e.uc.Attempts.Submit(e.as("memberA"), a.ID); err != nil {
		t.Fatal(err)
	}
	if err := e.uc.Attempts.Grade(context.Background(), a.ID); err != nil {
		t.Fatal(err)
	}
	if got := e.db.attempt(a.ID); got.Score == nil || *got.Score != 10 {
		t.Fatalf("score = %v, want 10 (%+v)", got.Score, got.Scores)
	}
}

func TestDrawRandomPaper(t *testing.T) {
	e := newTestEnv(t)
	ctx := e.as("trainerA")
	bank, err := e.uc.Authoring.CreateBank(ctx, "随机题库", 0, false)
	if err != nil {
		t.Fatal(err)
	}
	tagged := map[int64]bool{}
	for i := range 8 {
		q := qSingle()
		q.BankID, q.StemHTML = bank.ID, fmt.Sprintf("<p>第%d题</p>", i+1)
		if i%2 == 0 {
			q.Tags = []string{"党章"}
		}
		created, err := e.uc.Authoring.CreateQuestion(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		tagged[created.ID] = i%2 == 0
	}
	rules := []PaperRule{{BankID: bank.ID, Tags: []string{"党章"}, Count: 3, Points: 2}, {BankID: bank.ID, Count: 4, Points: 1}}
	paper, err := e.uc.Authoring.CreatePaper(ctx, "随机卷", nil, rules)
	if err != nil {
		t.Fatal(err)
	}
	ex := &Exam{ShuffleQuestions: false}
	check := func(t *testing.T, qs []SnapQuestion) {
		t.Helper()
		if len(qs) != 7 {
			t.Fatalf("drew %d questions, want 7", len(qs))
		}
		seen := map[int64]bool{}
		for i, q := range qs {
			if seen[q.QuestionID] {
				t.Fatalf("question %d drawn twice: %v", q.QuestionID, qs)
			}
			seen[q.QuestionID] = true
			if q.No != i+1 {
				t.Errorf("question %d numbered %d", i, q.No)
			}
			if i < 3 && (!tagged[q.QuestionID] || q.Points != 2) {
				t.Errorf("rule 1 drew %d (tagged %v) worth %v", q.QuestionID, tagged[q.QuestionID], q.Points)
			}
			if i >= 3 && q.Points != 1 {
				t.Errorf("rule 2 question worth %v", q.Points)
			}
		}
	}
	// Deterministic: identity draws the first three tagged, then the first four left.
	for _, shuffle := range []func(int, func(int, int)){identityShuffle, reverseShuffle} {
		e.uc.Attempts.shuffle = shuffle
		qs, err := e.uc.Attempts.drawQuestions(context.Background(), paper, ex)
		if err != nil {
			t.Fatal(err)
		}
		check(t, qs)
	}
	// And with the real shuffle, many times.
	e.uc.Attempts.shuffle = cryptoShuffle
	for range 200 {
		qs, err := e.uc.Attempts.drawQuestions(context.Background(), paper, ex)
		if err != nil {
			t.Fatal(err)
		}
		check(t, qs)
	}
	// A start on the random paper freezes one draw with MaxScore from the rules.
	e.uc.Attempts.shuffle = identityShuffle
	exam, err := e.uc.Authoring.CreateExam(ctx, &Exam{PaperID: paper.ID, Title: "随机考试", OpensAt: testT0, ClosesAt: testT0.Add(time.Hour),
		Duration: 20 * time.Minute, AttemptsAllowed: 1, TargetOrgIDs: []int64{e.org["A"].ID}})
	if err != nil {
		t.Fatal(err)
	}
	a := e.start(t, "memberA", exam.ID)
	check(t, a.Questions)
	if a.MaxScore != 10 || exam.TotalPoints != 10 || exam.QuestionCount != 7 {
		t.Errorf("max %v, exam %v / %d", a.MaxScore, exam.TotalPoints, exam.QuestionCount)
	}
}

func TestSaveAnswer(t *testing.T) {
	e := newTestEnv(t)
	fx := e.newExam(t, fiveTypes(), nil)
	a := e.start(t, "memberA", fx.exam.ID)
	ctx := e.as("memberA")

	v, left, err := e.uc.Attempts.SaveAnswer(ctx, a.ID, 1, Answer{Choices: []string{"B"}, Version: 5})
	if err != nil || v != 5 || left != 30*time.Minute {
		t.Fatalf("save = %d, %v, %v; want 5, 30m, nil", v, left, err)
	}
	// A newer save wins; an older one is stale and does not overwrite.
	if v, _, err := e.uc.Attempts.SaveAnswer(ctx, a.ID, 1, Answer{Choices: []string{"A"}, Version: 9}); err != nil || v != 9 {
		t.Fatalf("newer save = %d, %v", v, err)
	}
	_, _, err = e.uc.Attempts.SaveAnswer(ctx, a.ID, 1, Answer{Choices: []string{"C"}, Version: 7})
	if se := wantErrAs[*StaleError](t, err); se.Current != 9 {
		t.Errorf("StaleError.Current = %d, want 9", se.Current)
	}
	if got := e.db.attempt(a.ID).Answers[1]; !cmp.Equal(got, Answer{Choices: []string{"A"}, Version: 9}) {
		t.Errorf("stored answer = %+v, want A at version 9", got)
	}

	// Another member's attempt does not exist for them, not even to a manager.
	for _, user := range []string{"memberA1", "trainerA", "admin"} {
		_, _, err := e.uc.Attempts.SaveAnswer(e.as(user), a.ID, 1, Answer{Choices: []string{"B"}, Version: 99})
		wantErrIs(t, err, ErrNotFound)
	}
	_, _, err = e.uc.Attempts.SaveAnswer(ctx, 424242, 1, Answer{Version: 1})
	wantErrIs(t, err, ErrNotFound)

	for _, tt := range []struct {
		no    int
		ans   Answer
		field string
	}{
		{0, choices("A"), "question_no"},
		{6, choices("A"), "question_no"},
		{1, choices("E"), "value.choices"},
		{1, choices("A", "B"), "value.choices"},
		{2, choices("A", "Z"), "value.choices"},
		{3, choices("yes"), "value.choices"},
		{3, choices("true", "false"), "value.choices"},
		{4, choices("1", "2", "3"), "value.choices"},
	} {
		ans := tt.ans
		ans.Version = 100
		_, _, err := e.uc.Attempts.SaveAnswer(ctx, a.ID, tt.no, ans)
		if fe := wantErrAs[*FieldError](t, err); fe.Field != tt.field {
			t.Errorf("save %d %v: field %q, want %q", tt.no, tt.ans.Choices, fe.Field, tt.field)
		}
	}
	if n := len(e.db.attempt(a.ID).Answers); n != 1 {
		t.Errorf("answers stored = %d, want 1 (refused saves stored nothing)", n)
	}

	// Up to the deadline itself answers are taken; a nanosecond later, refused, and the answer
	// saved in time stays.
	e.clk.Set(a.Deadline)
	if _, left, err := e.uc.Attempts.SaveAnswer(ctx, a.ID, 5, Answer{Text: "最后一刻", Version: 1}); err != nil || left != 0 {
		t.Fatalf("save at the deadline = %v, %v; want ok, 0 left", left, err)
	}
	e.clk.Set(a.Deadline.Add(time.Nanosecond))
	_, _, err = e.uc.Attempts.SaveAnswer(ctx, a.ID, 5, Answer{Text: "太迟了", Version: 2})
	if ce := wantErrAs[*ClosedError](t, err); ce.Exam {
		t.Errorf("late save: ClosedError.Exam = true, want false (the attempt is closed)")
	}
	if got := e.db.attempt(a.ID).Answers[5].Text; got != "最后一刻" {
		t.Errorf("essay = %q, want the answer saved in time", got)
	}
}

func TestSaveAnswerAfterSubmit(t *testing.T) {
	e := newTestEnv(t)
	fx := e.newExam(t, objective(), nil)
	a := e.submitted(t, "memberA", fx.exam.ID, map[int]Answer{1: choices("A")})
	_, _, err := e.uc.Attempts.SaveAnswer(e.as("memberA"), a.ID, 1, Answer{Choices: []string{"B"}, Version: 2})
	wantErrAs[*ClosedError](t, err)
}

func TestSubmitIdempotent(t *testing.T) {
	e := newTestEnv(t)
	fx := e.newExam(t, objective(), nil)
	a := e.start(t, "memberA", fx.exam.ID)
	e.save(t, "memberA", a, rightAnswers)
	e.clk.Advance(5 * time.Minute)
	first, _, err := e.uc.Attempts.Submit(e.as("memberA"), a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if first.Status != AttemptSubmitted || first.SubmittedAt == nil || !first.SubmittedAt.Equal(testT0.Add(5*time.Minute)) {
		t.Fatalf("after submit: %s at %v", first.Status, first.SubmittedAt)
	}
	e.clk.Advance(time.Minute)
	second, _, err := e.uc.Attempts.Submit(e.as("memberA"), a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if second.Status != AttemptSubmitted || !second.SubmittedAt.Equal(*first.SubmittedAt) {
		t.Errorf("second submit: %s at %v, want unchanged", second.Status, second.SubmittedAt)
	}
	if n := e.db.finishCount(); n != 1 {
		t.Errorf("Finish calls = %d, want 1", n)
	}
	if g := e.queue.gradeCalls(); len(g) == 0 || slices.ContainsFunc(g, func(id int64) bool { return id != a.ID }) {
		t.Errorf("grades enqueued = %v, want only attempt %d", g, a.ID)
	}
	// Someone else cannot submit it.
	_, _, err = e.uc.Attempts.Submit(e.as("memberA1"), a.ID)
	wantErrIs(t, err, ErrNotFound)

	// Graded: a further submit changes nothing either.
	if err := e.uc.Attempts.Grade(context.Background(), a.ID); err != nil {
		t.Fatal(err)
	}
	third, _, err := e.uc.Attempts.Submit(e.as("memberA"), a.ID)
	if err != nil || third.Status != AttemptGraded || e.db.finishCount() != 2 {
		t.Errorf("submit after grading: %v, %v, %d Finish calls", third.Status, err, e.db.finishCount())
	}
}

// The autosubmit commits between the member's read and conditional write: the member's submit
// still succeeds and returns the attempt as the autosubmit left it.
func TestSubmitLosesRaceToAutosubmit(t *testing.T) {
	e := newTestEnv(t)
	fx := e.newExam(t, objective(), nil)
	a := e.start(t, "memberA", fx.exam.ID)
	e.db.beforeFinish = func(st *fakeState, x *Attempt, from string) {
		e.db.beforeFinish = nil
		row := st.Attempts[x.ID]
		row.Status, row.SubmittedAt = AttemptSubmitted, ptr(a.Deadline)
	}
	e.clk.Set(a.Deadline)
	got, _, err := e.uc.Attempts.Submit(e.as("memberA"), a.ID)
	if err != nil {
		t.Fatalf("submit that lost the race: %v", err)
	}
	if got.Status != AttemptSubmitted || !got.SubmittedAt.Equal(a.Deadline) {
		t.Errorf("attempt = %s at %v, want the autosubmit's", got.Status, got.SubmittedAt)
	}
	if !slices.Contains(e.queue.gradeCalls(), a.ID) {
		t.Error("grading not enqueued")
	}
}

// A member's submit after the deadline is the server's submit at the deadline.
func TestSubmitLateIsFinalisedAtDeadline(t *testing.T) {
	e := newTestEnv(t)
	fx := e.newExam(t, objective(), nil)
	a := e.start(t, "memberA", fx.exam.ID)
	e.clk.Set(a.Deadline.Add(time.Second))
	got, _, err := e.uc.Attempts.Submit(e.as("memberA"), a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != AttemptSubmitted || !got.SubmittedAt.Equal(a.Deadline) {
		t.Fatalf("late submit: %s at %v, want submitted at the deadline %v", got.Status, got.SubmittedAt, a.Deadline)
	}
}

func TestAutosubmit(t *testing.T) {
	e := newTestEnv(t)
	fx := e.newExam(t, objective(), nil)
	a := e.start(t, "memberA", fx.exam.ID)
	e.save(t, "memberA", a, map[int]Answer{1: choices("A")})

	// Too early (a retried task fired before its time): an error, so the queue retries.
	e.clk.Set(a.Deadline.Add(-time.Nanosecond))
	if err := e.uc.Attempts.Autosubmit(context.Background(), a.ID, time.Time{}); err == nil {
		t.Fatal("autosubmit before the deadline succeeded")
	}
	if got := e.db.attempt(a.ID); got.Status != AttemptInProgress || got.SubmittedAt != nil {
		t.Fatalf("early autosubmit changed the attempt: %s at %v", got.Status, got.SubmittedAt)
	}

	e.clk.Set(a.Deadline)
	if err := e.uc.Attempts.Autosubmit(context.Background(), a.ID, time.Time{}); err != nil {
		t.Fatal(err)
	}
	got := e.db.attempt(a.ID)
	if got.Status != AttemptSubmitted || !got.SubmittedAt.Equal(a.Deadline) || got.Answers[1].Choices[0] != "A" {
		t.Fatalf("autosubmitted: %s at %v with %v", got.Status, got.SubmittedAt, got.Answers)
	}
	if !slices.Contains(e.queue.gradeCalls(), a.ID) {
		t.Error("grading not enqueued")
	}
	// Again, and the member's own late submit, and a missing attempt: no-ops.
	if err := e.uc.Attempts.Autosubmit(context.Background(), a.ID, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.uc.Attempts.Submit(e.as("memberA"), a.ID); err != nil {
		t.Fatal(err)
	}
	if err := e.uc.Attempts.Autosubmit(context.Background(), 424242, time.Time{}); err != nil {
		t.Fatalf("autosubmit of a missing attempt: %v", err)
	}
	if n := e.db.finishCount(); n != 1 {
		t.Errorf("Finish calls = %d, want 1", n)
	}
}

// gradedEvents returns the committed attempt.graded events.
func gradedEvents(t *testing.T, e *testEnv) []GradedEvent {
	t.Helper()
	return e.db.events()
}

func TestGradeOnce(t *testing.T) {
	e := newTestEnv(t)
	fx := e.newExam(t, objective(), nil)
	// 2 + 0 (half of the multiple without partial credit) + 2 + 2 = 6: a pass.
	a := e.submitted(t, "memberA", fx.exam.ID, map[int]Answer{1: choices("A"), 2: choices("A"), 3: choices("true"), 4: choices("１９３５", " 遵义 ")})
	e.clk.Advance(time.Minute)
	if err := e.uc.Attempts.Grade(context.Background(), a.ID); err != nil {
		t.Fatal(err)
	}
	first := e.db.attempt(a.ID)
	e.clk.Advance(time.Minute)
	if err := e.uc.Attempts.Grade(context.Background(), a.ID); err != nil {
		t.Fatal(err)
	}
	second := e.db.attempt(a.ID)
	if diff := cmp.Diff(first, second); diff != "" {
		t.Errorf("second grade changed the attempt:\n%s", diff)
	}
	if first.Status != AttemptGraded || first.Score == nil || *first.Score != 6 || !first.GradedAt.Equal(testT0.Add(time.Minute)) {
		t.Fatalf("graded attempt: %s score %v at %v", first.Status, first.Score, first.GradedAt)
	}
	evs := gradedEvents(t, e)
	want := []GradedEvent{{AttemptID: a.ID, ExamID: fx.exam.ID, UserID: a.UserID, Number: 1, Score: ptr(6.0), MaxScore: 10,
		Passed: ptr(true), SubmittedAt: a.SubmittedAt, GradedAt: testT0.Add(time.Minute)}}
	if diff := cmp.Diff(want, evs, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	// Grading something not submitted, or missing, is a no-op.
	b := e.start(t, "memberA1", fx.exam.ID)
	if err := e.uc.Attempts.Grade(context.Background(), b.ID); err != nil || e.db.attempt(b.ID).Status != AttemptInProgress {
		t.Errorf("grading an attempt in progress: %v", err)
	}
	if err := e.uc.Attempts.Grade(context.Background(), 424242); err != nil {
		t.Errorf("grading a missing attempt: %v", err)
	}
	if n := len(e.db.events()); n != 1 {
		t.Errorf("events = %d, want 1", n)
	}
}

// A crash mid-grading (the status write or the outbox write fails) leaves nothing behind; the
// retry grades once.
func TestGradeCrashThenRetry(t *testing.T) {
	for _, tt := range []struct {
		name   string
		inject func(db *fakeDB)
	}{
		{"finish fails", func(db *fakeDB) { db.failFinish = 1 }},
		{"outbox write fails after finish", func(db *fakeDB) { db.failOutboxAdd = 1 }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t)
			fx := e.newExam(t, objective(), nil)
			a := e.submitted(t, "memberA", fx.exam.ID, rightAnswers)
			before := e.db.snapshot()
			tt.inject(e.db)
			err := e.uc.Attempts.Grade(context.Background(), a.ID)
			wantErrIs(t, err, errInjected)
			if diff := cmp.Diff(before, e.db.snapshot()); diff != "" {
				t.Fatalf("failed grade changed the store:\n%s", diff)
			}
			if err := e.uc.Attempts.Grade(context.Background(), a.ID); err != nil {
				t.Fatal(err)
			}
			if err := e.uc.Attempts.Grade(context.Background(), a.ID); err != nil {
				t.Fatal(err)
			}
			got := e.db.attempt(a.ID)
			if got.Status != AttemptGraded || got.Score == nil || *got.Score != 10 {
				t.Fatalf("after retry: %s score %v", got.Status, got.Score)
			}
			if evs := gradedEvents(t, e); len(evs) != 1 || *evs[0].Score != 10 {
				t.Fatalf("events = %+v, want one with score 10", evs)
			}
		})
	}
}

// Another worker commits the grade between our read and our conditional write: we lose, quietly.
func TestGradeLosesRace(t *testing.T) {
	e := newTestEnv(t)
	fx := e.newExam(t, objective(), nil)
	a := e.submitted(t, "memberA", fx.exam.ID, rightAnswers)
	e.db.beforeFinish = func(st *fakeState, x *Attempt, from string) {
		if from == AttemptSubmitted {
			st.Attempts[x.ID].Status = AttemptGraded
		}
	}
	if err := e.uc.Attempts.Grade(context.Background(), a.ID); err != nil {
		t.Fatalf("losing grader: %v", err)
	}
	if n := len(e.db.events()); n != 0 {
		t.Errorf("loser emitted %d events", n)
	}
}

// Two graders running at once produce one grade and one event.
func TestGradeConcurrent(t *testing.T) {
	e := newTestEnv(t)
	fx := e.newExam(t, objective(), nil)
	a := e.submitted(t, "memberA", fx.exam.ID, rightAnswers)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if err := e.uc.Attempts.Grade(context.Background(), a.ID); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := len(e.db.events()); n != 1 {
		t.Errorf("events = %d, want 1", n)
	}
}

func TestReconcile(t *testing.T) {
	e := newTestEnv(t)
	fx := e.newExam(t, objective(), nil)
	overdue := e.start(t, "memberA", fx.exam.ID)
	e.save(t, "memberA", overdue, map[int]Answer{3: choices("true")})
	// Graded before the other is submitted: grading takes every submitted attempt it can.
	done := e.graded(t, "memberA1b", fx.exam.ID, rightAnswers)
	waiting := e.submitted(t, "memberA1", fx.exam.ID, rightAnswers)
	e.clk.Advance(10 * time.Minute)
	fresh := e.start(t, "memberA2", fx.exam.ID)

	e.clk.Set(overdue.Deadline.Add(time.Second)) // fresh is still within its time
	gradesBefore := len(e.queue.gradeCalls())
	if err := e.uc.Reconcile(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := e.db.attempt(overdue.ID)
	if got.Status != AttemptSubmitted || !got.SubmittedAt.Equal(overdue.Deadline) {
		t.Errorf("overdue attempt: %s at %v, want submitted at its deadline", got.Status, got.SubmittedAt)
	}
	if f := e.db.attempt(fresh.ID); f.Status != AttemptInProgress {
		t.Errorf("attempt still in time was finalised: %s", f.Status)
	}
	grades := e.queue.gradeCalls()[gradesBefore:]
	for _, id := range []int64{overdue.ID, waiting.ID} {
		if !slices.Contains(grades, id) {
			t.Errorf("attempt %d not enqueued for grading (got %v)", id, grades)
		}
	}
	if slices.Contains(grades, done.ID) || slices.Contains(grades, fresh.ID) {
		t.Errorf("enqueued graded or in-progress attempts: %v", grades)
	}
	if evs := e.db.events(); len(evs) != 1 || evs[0].AttemptID != done.ID {
		t.Fatalf("events after reconcile = %+v, want only the graded attempt's", evs)
	}

	// Grading the finalised attempts announces each once.
	for _, id := range []int64{overdue.ID, waiting.ID} {
		if err := e.uc.Attempts.Grade(context.Background(), id); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(e.db.events()); n != 3 {
		t.Errorf("events = %d, want 3", n)
	}
	if g := e.db.attempt(overdue.ID); g.Score == nil || *g.Score != 2 {
		t.Errorf("finalised attempt graded %v, want 2 (only the saved answer)", g.Score)
	}
}

func TestScoreEssay(t *testing.T) {
	e := newTestEnv(t)
	fx := e.newExam(t, []*Question{qSingle(), qEssay(10), qEssay(5)}, func(ex *Exam) { ex.PassMark = 10 })
	a := e.submitted(t, "memberA", fx.exam.ID, map[int]Answer{1: choices("A"), 2: {Text: "回答一"}, 3: {Text: "回答二"}})

	// Not graded yet.
	_, _, err := e.uc.Attempts.ScoreEssay(e.as("trainerA"), a.ID, 2, 8, "")
	wantErrAs[*ClosedError](t, err)

	if err := e.uc.Attempts.Grade(context.Background(), a.ID); err != nil {
		t.Fatal(err)
	}
	if evs := gradedEvents(t, e); len(evs) != 1 || evs[0].Score != nil || evs[0].Passed != nil || !evs[0].NeedsReview {
		t.Fatalf("objective grading events = %+v, want one pending review", evs)
	}

	before := e.db.snapshot()
	for _, tt := range []struct {
		user  string
		no    int
		score float64
		check func(t *testing.T, err error)
	}{
		{"memberA", 2, 8, func(t *testing.T, err error) { wantErrIs(t, err, ErrNotFound) }},
		{"memberA1", 2, 8, func(t *testing.T, err error) { wantErrIs(t, err, ErrNotFound) }},
		{"trainerB", 2, 8, func(t *testing.T, err error) { wantErrIs(t, err, ErrNotFound) }},
		{"staffA1", 2, 8, func(t *testing.T, err error) { wantErrIs(t, err, ErrNotFound) }}, // below the owner
		{"trainerA", 2, 10.01, func(t *testing.T, err error) {
			if fe := wantErrAs[*FieldError](t, err); fe.Field != "score" {
				t.Errorf("field %q", fe.Field)
			}
		}},
		{"trainerA", 1, 1, func(t *testing.T, err error) { wantErrAs[*FieldError](t, err) }}, // not an essay
		{"trainerA", 4, 1, func(t *testing.T, err error) { wantErrAs[*FieldError](t, err) }},
	} {
		_, _, err := e.uc.Attempts.ScoreEssay(e.as(tt.user), a.ID, tt.no, tt.score, "")
		tt.check(t, err)
	}
	if diff := cmp.Diff(before, e.db.snapshot()); diff != "" {
		t.Fatalf("refused scoring changed the store:\n%s", diff)
	}

	got, ex, err := e.uc.Attempts.ScoreEssay(e.as("trainerA"), a.ID, 2, 10, "很好")
	if err != nil {
		t.Fatal(err)
	}
	if ex.ID != fx.exam.ID || got.Score != nil || !got.NeedsReview() || got.Scores[1].Score != 10 || !got.Scores[1].Correct ||
		got.Scores[1].GradedBy != e.user["trainerA"].UserID || got.Scores[1].Comment != "很好" {
		t.Fatalf("after first essay: score %v, scores %+v", got.Score, got.Scores)
	}
	if n := len(e.db.events()); n != 1 {
		t.Fatalf("events after first essay = %d, want 1", n)
	}
	// The admin scores the last essay: total 2 + 10 + 3 = 15, passed, second event.
	got, _, err = e.uc.Attempts.ScoreEssay(e.as("admin"), a.ID, 3, 3, "")
	if err != nil {
		t.Fatal(err)
	}
	if got.Score == nil || *got.Score != 15 || got.NeedsReview() || got.Status != AttemptGraded {
		t.Fatalf("after last essay: %s score %v", got.Status, got.Score)
	}
	if stored := e.db.attempt(a.ID); stored.Score == nil || *stored.Score != 15 {
		t.Fatalf("stored score %v", stored.Score)
	}
	evs := gradedEvents(t, e)
	if len(evs) != 2 || evs[1].Score == nil || *evs[1].Score != 15 || evs[1].Passed == nil || !*evs[1].Passed || evs[1].NeedsReview {
		t.Fatalf("events = %+v, want a second with score 15 passed", evs)
	}
}

func TestResultsReleased(t *testing.T) {
	e := newTestEnv(t)
	closes := testT0.Add(2 * time.Hour)
	graded := &Attempt{Status: AttemptGraded, Score: ptr(8.0), Scores: []QScore{{No: 1, Score: 8, Max: 10}}}
	pending := &Attempt{Status: AttemptGraded, Scores: []QScore{{No: 1, Max: 10, PendingReview: true}}}
	submitted := &Attempt{Status: AttemptSubmitted}
	tests := []struct {
		name   string
		a      *Attempt
		policy string
		now    time.Time
		want   bool
	}{
		{"immediate", graded, ResultsImmediate, testT0, true},
		{"immediate, essay pending", pending, ResultsImmediate, testT0, false},
		{"immediate, not graded", submitted, ResultsImmediate, testT0, false},
		{"after close, before", graded, ResultsAfterClose, closes.Add(-time.Second), false},
		{"after close, at close", graded, ResultsAfterClose, closes, true},
		{"after close, after", graded, ResultsAfterClose, closes.Add(time.Hour), true},
		{"after close, essay pending", pending, ResultsAfterClose, closes.Add(time.Hour), false},
		{"never", graded, ResultsNever, closes.Add(24 * time.Hour), false},
		{"unknown policy", graded, "", closes.Add(time.Hour), false},
	}
	for _, tt := range tests {
		e.clk.Set(tt.now)
		ex := &Exam{ClosesAt: closes, ResultsPolicy: tt.policy}
		if got := e.uc.Attempts.ResultsReleased(tt.a, ex); got != tt.want {
			t.Errorf("%s: released = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// A starting worker schedules every open attempt's deadline again (the queue may have lost
// them), and only open attempts'.
func TestRescheduleDeadlines(t *testing.T) {
	e := newTestEnv(t)
	fx := e.newExam(t, objective(), nil)
	a1 := e.start(t, "memberA", fx.exam.ID)
	a2 := e.start(t, "memberA1", fx.exam.ID)
	done := e.submitted(t, "memberA2", fx.exam.ID, map[int]Answer{1: choices("A")})
	e.queue.mu.Lock()
	e.queue.autosubmits = nil
	e.queue.mu.Unlock()
	n, err := e.uc.Attempts.RescheduleDeadlines(context.Background())
	if err != nil || n != 2 {
		t.Fatalf("RescheduleDeadlines = %d, %v; want 2", n, err)
	}
	want := []scheduled{{a1.ID, a1.Deadline}, {a2.ID, a2.Deadline}}
	if diff := cmp.Diff(want, e.queue.autosubmitCalls()); diff != "" {
		t.Errorf("rescheduled (-want +got):\n%s", diff)
	}
	if slices.ContainsFunc(e.queue.autosubmitCalls(), func(s scheduled) bool { return s.AttemptID == done.ID }) {
		t.Error("a submitted attempt was rescheduled")
	}
}
