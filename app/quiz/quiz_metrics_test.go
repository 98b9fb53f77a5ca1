package quiz

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/vanguard/vanguard/app/quiz/internal/biz"
	"github.com/vanguard/vanguard/app/quiz/internal/data"
	"github.com/vanguard/vanguard/pkg/audit"
	"github.com/vanguard/vanguard/pkg/auth"
	"github.com/vanguard/vanguard/pkg/testdb"
)

// gradingLag reads the module's vanguard_grading_lag_seconds from a registry holding its
// collectors, as a scrape would.
func gradingLag(t *testing.T, reg *prometheus.Registry) (uint64, float64) {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == "vanguard_grading_lag_seconds" && mf.GetType() == dto.MetricType_HISTOGRAM && len(mf.GetMetric()) == 1 {
			h := mf.GetMetric()[0].GetHistogram()
			return h.GetSampleCount(), h.GetSampleSum()
		}
	}
	t.Fatal("vanguard_grading_lag_seconds is not among the module's metrics")
	return 0, 0
}

// Grading an attempt observes its lag once, from the submission the database recorded to the
// grade's commit: an attempt graded in another task's batch counts once, a second grading task
// and a regrade count nothing.
func TestGradingLagObservedOncePerAttempt(t *testing.T) {
	testdb.Each(t, func(t *testing.T, driver, dsn string) {
		ctx := context.Background()
		m := newTestModule(t, driver, dsn, &orgLog{appends: map[string]int{}, last: map[string]audit.Entry{}})
		reg := prometheus.NewRegistry()
		reg.MustRegister(m.Collectors()...)
		if n, _ := gradingLag(t, reg); n != 0 {
			t.Fatalf("lag count %d before any grading", n)
		}

		p, err := data.NewPaperRepo(m.data).CreatePaper(ctx, &biz.Paper{OrgPath: "/1/2/", Title: "试卷"})
		if err != nil {
			t.Fatal(err)
		}
		now := time.Now()
		e, err := data.NewExamRepo(m.data).CreateExam(ctx, &biz.Exam{PaperID: p.ID, OrgPath: "/1/2/", Title: "党章知识测试",
			OpensAt: now.Add(-time.Hour), ClosesAt: now.Add(time.Hour), Duration: time.Hour, AttemptsAllowed: 1, GradingMethod: biz.GradeHighest,
			ResultsPolicy: biz.ResultsAfterClose, TargetOrgIDs: []int64{2}, TargetPaths: []string{"/1/2/"}, CreatedBy: 7})
		if err != nil {
			t.Fatal(err)
		}
		// Two attempts submitted a few seconds ago, as the database records it.
		const ago = 3 * time.Second
		submitted := now.Add(-ago)
		var ids []int64
		for user := int64(100); user < 102; user++ {
			a, err := data.NewAttemptRepo(m.data).CreateAttempt(ctx, &biz.Attempt{ExamID: e.ID, UserID: user, UserOrgPath: "/1/2/", Number: 1,
				Status: biz.AttemptSubmitted, StartedAt: submitted.Add(-10 * time.Minute), Deadline: submitted.Add(time.Hour), SubmittedAt: &submitted,
				Questions: []biz.SnapQuestion{{No: 1, QuestionID: 1, Version: 1, Type: biz.Single, StemHTML: "中国共产党成立于哪一年？",
					Options: []biz.Option{{Key: "A", HTML: "1919年"}, {Key: "B", HTML: "1921年"}}, AnswerKeys: []string{"B"}, Points: 2}},
				MaxScore: 2})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, a.ID)
		}
		stored, err := data.NewAttemptRepo(m.data).GetAttempt(ctx, ids[0])
		if err != nil || stored.SubmittedAt == nil {
			t.Fatalf("stored attempt = %+v, %v", stored, err)
		}

		// The first grading task grades both (one batch): two first grades, each one lag.
		if err := m.Grade(ctx, ids[0]); err != nil {
			t.Fatal(err)
		}
		realLag := time.Since(*stored.SubmittedAt).Seconds()
		n, sum := gradingLag(t, reg)
		if n != 2 {
			t.Fatalf("after grading a batch of two attempts: lag count %d, want 2", n)
		}
		if sum < 2*ago.Seconds() || sum > 2*realLag {
			t.Fatalf("lag sum %.3f s, want between %.3f and %.3f (twice the real lag)", sum, 2*ago.Seconds(), 2*realLag)
		}
		// The second attempt's own task finds it graded; grading the first again changes
		// nothing; neither does a regrade.
		for _, id := range []int64{ids[1], ids[0]} {
			if err := m.Grade(ctx, id); err != nil {
				t.Fatal(err)
			}
		}
		trainer := auth.NewContext(ctx, &auth.Principal{UserID: 7, Username: "trainerA", Roles: []string{auth.RoleTrainer}, OrgID: 2, OrgPath: "/1/2/"})
		if _, err := m.uc.Regrade.Regrade(trainer, e.ID, "答案更正"); err != nil {
			t.Fatalf("regrade: %v", err)
		}
		for _, id := range ids {
			if a, err := data.NewAttemptRepo(m.data).GetAttempt(ctx, id); err != nil || a.Status != biz.AttemptGraded {
				t.Fatalf("attempt %d = %+v, %v; want graded", id, a, err)
			}
		}
		if n2, sum2 := gradingLag(t, reg); n2 != 2 || sum2 != sum {
			t.Fatalf("after re-running grading and a regrade: lag count %d sum %.3f, want %d and %.3f unchanged", n2, sum2, n, sum)
		}
	})
}
