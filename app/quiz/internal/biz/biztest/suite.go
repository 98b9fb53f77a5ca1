// Package biztest is the quiz repositories' contract suite: the behaviour documented on the
// interfaces of app/quiz/internal/biz/repo.go (and biz.Transaction), written once as tests that
// every implementation runs. The ent repositories run it on SQLite and PostgreSQL
// (app/quiz/internal/data) and the biz tests' in-memory fakes run it too
// (app/quiz/internal/biz/contract_test.go), so a fake cannot drift from the database the use
// cases meet in production.
//
// Where a doc comment leaves something open that the use cases nonetheless meet (the order of an
// undocumented list, the error of a write to a missing row), the suite pins what the ent
// repositories do, and says so; the fakes must then do the same.
package biztest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/vanguard/vanguard/app/quiz/internal/biz"
)

// Repos is one set of repositories over one store.
type Repos struct {
	Banks    biz.BankRepo
	Papers   biz.PaperRepo
	Exams    biz.ExamRepo
	Attempts biz.AttemptRepo
	Regrades biz.RegradeRepo
	Practice biz.PracticeRepo
	Tx       biz.Transaction
}

// RunRepoSuite runs the contract suite as subtests named <interface>/<behaviour>. open is called
// once per subtest and must return repos over a fresh, empty store (registering its cleanup on
// the t it is given).
func RunRepoSuite(t *testing.T, open func(t *testing.T) Repos) {
	t.Helper()
	groups := []struct {
		name  string
		cases []testCase
	}{
		{"BankRepo", bankCases},
		{"PaperRepo", paperCases},
		{"ExamRepo", examCases},
		{"AttemptRepo", attemptCases},
		{"RegradeRepo", regradeCases},
		{"PracticeRepo", practiceCases},
		{"Transaction", txCases},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			for _, c := range g.cases {
				t.Run(c.name, func(t *testing.T) {
					c.run(&fx{T: t, ctx: t.Context(), r: open(t)})
				})
			}
		})
	}
}

// testCase is one subtest of the suite.
type testCase struct {
	name string
	run  func(f *fx)
}

// fx is a subtest's fixture: the test, its context and the fresh repos.
type fx struct {
	*testing.T
	ctx context.Context
	r   Repos
}

// missing is an id no store in the suite reaches.
const missing = int64(1) << 40

// cst is the zone the suite's times are given in; stores may hand back another zone, so times
// are compared with time.Time.Equal.
var cst = time.FixedZone("CST", 8*3600)

// t0 is the suite's reference time (whole seconds: every store keeps those exactly).
var t0 = time.Date(2026, 3, 1, 9, 0, 0, 0, cst)

// cmpOpts compares stored values: instants (not zones) of times, nil and empty alike.
var cmpOpts = cmp.Options{
	cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) }),
	cmpopts.EquateEmpty(),
}

// same reports a difference between want and got.
func (f *fx) same(what string, want, got any, opts ...cmp.Option) bool {
	f.Helper()
	if d := cmp.Diff(want, got, cmpOpts, cmp.Options(opts)); d != "" {
		f.Errorf("%s (-want +got):\n%s", what, d)
		return false
	}
	return true
}

// wantErr fails unless errors.Is(err, target).
func (f *fx) wantErr(what string, err, target error) {
	f.Helper()
	if !errors.Is(err, target) {
		f.Errorf("%s: error = %v, want %v", what, err, target)
	}
}

// noErr stops the subtest on an unexpected error.
func (f *fx) noErr(what string, err error) {
	f.Helper()
	if err != nil {
		f.Fatalf("%s: %v", what, err)
	}
}

// result is a repository call's value and error: res(repo.Get(ctx, id)).must(f, "Get").
type result[T any] struct {
	v   T
	err error
}

func res[T any](v T, err error) result[T] { return result[T]{v, err} }

// must returns the value, stopping the subtest if the call failed.
func (r result[T]) must(f *fx, what string) T {
	f.Helper()
	f.noErr(what, r.err)
	return r.v
}

// idsOf lists the ids of items in order.
func idsOf[T any](items []T, id func(T) int64) []int64 {
	out := make([]int64, len(items))
	for i, it := range items {
		out[i] = id(it)
	}
	return out
}

func bankID(b *biz.Bank) int64         { return b.ID }
func questionID(q *biz.Question) int64 { return q.ID }
func examID(e *biz.Exam) int64         { return e.ID }
func attemptID(a *biz.Attempt) int64   { return a.ID }
func paperID(p *biz.Paper) int64       { return p.ID }

// ---- fixtures ----

func (f *fx) bank(orgID int64, path, name string, examOnly bool) *biz.Bank {
	f.Helper()
	return res(f.r.Banks.CreateBank(f.ctx, &biz.Bank{OrgID: orgID, OrgPath: path, Name: name, ExamOnly: examOnly, CreatedBy: 7})).must(f, "CreateBank")
}

func (f *fx) question(q *biz.Question) *biz.Question {
	f.Helper()
	return res(f.r.Banks.CreateQuestion(f.ctx, q)).must(f, "CreateQuestion")
}

func singleQ(bankID int64) *biz.Question {
	return &biz.Question{BankID: bankID, Type: biz.Single, StemHTML: "<p>党的根本宗旨是？</p>",
		Options:    []biz.Option{{Key: "A", HTML: "全心全意为人民服务"}, {Key: "B", HTML: "发展经济"}},
		AnswerKeys: []string{"A"}, Difficulty: 1, Tags: []string{"党史", "easy"}, Points: 2, Explanation: "见党章"}
}

func fillQ(bankID int64) *biz.Question {
	return &biz.Question{BankID: bankID, Type: biz.FillBlank, StemHTML: "<p>遵义会议召开于____年。</p>",
		Blanks: [][]string{{"1935", "一九三五"}, {"遵义"}}, Difficulty: 2, Tags: []string{"党史"}, Points: 1}
}

func essayQ(bankID int64) *biz.Question {
	return &biz.Question{BankID: bankID, Type: biz.Essay, StemHTML: "<p>谈谈党性修养。</p>", Reference: "要点", Difficulty: 3, Points: 10}
}

func (f *fx) paper() *biz.Paper {
	f.Helper()
	return res(f.r.Papers.CreatePaper(f.ctx, &biz.Paper{OrgPath: "/1/", Title: "试卷", CreatedBy: 3,
		Items: []biz.PaperItem{{QuestionID: 5, Points: 2}}})).must(f, "CreatePaper")
}

// examIn is an exam owned by owner, targeted at the orgs (id, path pairs) and users.
func examIn(paperID int64, owner string, orgIDs []int64, paths []string, users []int64) *biz.Exam {
	return &biz.Exam{PaperID: paperID, OrgPath: owner, Title: "党史知识测试", OpensAt: t0, ClosesAt: t0.Add(48 * time.Hour),
		Duration: 90 * time.Minute, AttemptsAllowed: 2, GradingMethod: biz.GradeHighest, PassMark: 60,
		ShuffleQuestions: true, ResultsPolicy: biz.ResultsAfterClose, PartialCredit: true,
		TargetOrgIDs: orgIDs, TargetPaths: paths, TargetUserIDs: users, CreatedBy: 3, QuestionCount: 2, TotalPoints: 5.5}
}

func (f *fx) exam(e *biz.Exam) *biz.Exam {
	f.Helper()
	return res(f.r.Exams.CreateExam(f.ctx, e)).must(f, "CreateExam")
}

// snapshot is a frozen attempt snapshot of two questions.
func snapshot() []biz.SnapQuestion {
	return []biz.SnapQuestion{
		{No: 1, QuestionID: 11, Version: 2, Type: biz.Single, StemHTML: "<p>s</p>",
			Options: []biz.Option{{Key: "A", HTML: "x"}, {Key: "B", HTML: "y"}}, AnswerKeys: []string{"A"}, Points: 2},
		{No: 2, QuestionID: 12, Version: 1, Type: biz.Essay, StemHTML: "<p>e</p>", Reference: "r", Points: 8},
	}
}

// newAttempt is an in-progress attempt at exam by user, started at t0.
func newAttempt(exam, user int64, number int, deadline time.Time) *biz.Attempt {
	return &biz.Attempt{ExamID: exam, UserID: user, UserOrgPath: "/1/2/", Number: number, Status: biz.AttemptInProgress,
		StartedAt: t0, Deadline: deadline, Questions: snapshot(), MaxScore: 10}
}

func (f *fx) attempt(a *biz.Attempt) *biz.Attempt {
	f.Helper()
	return res(f.r.Attempts.CreateAttempt(f.ctx, a)).must(f, "CreateAttempt")
}

func (f *fx) getAttempt(id int64) *biz.Attempt {
	f.Helper()
	return res(f.r.Attempts.GetAttempt(f.ctx, id)).must(f, "GetAttempt")
}

// finish moves a from status from to a.Status, failing on error.
func (f *fx) finish(a *biz.Attempt, from string) {
	f.Helper()
	f.noErr("Finish", f.r.Attempts.Finish(f.ctx, a, from))
}

func (f *fx) regrade(exam int64, reason string) *biz.RegradeLog {
	f.Helper()
	l := &biz.RegradeLog{ExamID: exam, ActorID: 2, ActorName: "trainerA", Reason: reason, Checked: 3, Changed: 1, CreatedAt: t0}
	f.noErr("RegradeRepo.Add", f.r.Regrades.Add(f.ctx, l))
	return l
}
