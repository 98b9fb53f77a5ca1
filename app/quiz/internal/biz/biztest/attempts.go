package biztest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/vanguard/vanguard/app/quiz/internal/biz"
)

var attemptCases = []testCase{
	{"CreateAttemptAndGetAttempt", testCreateGetAttempt},
	{"CreateAttemptDuplicateNumber", testCreateAttemptDuplicate},
	{"ListAttempts", testListAttempts},
	{"SaveAnswer", testSaveAnswer},
	{"SaveAnswerConcurrent", testSaveAnswerConcurrent},
	{"Lock", testLock},
	{"LockHoldsTheRow", testLockHolds},
	{"GetAttemptLocked", testGetAttemptLocked},
	{"UpdateQuestions", testUpdateQuestions},
	{"Finish", testFinish},
	{"AddFocusLoss", testAddFocusLoss},
	{"Overdue", testOverdue},
	{"OpenDeadlines", testOpenDeadlines},
	{"PageAttempts", testPageAttempts},
	{"ExamAnswers", testExamAnswers},
	{"ExamStamp", testExamStamp},
	{"ClaimSubmitted", testClaimSubmitted},
	{"FinishGraded", testFinishGraded},
	{"PendingReview", testPendingReview},
	{"CountByStatus", testCountByStatus},
	{"SaveOpenAnswer", testSaveOpenAnswer},
	{"SaveOpenAnswerWaitsForFinish", testSaveOpenAnswerWaitsForFinish},
	{"Submitted", testSubmitted},
}

// CreateAttempt inserts an attempt (in progress when no status is given) under a new id and
// returns it with an empty, non-nil answer map; GetAttempt loads it with its answers (a non-nil
// map); a missing attempt is ErrNotFound.
func testCreateGetAttempt(f *fx) {
	in := newAttempt(3, 100, 1, t0.Add(time.Hour))
	in.FocusLosses = 2
	a := f.attempt(in)
	if a.ID <= 0 {
		f.Fatalf("CreateAttempt id = %d", a.ID)
	}
	want := *in
	want.ID, want.Answers = a.ID, map[int]biz.Answer{}
	f.same("created attempt", &want, a)
	if a.Answers == nil {
		f.Error("CreateAttempt returned a nil answer map")
	}
	got := f.getAttempt(a.ID)
	f.same("GetAttempt", &want, got)
	if got.Answers == nil {
		f.Error("GetAttempt returned a nil answer map")
	}

	// Every field is inserted, whatever the status.
	submitted, graded, score := t0.Add(10*time.Minute), t0.Add(11*time.Minute), 9.5
	full := &biz.Attempt{ExamID: 3, UserID: 100, UserOrgPath: "/1/2/4/", Number: 2, Status: biz.AttemptGraded,
		StartedAt: t0, Deadline: t0.Add(30 * time.Minute), SubmittedAt: &submitted, Questions: snapshot(),
		Scores: []biz.QScore{{No: 1, Score: 2, Max: 2, Correct: true}, {No: 2, Score: 7.5, Max: 8, Comment: "好", GradedBy: 3}},
		Score:  &score, MaxScore: 10, FocusLosses: 1, GradedAt: &graded, Notice: "已重新评分"}
	b := f.attempt(full)
	wantFull := *full
	wantFull.ID, wantFull.Answers = b.ID, map[int]biz.Answer{}
	f.same("created graded attempt", &wantFull, b)
	f.same("GetAttempt of a graded attempt", &wantFull, f.getAttempt(b.ID))

	noStatus := newAttempt(3, 100, 3, t0.Add(time.Hour))
	noStatus.Status = ""
	if c := f.attempt(noStatus); c.Status != biz.AttemptInProgress || f.getAttempt(c.ID).Status != biz.AttemptInProgress {
		f.Errorf("attempt created without a status: %q, want %q", c.Status, biz.AttemptInProgress)
	}

	_, err := f.r.Attempts.GetAttempt(f.ctx, missing)
	f.wantErr("GetAttempt of a missing attempt", err, biz.ErrNotFound)
}

// (exam, user, number) is unique: a second insert is ErrAlreadyExists and stores nothing.
func testCreateAttemptDuplicate(f *fx) {
	first := f.attempt(newAttempt(1, 100, 1, t0.Add(time.Hour)))
	dup := newAttempt(1, 100, 1, t0.Add(2*time.Hour))
	dup.UserOrgPath = "/1/3/"
	_, err := f.r.Attempts.CreateAttempt(f.ctx, dup)
	f.wantErr("CreateAttempt of a taken number", err, biz.ErrAlreadyExists)
	f.attempt(newAttempt(1, 100, 2, t0.Add(time.Hour))) // another number
	f.attempt(newAttempt(1, 101, 1, t0.Add(time.Hour))) // another user
	f.attempt(newAttempt(2, 100, 1, t0.Add(time.Hour))) // another exam
	list := res(f.r.Attempts.ListAttempts(f.ctx, 1, 100)).must(f, "ListAttempts")
	if len(list) != 2 || list[0].ID != first.ID || !list[0].Deadline.Equal(t0.Add(time.Hour)) || list[0].UserOrgPath != "/1/2/" {
		f.Errorf("user 100's attempts at exam 1 = %+v, want the first and number 2", list)
	}
}

// ListAttempts lists an exam's attempts ordered by user, then number; of one user when
// userID > 0.
func testListAttempts(f *fx) {
	dl := t0.Add(time.Hour)
	a100n2 := f.attempt(newAttempt(1, 100, 2, dl))
	a50n1 := f.attempt(newAttempt(1, 50, 1, dl))
	a100n1 := f.attempt(newAttempt(1, 100, 1, dl))
	a100n10 := f.attempt(newAttempt(1, 100, 10, dl))
	a50n2 := f.attempt(newAttempt(1, 50, 2, dl))
	f.attempt(newAttempt(2, 50, 1, dl))

	all := res(f.r.Attempts.ListAttempts(f.ctx, 1, 0)).must(f, "ListAttempts")
	f.same("ListAttempts(exam 1)", []int64{a50n1.ID, a50n2.ID, a100n1.ID, a100n2.ID, a100n10.ID}, idsOf(all, attemptID))
	if len(all) == 5 {
		f.same("a listed attempt", a100n2, all[3], cmpopts.IgnoreFields(biz.Attempt{}, "Answers"))
	}
	f.same("ListAttempts(exam 1, user 100)", []int64{a100n1.ID, a100n2.ID, a100n10.ID},
		idsOf(res(f.r.Attempts.ListAttempts(f.ctx, 1, 100)).must(f, "ListAttempts"), attemptID))
	f.same("ListAttempts(exam 1, user 7)", []int64{},
		idsOf(res(f.r.Attempts.ListAttempts(f.ctx, 1, 7)).must(f, "ListAttempts"), attemptID))
	f.same("ListAttempts(unknown exam)", []int64{},
		idsOf(res(f.r.Attempts.ListAttempts(f.ctx, missing, 0)).must(f, "ListAttempts"), attemptID))
	a50e2 := res(f.r.Attempts.ListAttempts(f.ctx, 2, 50)).must(f, "ListAttempts")[0]
	for user, want := range map[int64][]int64{100: {a100n1.ID, a100n2.ID, a100n10.ID}, 50: {a50n1.ID, a50n2.ID, a50e2.ID}, 7: {}} {
		got := res(f.r.Attempts.AttemptsOfUser(f.ctx, user)).must(f, "AttemptsOfUser")
		f.same(fmt.Sprintf("AttemptsOfUser(%d)", user), want, idsOf(got, attemptID))
		if user == 100 && len(got) == 3 {
			want := f.getAttempt(a100n2.ID)
			want.Questions, want.Answers = nil, nil
			f.same("an attempt of the user, without snapshot and answers", want, got[1])
		}
	}
}

// SaveAnswer stores an answer unless the stored one has a higher or equal version, returning the
// version now stored and whether this save is the one stored; it works inside a transaction too.
func testSaveAnswer(f *fx) {
	a := f.attempt(newAttempt(1, 100, 1, t0.Add(time.Hour)))
	b := f.attempt(newAttempt(1, 101, 1, t0.Add(time.Hour)))
	save := func(id int64, no int, ans biz.Answer, wantStored int64, wantWon bool) {
		f.Helper()
		stored, won, err := f.r.Attempts.SaveAnswer(f.ctx, id, no, ans)
		f.noErr("SaveAnswer", err)
		if stored != wantStored || won != wantWon {
			f.Errorf("SaveAnswer(%d, %d, version %d) = (%d, %v), want (%d, %v)", id, no, ans.Version, stored, won, wantStored, wantWon)
		}
	}
	save(a.ID, 1, biz.Answer{Choices: []string{"A"}, Version: 5}, 5, true)      // first save
	save(a.ID, 1, biz.Answer{Choices: []string{"B"}, Version: 7}, 7, true)      // newer wins
	save(a.ID, 1, biz.Answer{Choices: []string{"C"}, Version: 6}, 7, false)     // older loses
	save(a.ID, 1, biz.Answer{Choices: []string{"D"}, Version: 7}, 7, false)     // equal loses
	save(a.ID, 2, biz.Answer{Text: "论述：坚持党的领导", Version: 1}, 1, true)           // another question
	save(b.ID, 1, biz.Answer{Choices: []string{"A", "B"}, Version: 1}, 1, true) // another attempt
	f.same("answers", map[int]biz.Answer{1: {Choices: []string{"B"}, Version: 7}, 2: {Text: "论述：坚持党的领导", Version: 1}},
		f.getAttempt(a.ID).Answers)

	// In a transaction, through the transaction's connection.
	err := f.r.Tx.InTx(f.ctx, func(ctx context.Context) error {
		stored, won, err := f.r.Attempts.SaveAnswer(ctx, a.ID, 2, biz.Answer{Text: "改写", Version: 2})
		if err == nil && (stored != 2 || !won) {
			err = fmt.Errorf("in-transaction save = (%d, %v), want (2, true)", stored, won)
		}
		return err
	})
	f.noErr("SaveAnswer in a transaction", err)
	f.same("answers after the transaction", map[int]biz.Answer{1: {Choices: []string{"B"}, Version: 7}, 2: {Text: "改写", Version: 2}},
		f.getAttempt(a.ID).Answers)
	f.same("the other attempt's answers", map[int]biz.Answer{1: {Choices: []string{"A", "B"}, Version: 1}}, f.getAttempt(b.ID).Answers)
}

// Concurrent saves of one question: the highest version is what remains, and no save reports a
// stored version lower than its own.
func testSaveAnswerConcurrent(f *fx) {
	a := f.attempt(newAttempt(1, 100, 1, t0.Add(time.Hour)))
	const n = 16
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for v := int64(1); v <= n; v++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			stored, won, err := f.r.Attempts.SaveAnswer(f.ctx, a.ID, 3, biz.Answer{Text: fmt.Sprint(v), Version: v})
			switch {
			case err != nil:
			case won && stored != v:
				err = fmt.Errorf("save %d won but reports %d stored", v, stored)
			case stored < v:
				err = fmt.Errorf("save %d lost to an older version %d", v, stored)
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		f.noErr("concurrent SaveAnswer", err)
	}
	f.same("answer after concurrent saves", biz.Answer{Text: fmt.Sprint(n), Version: n}, f.getAttempt(a.ID).Answers[3])
}

// Lock succeeds whatever the status and is ErrNotFound for a missing attempt; it changes nothing.
func testLock(f *fx) {
	open := f.attempt(newAttempt(1, 100, 1, t0.Add(time.Hour)))
	graded := newAttempt(1, 100, 2, t0.Add(time.Hour))
	graded.Status = biz.AttemptGraded
	graded = f.attempt(graded)
	for _, a := range []*biz.Attempt{open, graded} {
		f.noErr("Lock of a "+a.Status+" attempt", f.r.Attempts.Lock(f.ctx, a.ID))
		f.noErr("Lock in a transaction", f.r.Tx.InTx(f.ctx, func(ctx context.Context) error { return f.r.Attempts.Lock(ctx, a.ID) }))
		f.same("attempt after Lock", a, f.getAttempt(a.ID))
	}
	f.wantErr("Lock of a missing attempt", f.r.Attempts.Lock(f.ctx, missing), biz.ErrNotFound)
	err := f.r.Tx.InTx(f.ctx, func(ctx context.Context) error { return f.r.Attempts.Lock(ctx, missing) })
	f.wantErr("Lock of a missing attempt in a transaction", err, biz.ErrNotFound)
}

// holder runs fn in a transaction in the background once it has locked attempt id (with lock),
// sleeping first so that whatever waits for the row visibly waits; the transaction commits
// unless fn fails. holder returns once the row is locked; done reports whether fn has returned,
// wait the transaction's result.
func (f *fx) holder(id int64, lock func(ctx context.Context, id int64) error, fn func(ctx context.Context) error) (done *atomic.Bool, wait func() error) {
	f.Helper()
	done = new(atomic.Bool)
	locked, result := make(chan struct{}), make(chan error, 1)
	go func() {
		result <- f.r.Tx.InTx(f.ctx, func(ctx context.Context) error {
			if err := lock(ctx, id); err != nil {
				return err
			}
			close(locked)
			time.Sleep(150 * time.Millisecond)
			err := fn(ctx)
			done.Store(true)
			return err
		})
	}()
	select {
	case <-locked:
	case err := <-result:
		f.Fatalf("the holding transaction ended before locking: %v", err)
	}
	return done, func() error { return <-result }
}

// within runs op, failing the subtest if it does not return within ten seconds.
func (f *fx) within(what string, op func() error) error {
	f.Helper()
	result := make(chan error, 1)
	go func() { result <- op() }()
	select {
	case err := <-result:
		return err
	case <-time.After(10 * time.Second):
		f.Fatalf("%s: still waiting after 10s", what)
		return nil
	}
}

// Lock holds the row for the rest of the transaction: another transaction's Lock of the attempt
// (a grade against a regrade) returns only once the holder has committed, or rolled back.
func testLockHolds(f *fx) {
	a := f.attempt(newAttempt(1, 100, 1, t0.Add(time.Hour)))
	for _, holderErr := range []error{nil, errAbort} {
		done, wait := f.holder(a.ID, f.r.Attempts.Lock, func(context.Context) error { return holderErr })
		err := f.within("Lock of a held attempt", func() error {
			return f.r.Tx.InTx(f.ctx, func(ctx context.Context) error {
				if err := f.r.Attempts.Lock(ctx, a.ID); err != nil {
					return err
				}
				if !done.Load() {
					return errors.New("Lock returned while another transaction held the attempt")
				}
				return nil
			})
		})
		f.noErr(fmt.Sprintf("Lock after a holder that returned %v", holderErr), err)
		if err := wait(); err != holderErr {
			f.Errorf("holding transaction = %v, want %v", err, holderErr)
		}
	}
}

// GetAttemptLocked reads like GetAttempt (ErrNotFound if missing) and holds the row like Lock: a
// holder's Lock makes it wait, and its own hold makes another Lock wait.
func testGetAttemptLocked(f *fx) {
	a := f.attempt(newAttempt(1, 100, 1, t0.Add(time.Hour)))
	f.noErr("SaveAnswer", func() error {
		_, _, err := f.r.Attempts.SaveAnswer(f.ctx, a.ID, 1, biz.Answer{Text: "x", Version: 1})
		return err
	}())
	got := res(f.r.Attempts.GetAttemptLocked(f.ctx, a.ID)).must(f, "GetAttemptLocked")
	f.same("GetAttemptLocked", f.getAttempt(a.ID), got)
	_, err := f.r.Attempts.GetAttemptLocked(f.ctx, missing)
	f.wantErr("GetAttemptLocked of a missing attempt", err, biz.ErrNotFound)
	lockedRead := func(ctx context.Context, id int64) error {
		_, err := f.r.Attempts.GetAttemptLocked(ctx, id)
		return err
	}
	for name, pair := range map[string][2]func(context.Context, int64) error{
		"GetAttemptLocked waits for Lock": {f.r.Attempts.Lock, lockedRead},
		"Lock waits for GetAttemptLocked": {lockedRead, f.r.Attempts.Lock},
	} {
		done, wait := f.holder(a.ID, pair[0], func(context.Context) error { return nil })
		err := f.within(name, func() error {
			return f.r.Tx.InTx(f.ctx, func(ctx context.Context) error {
				if err := pair[1](ctx, a.ID); err != nil {
					return err
				}
				if !done.Load() {
					return errors.New("returned while another transaction held the attempt")
				}
				return nil
			})
		})
		f.noErr(name, err)
		f.noErr(name+": holder", wait())
	}
}

// UpdateQuestions replaces an attempt's snapshot and nothing else; a missing attempt is
// ErrNotFound (not in the doc comment; what the ent repository does).
func testUpdateQuestions(f *fx) {
	a := f.attempt(newAttempt(1, 100, 1, t0.Add(time.Hour)))
	other := f.attempt(newAttempt(1, 101, 1, t0.Add(time.Hour)))
	_, _, err := f.r.Attempts.SaveAnswer(f.ctx, a.ID, 1, biz.Answer{Choices: []string{"B"}, Version: 1})
	f.noErr("SaveAnswer", err)
	// Both attempts share one snapshot: what a read returns is the caller's to change (a
	// regrade assigns keys in it) without changing what the next read returns.
	read := f.getAttempt(a.ID)
	read.Questions[0].AnswerKeys, read.Questions[0].StemHTML = []string{"Z"}, "changed"
	f.same("another attempt with the same snapshot, after a read was changed", other, f.getAttempt(other.ID))
	fixed := snapshot()
	fixed[0].AnswerKeys, fixed[0].Version = []string{"B"}, 3
	fixed[1].Blanks = [][]string{{"x"}}
	f.noErr("UpdateQuestions", f.r.Attempts.UpdateQuestions(f.ctx, a.ID, fixed))
	want := *a
	want.Questions, want.Answers = fixed, map[int]biz.Answer{1: {Choices: []string{"B"}, Version: 1}}
	f.same("attempt after UpdateQuestions", &want, f.getAttempt(a.ID))
	f.same("another attempt", other, f.getAttempt(other.ID))
	f.wantErr("UpdateQuestions of a missing attempt", f.r.Attempts.UpdateQuestions(f.ctx, missing, fixed), biz.ErrNotFound)
}

// Finish moves an attempt from fromStatus to a.Status, writing SubmittedAt, Scores, Score,
// GradedAt and Notice and nothing else (never the snapshot); ErrConflict, writing nothing, when
// the stored status is not fromStatus (or the attempt is missing).
func testFinish(f *fx) {
	a := newAttempt(1, 100, 1, t0.Add(time.Hour))
	a.FocusLosses = 2
	a = f.attempt(a)
	_, _, err := f.r.Attempts.SaveAnswer(f.ctx, a.ID, 1, biz.Answer{Choices: []string{"A"}, Version: 1})
	f.noErr("SaveAnswer", err)
	bystander := f.attempt(newAttempt(1, 101, 1, t0.Add(time.Hour)))

	// in_progress → submitted. Fields Finish does not write are ignored.
	submittedAt := t0.Add(20 * time.Minute)
	sub := *a
	sub.Status, sub.SubmittedAt = biz.AttemptSubmitted, &submittedAt
	sub.Questions, sub.MaxScore, sub.FocusLosses, sub.Deadline = nil, 99, 9, t0
	sub.UserOrgPath, sub.Number, sub.StartedAt = "/9/", 9, t0.Add(time.Minute)
	f.finish(&sub, biz.AttemptInProgress)
	want := *a
	want.Status, want.SubmittedAt = biz.AttemptSubmitted, &submittedAt
	want.Answers = map[int]biz.Answer{1: {Choices: []string{"A"}, Version: 1}}
	f.same("submitted attempt", &want, f.getAttempt(a.ID))

	// Again from in_progress: conflict, nothing written.
	late := sub
	late.Status, late.Notice = biz.AttemptGraded, "late"
	f.wantErr("second Finish from in_progress", f.r.Attempts.Finish(f.ctx, &late, biz.AttemptInProgress), biz.ErrConflict)
	f.same("attempt after a conflicting Finish", &want, f.getAttempt(a.ID))

	// submitted → graded, with a snapshot that must not be written.
	score, gradedAt := 9.5, t0.Add(21*time.Minute)
	gr := sub
	gr.Status, gr.Score, gr.GradedAt, gr.Notice = biz.AttemptGraded, &score, &gradedAt, "已评分"
	gr.Scores = []biz.QScore{{No: 1, Score: 2, Max: 2, Correct: true}, {No: 2, Score: 7.5, Max: 8, Comment: "好", GradedBy: 3}}
	gr.Questions = []biz.SnapQuestion{{No: 1, QuestionID: 99, Type: biz.Essay, StemHTML: "other"}}
	f.finish(&gr, biz.AttemptSubmitted)
	want.Status, want.Score, want.GradedAt, want.Notice, want.Scores = biz.AttemptGraded, &score, &gradedAt, "已评分", gr.Scores
	f.same("graded attempt", &want, f.getAttempt(a.ID))
	f.wantErr("second Finish from submitted", f.r.Attempts.Finish(f.ctx, &gr, biz.AttemptSubmitted), biz.ErrConflict)

	// graded → graded (a regrade, or an essay score): nil fields are written too.
	again := gr
	again.Score, again.GradedAt, again.SubmittedAt, again.Notice = nil, nil, nil, ""
	again.Scores = []biz.QScore{{No: 1, Score: 0, Max: 2}, {No: 2, Max: 8, PendingReview: true}}
	f.finish(&again, biz.AttemptGraded)
	want.Score, want.GradedAt, want.SubmittedAt, want.Notice, want.Scores = nil, nil, nil, "", again.Scores
	f.same("attempt finished with nil fields", &want, f.getAttempt(a.ID))

	f.wantErr("Finish of a missing attempt",
		f.r.Attempts.Finish(f.ctx, &biz.Attempt{ID: missing, Status: biz.AttemptSubmitted}, biz.AttemptInProgress), biz.ErrConflict)
	f.same("an attempt Finish did not name", bystander, f.getAttempt(bystander.ID))
}

// AddFocusLoss adds one to an attempt's focus losses (whatever its status); a missing attempt is
// ErrNotFound.
func testAddFocusLoss(f *fx) {
	a := f.attempt(newAttempt(1, 100, 1, t0.Add(time.Hour)))
	other := f.attempt(newAttempt(1, 101, 1, t0.Add(time.Hour)))
	for range 3 {
		f.noErr("AddFocusLoss", f.r.Attempts.AddFocusLoss(f.ctx, a.ID))
	}
	if got := f.getAttempt(a.ID).FocusLosses; got != 3 {
		f.Errorf("focus losses = %d, want 3", got)
	}
	if got := f.getAttempt(other.ID).FocusLosses; got != 0 {
		f.Errorf("another attempt's focus losses = %d, want 0", got)
	}
	f.wantErr("AddFocusLoss of a missing attempt", f.r.Attempts.AddFocusLoss(f.ctx, missing), biz.ErrNotFound)
}

// Overdue lists in-progress attempts whose deadline is strictly before t, up to limit, earliest
// deadline first (the order is not documented; the ent repository orders by deadline, then id).
func testOverdue(f *fx) {
	at := t0.Add(150 * time.Minute)
	a1h := f.attempt(newAttempt(1, 100, 1, t0.Add(time.Hour)))
	f.attempt(newAttempt(1, 100, 2, t0.Add(3*time.Hour))) // not yet due
	a2h := f.attempt(newAttempt(2, 50, 1, t0.Add(2*time.Hour)))
	f.attempt(newAttempt(1, 51, 1, at)) // due exactly at t: not before it
	a30m := f.attempt(newAttempt(1, 52, 1, t0.Add(30*time.Minute)))
	a2hBis := f.attempt(newAttempt(3, 53, 1, t0.Add(2*time.Hour)))
	done := f.attempt(newAttempt(1, 54, 1, t0.Add(time.Minute)))
	fin := *done
	fin.Status, fin.SubmittedAt = biz.AttemptSubmitted, &t0
	f.finish(&fin, biz.AttemptInProgress)
	graded := newAttempt(1, 55, 1, t0.Add(time.Minute))
	graded.Status = biz.AttemptGraded
	f.attempt(graded)

	over := res(f.r.Attempts.Overdue(f.ctx, at.In(time.UTC), 10)).must(f, "Overdue")
	f.same("Overdue", []int64{a30m.ID, a1h.ID, a2h.ID, a2hBis.ID}, idsOf(over, attemptID))
	if len(over) == 4 {
		f.same("an overdue attempt", a2h, over[2], cmpopts.IgnoreFields(biz.Attempt{}, "Answers", "Questions")) // no snapshot needed
	}
	f.same("Overdue limit 2", []int64{a30m.ID, a1h.ID}, idsOf(res(f.r.Attempts.Overdue(f.ctx, at, 2)).must(f, "Overdue"), attemptID))
	f.same("Overdue before anything is due", []int64{}, idsOf(res(f.r.Attempts.Overdue(f.ctx, t0, 10)).must(f, "Overdue"), attemptID))
}

// OpenDeadlines pages over in-progress attempts only, by id, with their deadlines.
func testOpenDeadlines(f *fx) {
	var open []biz.AttemptDeadline
	for i := range 5 {
		a := f.attempt(newAttempt(1, int64(200+i), 1, t0.Add(time.Duration(5-i)*time.Hour)))
		if i == 1 {
			fin := *a
			fin.Status, fin.SubmittedAt = biz.AttemptSubmitted, &t0
			f.finish(&fin, biz.AttemptInProgress)
			continue
		}
		open = append(open, biz.AttemptDeadline{ID: a.ID, Deadline: a.Deadline})
	}
	f.same("OpenDeadlines", open, res(f.r.Attempts.OpenDeadlines(f.ctx, 0, 10)).must(f, "OpenDeadlines"))
	f.same("first page", open[:2], res(f.r.Attempts.OpenDeadlines(f.ctx, 0, 2)).must(f, "OpenDeadlines"))
	f.same("next page", open[2:], res(f.r.Attempts.OpenDeadlines(f.ctx, open[1].ID, 2)).must(f, "OpenDeadlines"))
	f.same("past the end", []biz.AttemptDeadline(nil), res(f.r.Attempts.OpenDeadlines(f.ctx, open[3].ID, 2)).must(f, "OpenDeadlines"))
}

// Submitted lists the ids of attempts waiting for grading (status submitted), up to limit, oldest
// id first (the order is not documented; the ent repository orders by id).
func testSubmitted(f *fx) {
	var want []int64
	for i := range 5 {
		a := f.attempt(newAttempt(int64(1+i%2), int64(100+i), 1, t0.Add(time.Hour)))
		if i == 2 {
			continue // stays in progress
		}
		sub := *a
		sub.Status, sub.SubmittedAt = biz.AttemptSubmitted, &t0
		f.finish(&sub, biz.AttemptInProgress)
		if i == 4 {
			gr := sub
			gr.Status = biz.AttemptGraded
			f.finish(&gr, biz.AttemptSubmitted)
			continue
		}
		want = append(want, a.ID)
	}
	f.same("Submitted", want, res(f.r.Attempts.Submitted(f.ctx, 10)).must(f, "Submitted"))
	f.same("Submitted limit 2", want[:2], res(f.r.Attempts.Submitted(f.ctx, 2)).must(f, "Submitted"))
}

// SaveOpenAnswer saves only into the user's attempt while it is in progress and its deadline is
// not before the save's time (the deadline itself counts), with SaveAnswer's version rule.
func testSaveOpenAnswer(f *fx) {
	deadline := t0.Add(time.Hour)
	a := f.attempt(newAttempt(1, 100, 1, deadline))
	save := func(what string, user int64, at time.Time, v int64, want biz.SaveResult) {
		f.Helper()
		got := res(f.r.Attempts.SaveOpenAnswer(f.ctx, a.ID, user, 1, biz.Answer{Choices: []string{"A"}, Text: what, Version: v}, at)).must(f, "SaveOpenAnswer")
		f.same(what, want, got)
	}
	save("first save", 100, t0, 3, biz.SaveResult{Open: true, Deadline: deadline, Stored: 3, Won: true})
	save("stale save", 100, t0, 2, biz.SaveResult{Open: true, Deadline: deadline, Stored: 3})
	save("equal version", 100, t0, 3, biz.SaveResult{Open: true, Deadline: deadline, Stored: 3})
	save("at the deadline", 100, deadline, 4, biz.SaveResult{Open: true, Deadline: deadline, Stored: 4, Won: true})
	save("after the deadline", 100, deadline.Add(time.Microsecond), 5, biz.SaveResult{})
	save("another user", 101, t0, 6, biz.SaveResult{})
	if got := f.getAttempt(a.ID).Answers[1]; got.Version != 4 || got.Text != "at the deadline" {
		f.Errorf("stored answer = %+v, want version 4 from the save at the deadline", got)
	}
	fin := *a
	fin.Status, fin.SubmittedAt = biz.AttemptSubmitted, &deadline
	f.finish(&fin, biz.AttemptInProgress)
	save("after the submit", 100, t0, 7, biz.SaveResult{})
	got := res(f.r.Attempts.SaveOpenAnswer(f.ctx, missing, 100, 1, biz.Answer{Version: 1}, t0)).must(f, "SaveOpenAnswer")
	f.same("missing attempt", biz.SaveResult{}, got)
	if got := f.getAttempt(a.ID).Answers[1]; got.Version != 4 {
		f.Errorf("refused saves changed the answer: %+v", got)
	}
}

// A save racing the finalisation: while a transaction holds the attempt (as Finish's does), the
// save waits, and then finds the attempt closed.
func testSaveOpenAnswerWaitsForFinish(f *fx) {
	a := f.attempt(newAttempt(1, 100, 1, t0.Add(time.Hour)))
	locked, release := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- f.r.Tx.InTx(f.ctx, func(ctx context.Context) error {
			if err := f.r.Attempts.Lock(ctx, a.ID); err != nil {
				return err
			}
			close(locked)
			<-release
			fin := *a
			fin.Status, fin.SubmittedAt = biz.AttemptSubmitted, &t0
			return f.r.Attempts.Finish(ctx, &fin, biz.AttemptInProgress)
		})
	}()
	<-locked
	saved := make(chan biz.SaveResult, 1)
	go func() {
		r, err := f.r.Attempts.SaveOpenAnswer(f.ctx, a.ID, 100, 1, biz.Answer{Choices: []string{"B"}, Version: 1}, t0)
		if err != nil {
			f.Errorf("SaveOpenAnswer: %v", err)
		}
		saved <- r
	}()
	select {
	case r := <-saved:
		f.Fatalf("the save did not wait for the finalising transaction: %+v", r)
	case <-time.After(200 * time.Millisecond):
	}
	close(release)
	if err := <-done; err != nil {
		f.Fatal(err)
	}
	f.same("save after the finalisation", biz.SaveResult{}, <-saved)
	if n := len(f.getAttempt(a.ID).Answers); n != 0 {
		f.Errorf("an answer landed after the finalisation: %d", n)
	}
}

// PageAttempts pages over one exam's attempts by id, without snapshots and answers.
func testPageAttempts(f *fx) {
	var ids []int64
	for i := range 5 {
		a := f.attempt(newAttempt(1, int64(300+i), 1, t0.Add(time.Hour)))
		ids = append(ids, a.ID)
		f.attempt(newAttempt(2, int64(300+i), 1, t0.Add(time.Hour))) // another exam
	}
	_, _, err := f.r.Attempts.SaveAnswer(f.ctx, ids[0], 1, biz.Answer{Text: "x", Version: 1})
	f.noErr("SaveAnswer", err)
	page := res(f.r.Attempts.PageAttempts(f.ctx, 1, 0, 2)).must(f, "PageAttempts")
	f.same("first page", ids[:2], idsOf(page, attemptID))
	if len(page) > 0 {
		want := f.getAttempt(ids[0])
		want.Questions, want.Answers = nil, nil
		f.same("a listed attempt", want, page[0])
	}
	f.same("next page", ids[2:4], idsOf(res(f.r.Attempts.PageAttempts(f.ctx, 1, ids[1], 2)).must(f, "PageAttempts"), attemptID))
	f.same("last page", ids[4:], idsOf(res(f.r.Attempts.PageAttempts(f.ctx, 1, ids[3], 2)).must(f, "PageAttempts"), attemptID))
	f.same("past the end", []int64{}, idsOf(res(f.r.Attempts.PageAttempts(f.ctx, 1, ids[4], 2)).must(f, "PageAttempts"), attemptID))
}

// PendingReview lists graded attempts of the given exams with an essay waiting for a score,
// oldest submission first, up to limit.
func testPendingReview(f *fx) {
	grade := func(exam, user int64, submitted time.Time, pending bool) *biz.Attempt {
		a := f.attempt(newAttempt(exam, user, 1, t0.Add(time.Hour)))
		g := *a
		score := 1.0
		g.Status, g.SubmittedAt, g.GradedAt = biz.AttemptGraded, &submitted, &submitted
		g.Scores = []biz.QScore{{No: 1, Score: 1, Max: 1}, {No: 2, Max: 5, PendingReview: pending}}
		if !pending {
			g.Score = &score
		}
		f.finish(&g, biz.AttemptInProgress)
		return a
	}
	late := grade(1, 400, t0.Add(2*time.Hour), true)
	early := grade(2, 401, t0.Add(time.Hour), true)
	grade(1, 402, t0, false)                     // scored: not pending
	grade(3, 403, t0, true)                      // another exam
	open := f.attempt(newAttempt(1, 404, 1, t0)) // in progress
	_ = open
	got := res(f.r.Attempts.PendingReview(f.ctx, []int64{1, 2}, 10)).must(f, "PendingReview")
	f.same("PendingReview", []int64{early.ID, late.ID}, idsOf(got, attemptID))
	f.same("PendingReview limit 1", []int64{early.ID}, idsOf(res(f.r.Attempts.PendingReview(f.ctx, []int64{1, 2}, 1)).must(f, "PendingReview"), attemptID))
	if len(got) == 2 && (got[0].Questions != nil || !got[0].NeedsReview()) {
		f.Errorf("a pending attempt as listed: %+v", got[0])
	}
}

// CountByStatus counts each given exam's attempts by status; exams without attempts, and
// exams not asked for, are absent.
func testCountByStatus(f *fx) {
	finish := func(a *biz.Attempt, status string) {
		f.Helper()
		g := *a
		at := t0
		g.Status, g.SubmittedAt = status, &at
		f.finish(&g, biz.AttemptInProgress)
	}
	f.attempt(newAttempt(1, 600, 1, t0.Add(time.Hour)))
	f.attempt(newAttempt(1, 601, 1, t0.Add(time.Hour)))
	finish(f.attempt(newAttempt(1, 602, 1, t0.Add(time.Hour))), biz.AttemptSubmitted)
	finish(f.attempt(newAttempt(1, 603, 1, t0.Add(time.Hour))), biz.AttemptGraded)
	finish(f.attempt(newAttempt(2, 600, 1, t0.Add(time.Hour))), biz.AttemptGraded)
	f.attempt(newAttempt(3, 600, 1, t0.Add(time.Hour)))
	got := res(f.r.Attempts.CountByStatus(f.ctx, []int64{1, 2, 9})).must(f, "CountByStatus")
	f.same("CountByStatus", map[int64]biz.StatusCounts{1: {InProgress: 2, Submitted: 1, Graded: 1}, 2: {Graded: 1}}, got)
	f.same("CountByStatus of none", map[int64]biz.StatusCounts{}, res(f.r.Attempts.CountByStatus(f.ctx, nil)).must(f, "CountByStatus"))
}

// ExamAnswers returns every saved answer of one exam's attempts, by attempt and question number;
// attempts without answers and other exams' attempts are absent.
func testExamAnswers(f *fx) {
	a := f.attempt(newAttempt(1, 500, 1, t0.Add(time.Hour)))
	b := f.attempt(newAttempt(1, 501, 1, t0.Add(time.Hour)))
	f.attempt(newAttempt(1, 502, 1, t0.Add(time.Hour))) // no answers
	other := f.attempt(newAttempt(2, 500, 1, t0.Add(time.Hour)))
	save := func(id int64, no int, ans biz.Answer) {
		f.Helper()
		_, _, err := f.r.Attempts.SaveAnswer(f.ctx, id, no, ans)
		f.noErr("SaveAnswer", err)
	}
	save(a.ID, 1, biz.Answer{Choices: []string{"A"}, Version: 1})
	save(a.ID, 2, biz.Answer{Text: "论述", Version: 2})
	save(b.ID, 1, biz.Answer{Choices: []string{"B", "C"}, Version: 1})
	save(other.ID, 1, biz.Answer{Choices: []string{"D"}, Version: 1})
	want := map[int64]map[int]biz.Answer{
		a.ID: {1: {Choices: []string{"A"}, Version: 1}, 2: {Text: "论述", Version: 2}},
		b.ID: {1: {Choices: []string{"B", "C"}, Version: 1}},
	}
	f.same("ExamAnswers", want, res(f.r.Attempts.ExamAnswers(f.ctx, 1)).must(f, "ExamAnswers"))
	f.same("ExamAnswers of an exam without attempts", map[int64]map[int]biz.Answer{}, res(f.r.Attempts.ExamAnswers(f.ctx, 9)).must(f, "ExamAnswers"))
}

// ExamStamp stays the same while nothing changes and moves when an attempt of the exam is
// created or changed by any writer (a stamp may also move for other reasons).
func testExamStamp(f *fx) {
	stamp := func() string { f.Helper(); return res(f.r.Attempts.ExamStamp(f.ctx, 1)).must(f, "ExamStamp") }
	moved := func(what string, before string) string {
		f.Helper()
		time.Sleep(2 * time.Millisecond) // databases keep change times to the microsecond
		after := stamp()
		if after == before {
			f.Errorf("ExamStamp unchanged after %s: %q", what, after)
		}
		return after
	}
	s := stamp()
	if again := stamp(); again != s {
		f.Errorf("ExamStamp moved without a change: %q then %q", s, again)
	}
	a := f.attempt(newAttempt(1, 600, 1, t0.Add(time.Hour)))
	s = moved("CreateAttempt", s)
	if again := stamp(); again != s {
		f.Errorf("ExamStamp moved without a change: %q then %q", s, again)
	}
	f.noErr("SetDeadline", f.r.Attempts.SetDeadline(f.ctx, a.ID, t0.Add(2*time.Hour)))
	s = moved("SetDeadline", s)
	fin := *a
	fin.Status, fin.SubmittedAt = biz.AttemptSubmitted, &t0
	f.finish(&fin, biz.AttemptInProgress)
	s = moved("Finish", s)
	f.noErr("UpdateQuestions", f.r.Attempts.UpdateQuestions(f.ctx, a.ID, snapshot()))
	moved("UpdateQuestions", s)
}

// ClaimSubmitted returns submitted attempts only, the given one first, up to limit, with their
// answers and their questions' keys (no stems, options or texts: biz.KeyQuestions), and skips
// attempts another transaction holds.
func testClaimSubmitted(f *fx) {
	submit := func(user int64) *biz.Attempt {
		a := f.attempt(newAttempt(1, user, 1, t0.Add(time.Hour)))
		_, _, err := f.r.Attempts.SaveAnswer(f.ctx, a.ID, 1, biz.Answer{Choices: []string{"A"}, Version: 1})
		f.noErr("SaveAnswer", err)
		fin := *a
		fin.Status, fin.SubmittedAt = biz.AttemptSubmitted, &t0
		f.finish(&fin, biz.AttemptInProgress)
		return a
	}
	a, b, c := submit(700), submit(701), submit(702)
	f.attempt(newAttempt(1, 703, 1, t0.Add(time.Hour))) // in progress: never claimed
	st, err := f.r.Attempts.Status(f.ctx, a.ID)
	if err != nil || st != biz.AttemptSubmitted {
		f.Errorf("Status = %q, %v", st, err)
	}
	_, err = f.r.Attempts.Status(f.ctx, missing)
	f.wantErr("Status of a missing attempt", err, biz.ErrNotFound)
	var got []*biz.Attempt
	f.noErr("ClaimSubmitted", f.r.Tx.InTx(f.ctx, func(ctx context.Context) error {
		got, err = f.r.Attempts.ClaimSubmitted(ctx, c.ID, 2)
		return err
	}))
	f.same("claimed", []int64{c.ID, a.ID}, idsOf(got, attemptID))
	if len(got) > 0 && got[0].Answers[1].Version != 1 {
		f.Errorf("claimed attempt without its answers: %+v", got[0].Answers)
	}
	for _, g := range got {
		f.same("claimed attempt's questions", biz.KeyQuestions(biz.GradingKeys(snapshot())), g.Questions)
	}
	// A regrade's new keys are what the next claim grades with.
	fixed := snapshot()
	fixed[0].AnswerKeys = []string{"B"}
	f.noErr("UpdateQuestions", f.r.Attempts.UpdateQuestions(f.ctx, c.ID, fixed))
	f.noErr("ClaimSubmitted", f.r.Tx.InTx(f.ctx, func(ctx context.Context) error {
		got, err = f.r.Attempts.ClaimSubmitted(ctx, c.ID, 1)
		return err
	}))
	if f.same("claimed after a regrade", []int64{c.ID}, idsOf(got, attemptID)) {
		f.same("claimed keys after a regrade", biz.KeyQuestions(biz.GradingKeys(fixed)), got[0].Questions)
	}
	// While another transaction holds b, a claim skips it.
	done, wait := f.holder(b.ID, f.r.Attempts.Lock, func(context.Context) error { return nil })
	err = f.within("ClaimSubmitted past a held attempt", func() error {
		return f.r.Tx.InTx(f.ctx, func(ctx context.Context) error {
			got, err := f.r.Attempts.ClaimSubmitted(ctx, b.ID, 10)
			if err != nil {
				return err
			}
			if done.Load() {
				return nil // the holder finished first: nothing to check
			}
			if slices.Contains(idsOf(got, attemptID), b.ID) {
				return errors.New("claimed an attempt another transaction holds")
			}
			return nil
		})
	})
	f.noErr("ClaimSubmitted", err)
	f.noErr("holder", wait())
}

// FinishGraded writes the grade of every attempt of the batch that is still submitted (status,
// scores, score or none while an essay waits, graded time) and nothing else, returns the ids it
// changed, and leaves attempts in any other status alone.
func testFinishGraded(f *fx) {
	submitted := func(user int64) *biz.Attempt {
		a := f.attempt(newAttempt(1, user, 1, t0.Add(time.Hour)))
		a.Status, a.SubmittedAt = biz.AttemptSubmitted, &t0
		f.finish(a, biz.AttemptInProgress)
		return a
	}
	a, b := submitted(800), submitted(801)
	open := f.attempt(newAttempt(1, 802, 1, t0.Add(time.Hour)))
	graded := t0.Add(5 * time.Minute)
	score := 7.5
	a.Status, a.GradedAt, a.Score = biz.AttemptGraded, &graded, &score
	a.Scores = []biz.QScore{{No: 1, Score: 2, Max: 2, Correct: true}, {No: 2, Score: 5.5, Max: 8}}
	b.Status, b.GradedAt, b.Score = biz.AttemptGraded, &graded, nil
	b.Scores = []biz.QScore{{No: 1, Max: 2}, {No: 2, Max: 8, PendingReview: true}}
	notOpen := *open
	notOpen.Status, notOpen.GradedAt, notOpen.Scores = biz.AttemptGraded, &graded, b.Scores
	var done map[int64]bool
	f.noErr("FinishGraded", f.r.Tx.InTx(f.ctx, func(ctx context.Context) error {
		var err error
		done, err = f.r.Attempts.FinishGraded(ctx, []*biz.Attempt{a, b, &notOpen})
		return err
	}))
	f.same("FinishGraded changed", map[int64]bool{a.ID: true, b.ID: true}, done)
	for _, want := range []*biz.Attempt{a, b} {
		want.Answers = map[int]biz.Answer{}
		f.same("graded attempt", want, f.getAttempt(want.ID))
	}
	f.same("attempt in progress", open, f.getAttempt(open.ID))
	// Again: nothing is submitted any more.
	again, err := f.r.Attempts.FinishGraded(f.ctx, []*biz.Attempt{a})
	f.noErr("FinishGraded again", err)
	f.same("FinishGraded again changed", map[int64]bool{}, again)
}
