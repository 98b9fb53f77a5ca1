package service

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/vanguard/vanguard/app/quiz/internal/biz"
	"github.com/vanguard/vanguard/app/quiz/internal/data"
	"github.com/vanguard/vanguard/pkg/auth"
	"github.com/vanguard/vanguard/pkg/clock"
	"github.com/vanguard/vanguard/pkg/outbox"
)

// env is the quiz use cases wired on real ent (SQLite or PostgreSQL); only the remote org
// service and the Asynq queue are faked.
type env struct {
	uc       *biz.Quiz
	attempts *countingAttempts
	queue    *recordingQueue
	outbox   *outbox.Outbox
	clock    *clock.Fake
	exam     *biz.Exam
}

// member is the principal the exam is offered to (through its org).
var member = &auth.Principal{UserID: 100, Username: "member", Roles: []string{auth.RoleMember}, OrgID: 2, OrgPath: "/1/2/"}

func asMember() context.Context { return auth.NewContext(context.Background(), member) }

// newEnv migrates a fresh database and creates one open exam: a single-choice question worth 10
// points (key "A"), 30 minutes, one attempt allowed, offered to org /1/2/.
func newEnv(t *testing.T, driver, dsn string) *env {
	t.Helper()
	ctx := context.Background()
	d, err := data.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	if err := d.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	clk := clock.NewFake(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	ob, err := outbox.New("quiz", d.OutboxDB(), nil, &recordingQueue{}, clk, outbox.Config{})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{attempts: &countingAttempts{AttemptRepo: data.NewAttemptRepo(d)}, queue: &recordingQueue{}, outbox: ob, clock: clk}
	banks, papers, exams := data.NewBankRepo(d), data.NewPaperRepo(d), data.NewExamRepo(d)
	e.uc = biz.New(biz.Deps{Banks: banks, Papers: papers, Exams: exams, Attempts: e.attempts, Events: data.NewPublisher(ob),
		Regrades: data.NewRegradeRepo(d), Practice: data.NewPracticeRepo(d), Orgs: fakeOrgs{}, Queue: e.queue, Tx: d, Clock: clk})

	bank, err := banks.CreateBank(ctx, &biz.Bank{OrgID: 1, OrgPath: "/1/", Name: "党章", ExamOnly: true, CreatedBy: 1})
	if err != nil {
		t.Fatal(err)
	}
	q, err := banks.CreateQuestion(ctx, &biz.Question{BankID: bank.ID, Type: biz.Single, StemHTML: "<p>党的最高领导机关是？</p>",
		Options: []biz.Option{{Key: "A", HTML: "全国代表大会"}, {Key: "B", HTML: "中央委员会"}}, AnswerKeys: []string{"A"}, Difficulty: 1, Points: 10})
	if err != nil {
		t.Fatal(err)
	}
	paper, err := papers.CreatePaper(ctx, &biz.Paper{OrgPath: "/1/", Title: "测试卷", Items: []biz.PaperItem{{QuestionID: q.ID, Points: 10}}, CreatedBy: 1})
	if err != nil {
		t.Fatal(err)
	}
	now := clk.Now()
	e.exam, err = exams.CreateExam(ctx, &biz.Exam{PaperID: paper.ID, OrgPath: "/1/", Title: "党章测试", OpensAt: now.Add(-time.Hour),
		ClosesAt: now.Add(24 * time.Hour), Duration: 30 * time.Minute, AttemptsAllowed: 1, GradingMethod: biz.GradeHighest,
		PassMark: 6, ResultsPolicy: biz.ResultsImmediate, TargetOrgIDs: []int64{2}, TargetPaths: []string{"/1/2/"}, CreatedBy: 1,
		QuestionCount: 1, TotalPoints: 10})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// countingAttempts counts GetAttempt calls (every task handler's first step in biz) and
// CreateAttempt calls (more than one per attempt means starts raced for the same number).
type countingAttempts struct {
	biz.AttemptRepo
	gets, creates atomic.Int64
}

func (c *countingAttempts) CreateAttempt(ctx context.Context, a *biz.Attempt) (*biz.Attempt, error) {
	c.creates.Add(1)
	return c.AttemptRepo.CreateAttempt(ctx, a)
}

func (c *countingAttempts) GetAttempt(ctx context.Context, id int64) (*biz.Attempt, error) {
	c.gets.Add(1)
	return c.AttemptRepo.GetAttempt(ctx, id)
}

// recordingQueue records enqueued work, for biz (grade, autosubmit) and the outbox relay alike.
type recordingQueue struct {
	mu          sync.Mutex
	grades      []int64
	autosubmits []int64
}

func (q *recordingQueue) EnqueueGrade(_ context.Context, id int64) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.grades = append(q.grades, id)
	return nil
}

func (q *recordingQueue) ScheduleAutosubmit(_ context.Context, id int64, _ time.Time) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.autosubmits = append(q.autosubmits, id)
	return nil
}

func (q *recordingQueue) Enqueue(context.Context, *asynq.Task, ...asynq.Option) error { return nil }

func (q *recordingQueue) graded() []int64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	return append([]int64(nil), q.grades...)
}

// fakeOrgs stands in for the org and account services.
type fakeOrgs struct{}

func (fakeOrgs) GetOrg(context.Context, int64) (*biz.OrgInfo, error) {
	return nil, biz.ErrOrgNotFound
}

func (fakeOrgs) AccountOrgPath(context.Context, int64) (string, error) { return "", biz.ErrNotFound }
