package biztest

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vanguard/vanguard/app/quiz/internal/biz"
)

var txCases = []testCase{
	{"Commit", testTxCommit},
	{"Rollback", testTxRollback},
	{"NestedJoinsOuter", testTxNested},
	{"PanicRollsBack", testTxPanic},
}

var errAbort = errors.New("biztest: abort the transaction")

// A function that returns nil commits: its writes are visible afterwards, and to itself before.
func testTxCommit(f *fx) {
	var b *biz.Bank
	err := f.r.Tx.InTx(f.ctx, func(ctx context.Context) error {
		var err error
		if b, err = f.r.Banks.CreateBank(ctx, &biz.Bank{OrgID: 1, OrgPath: "/1/", Name: "in tx", CreatedBy: 7}); err != nil {
			return err
		}
		if _, err := f.r.Banks.CreateQuestion(ctx, singleQ(b.ID)); err != nil {
			return err
		}
		got, err := f.r.Banks.GetBank(ctx, b.ID)
		if err == nil && got.QuestionCount != 1 {
			err = fmt.Errorf("inside the transaction the bank has %d questions, want 1", got.QuestionCount)
		}
		return err
	})
	f.noErr("InTx", err)
	got := res(f.r.Banks.GetBank(f.ctx, b.ID)).must(f, "GetBank after the commit")
	if got.QuestionCount != 1 || got.Name != "in tx" {
		f.Errorf("committed bank = %+v", got)
	}
}

// state is what the rollback test reads back: everything its transaction touches.
type state struct {
	Banks    []*biz.Bank
	Question *biz.Question
	Exams    []*biz.Exam
	Attempts []*biz.Attempt
	Attempt  *biz.Attempt
	Regrades []*biz.RegradeLog
	Wrong    []*biz.WrongEntry
}

func (f *fx) state(ctx context.Context, q, exam, attempt int64) *state {
	f.Helper()
	return &state{
		Banks:    res(f.r.Banks.ListBanks(ctx, "")).must(f, "ListBanks"),
		Question: res(f.r.Banks.GetQuestion(ctx, q)).must(f, "GetQuestion"),
		Exams:    res(f.r.Exams.ListManagedExams(ctx, "")).must(f, "ListManagedExams"),
		Attempts: res(f.r.Attempts.ListAttempts(ctx, exam, 0)).must(f, "ListAttempts"),
		Attempt:  res(f.r.Attempts.GetAttempt(ctx, attempt)).must(f, "GetAttempt"),
		Regrades: res(f.r.Regrades.List(ctx, exam)).must(f, "List"),
		Wrong:    res(f.r.Practice.ListWrong(ctx, 42)).must(f, "ListWrong"),
	}
}

// A function that returns an error rolls back: InTx returns that error and no write of any
// repository made in it is visible afterwards.
func testTxRollback(f *fx) {
	b := f.bank(1, "/1/", "bank", false)
	q := f.question(singleQ(b.ID))
	p := f.paper()
	e := f.exam(examIn(p.ID, "/1/", []int64{2}, []string{"/1/2/"}, nil))
	a := f.attempt(newAttempt(e.ID, 42, 1, t0.Add(time.Hour)))
	_, _, err := f.r.Attempts.SaveAnswer(f.ctx, a.ID, 1, biz.Answer{Choices: []string{"A"}, Version: 1})
	f.noErr("SaveAnswer", err)
	f.regrade(e.ID, "kept")
	f.noErr("RecordWrong", f.r.Practice.RecordWrong(f.ctx, 42, q.ID, t0))
	before := f.state(f.ctx, q.ID, e.ID, a.ID)

	var (
		newPaper, newSession int64
		inside               *state
	)
	err = f.r.Tx.InTx(f.ctx, func(ctx context.Context) error {
		steps := []func() error{
			func() error {
				_, err := f.r.Banks.CreateBank(ctx, &biz.Bank{OrgID: 2, OrgPath: "/1/2/", Name: "rolled back"})
				return err
			},
			func() error { _, err := f.r.Banks.CreateQuestion(ctx, essayQ(b.ID)); return err },
			func() error {
				_, err := f.r.Banks.UpdateQuestion(ctx, &biz.Question{ID: q.ID, Type: biz.TrueFalse, StemHTML: "改", AnswerKeys: []string{"false"}})
				return err
			},
			func() error {
				p, err := f.r.Papers.CreatePaper(ctx, &biz.Paper{OrgPath: "/1/", Title: "rolled back"})
				if err == nil {
					newPaper = p.ID
				}
				return err
			},
			func() error {
				_, err := f.r.Exams.CreateExam(ctx, examIn(p.ID, "/1/", []int64{3}, []string{"/1/3/"}, []int64{42}))
				return err
			},
			func() error {
				_, err := f.r.Attempts.CreateAttempt(ctx, newAttempt(e.ID, 42, 2, t0.Add(time.Hour)))
				return err
			},
			func() error {
				_, _, err := f.r.Attempts.SaveAnswer(ctx, a.ID, 1, biz.Answer{Choices: []string{"B"}, Version: 2})
				return err
			},
			func() error { return f.r.Attempts.AddFocusLoss(ctx, a.ID) },
			func() error { return f.r.Attempts.UpdateQuestions(ctx, a.ID, snapshot()[:1]) },
			func() error {
				fin := *a
				fin.Status, fin.SubmittedAt = biz.AttemptSubmitted, &t0
				return f.r.Attempts.Finish(ctx, &fin, biz.AttemptInProgress)
			},
			func() error {
				l := &biz.RegradeLog{ExamID: e.ID, ActorID: 2, ActorName: "x", Reason: "rolled back", CreatedAt: t0}
				return f.r.Regrades.Add(ctx, l)
			},
			func() error { return f.r.Practice.RecordWrong(ctx, 42, q.ID, t0.Add(time.Hour)) },
			func() error { return f.r.Practice.SetMastered(ctx, 42, q.ID+1) },
			func() error {
				id, err := f.r.Practice.CreateSession(ctx, 42, snapshot())
				newSession = id
				return err
			},
		}
		for i, step := range steps {
			if err := step(); err != nil {
				return fmt.Errorf("step %d: %w", i+1, err)
			}
		}
		inside = f.state(ctx, q.ID, e.ID, a.ID)
		return fmt.Errorf("after the writes: %w", errAbort)
	})
	f.wantErr("InTx of a failing function", err, errAbort)
	if inside == nil || cmp.Equal(before, inside, cmpOpts) {
		f.Error("the transaction's writes were not visible inside it")
	}
	f.same("state after the rollback", before, f.state(f.ctx, q.ID, e.ID, a.ID))
	_, err = f.r.Papers.GetPaper(f.ctx, newPaper)
	f.wantErr("rolled-back paper", err, biz.ErrNotFound)
	_, _, err = f.r.Practice.GetSession(f.ctx, newSession)
	f.wantErr("rolled-back session", err, biz.ErrNotFound)
}

// A nested InTx joins the outer transaction: the outer function's failure rolls back the inner
// function's writes, although the inner one succeeded; when the outer one succeeds, both commit.
func testTxNested(f *fx) {
	mk := func(ctx context.Context, name string) error {
		_, err := f.r.Banks.CreateBank(ctx, &biz.Bank{OrgID: 1, OrgPath: "/1/", Name: name})
		return err
	}
	err := f.r.Tx.InTx(f.ctx, func(ctx context.Context) error {
		if err := f.r.Tx.InTx(ctx, func(ctx context.Context) error { return mk(ctx, "inner") }); err != nil {
			return err
		}
		if err := mk(ctx, "outer"); err != nil {
			return err
		}
		return errAbort
	})
	f.wantErr("outer InTx", err, errAbort)
	f.same("banks after the outer rollback", []int64{}, idsOf(res(f.r.Banks.ListBanks(f.ctx, "")).must(f, "ListBanks"), bankID))

	err = f.r.Tx.InTx(f.ctx, func(ctx context.Context) error {
		if err := f.r.Tx.InTx(ctx, func(ctx context.Context) error { return mk(ctx, "inner") }); err != nil {
			return err
		}
		return mk(ctx, "outer")
	})
	f.noErr("outer InTx", err)
	var names []string
	for _, b := range res(f.r.Banks.ListBanks(f.ctx, "")).must(f, "ListBanks") {
		names = append(names, b.Name)
	}
	f.same("banks after the outer commit", []string{"inner", "outer"}, names)
}

// A function that panics rolls back too, and the panic goes on to the caller.
func testTxPanic(f *fx) {
	kept := f.bank(1, "/1/", "kept", false)
	var recovered any
	func() {
		defer func() { recovered = recover() }()
		_ = f.r.Tx.InTx(f.ctx, func(ctx context.Context) error {
			if _, err := f.r.Banks.CreateBank(ctx, &biz.Bank{OrgID: 1, OrgPath: "/1/", Name: "panicked"}); err != nil {
				return err
			}
			if _, err := f.r.Banks.CreateQuestion(ctx, singleQ(kept.ID)); err != nil {
				return err
			}
			panic(errAbort)
		})
	}()
	if recovered != errAbort {
		f.Errorf("recovered %v, want the function's panic", recovered)
	}
	got := res(f.r.Banks.ListBanks(f.ctx, "")).must(f, "ListBanks")
	f.same("banks after a panic", []*biz.Bank{kept}, got)
}
