package data

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hibiken/asynq"
	"google.golang.org/protobuf/proto"

	eventsv1 "github.com/vanguard/vanguard/api/events/v1"
	quizv1 "github.com/vanguard/vanguard/api/quiz/v1"
	"github.com/vanguard/vanguard/app/quiz/internal/biz"
	"github.com/vanguard/vanguard/pkg/outbox"
	"github.com/vanguard/vanguard/pkg/testdb"
)

func open(t *testing.T, driver, dsn string) *Data {
	t.Helper()
	d, err := Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	if err := d.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return d
}

func must[T any](t *testing.T) func(v T, err error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func ids[T any](items []T, f func(T) int64) []int64 {
	out := make([]int64, len(items))
	for i, it := range items {
		out[i] = f(it)
	}
	return out
}

func qid(q *biz.Question) int64 { return q.ID }

func TestBanksAndQuestions(t *testing.T) {
	testdb.Each(t, func(t *testing.T, driver, dsn string) {
		ctx := context.Background()
		repo := NewBankRepo(open(t, driver, dsn))
		mkBank := must[*biz.Bank](t)
		b1 := mkBank(repo.CreateBank(ctx, &biz.Bank{OrgID: 1, OrgPath: "/1/", Name: "root", CreatedBy: 7}))
		b2 := mkBank(repo.CreateBank(ctx, &biz.Bank{OrgID: 2, OrgPath: "/1/2/", Name: "child", ExamOnly: true, CreatedBy: 7}))
		b10 := mkBank(repo.CreateBank(ctx, &biz.Bank{OrgID: 10, OrgPath: "/10/", Name: "other", CreatedBy: 8}))

		mkQ := must[*biz.Question](t)
		q1 := mkQ(repo.CreateQuestion(ctx, &biz.Question{BankID: b1.ID, Type: biz.Single, StemHTML: "<p>1+1?</p>",
			Options: []biz.Option{{Key: "A", HTML: "1"}, {Key: "B", HTML: "2"}}, AnswerKeys: []string{"B"},
			Difficulty: 1, Tags: []string{"math", "easy"}, Points: 2, Explanation: "because"}))
		q2 := mkQ(repo.CreateQuestion(ctx, &biz.Question{BankID: b1.ID, Type: biz.Multiple, StemHTML: "m",
			Options: []biz.Option{{Key: "A", HTML: "x"}, {Key: "B", HTML: "y"}}, AnswerKeys: []string{"A", "B"},
			Difficulty: 2, Tags: []string{"math"}, Points: 3}))
		q3 := mkQ(repo.CreateQuestion(ctx, &biz.Question{BankID: b1.ID, Type: biz.FillBlank, StemHTML: "f",
			Blanks: [][]string{{"a", "A"}, {"b"}}, Difficulty: 1, Tags: []string{"easy", "math", "history"}, Points: 1}))
		mkQ(repo.CreateQuestion(ctx, &biz.Question{BankID: b1.ID, Type: biz.Essay, StemHTML: "e", Reference: "ref", Difficulty: 3, Points: 10}))
		mkQ(repo.CreateQuestion(ctx, &biz.Question{BankID: b2.ID, Type: biz.TrueFalse, StemHTML: "t", AnswerKeys: []string{"T"}, Tags: []string{"math"}}))

		// Counts: single and listed (one grouped query).
		got := mkBank(repo.GetBank(ctx, b1.ID))
		if got.QuestionCount != 4 || got.Name != "root" || got.OrgPath != "/1/" || got.CreatedBy != 7 {
			t.Fatalf("GetBank = %+v", got)
		}
		if _, err := repo.GetBank(ctx, 999); !errors.Is(err, biz.ErrNotFound) {
			t.Fatalf("missing bank: %v", err)
		}
		all, err := repo.ListBanks(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		counts := map[int64]int{}
		for _, b := range all {
			counts[b.ID] = b.QuestionCount
		}
		if diff := cmp.Diff(map[int64]int{b1.ID: 4, b2.ID: 1, b10.ID: 0}, counts); diff != "" {
			t.Fatalf("counts (-want +got):\n%s", diff)
		}
		// "/1/" is a prefix of "/1/2/" but not of "/10/".
		sub, err := repo.ListBanks(ctx, "/1/")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]int64{b1.ID, b2.ID}, ids(sub, func(b *biz.Bank) int64 { return b.ID })); diff != "" {
			t.Fatalf("prefix /1/ (-want +got):\n%s", diff)
		}
		if !sub[1].ExamOnly || sub[1].QuestionCount != 1 {
			t.Fatalf("child bank = %+v", sub[1])
		}

		// Round trip of the JSON content.
		back := mkQ(repo.GetQuestion(ctx, q3.ID))
		if diff := cmp.Diff(q3, back); diff != "" || back.Version != 1 {
			t.Fatalf("question round trip (-want +got):\n%s", diff)
		}
		// Update replaces content and bumps the version; the bank stays.
		up := *q1
		up.StemHTML, up.Tags, up.Points, up.AnswerKeys = "<p>2+2?</p>", []string{"math"}, 4, []string{"A"}
		upd := mkQ(repo.UpdateQuestion(ctx, &up))
		if upd.Version != 2 || upd.BankID != b1.ID || upd.StemHTML != "<p>2+2?</p>" || upd.Points != 4 {
			t.Fatalf("updated = %+v", upd)
		}
		again := mkQ(repo.GetQuestion(ctx, q1.ID))
		want := up
		want.Version = 2
		if diff := cmp.Diff(&want, again); diff != "" {
			t.Fatalf("after update (-want +got):\n%s", diff)
		}
		if _, err := repo.UpdateQuestion(ctx, &biz.Question{ID: 999, Type: biz.Essay}); !errors.Is(err, biz.ErrNotFound) {
			t.Fatalf("update missing: %v", err)
		}
		if _, err := repo.GetQuestion(ctx, 999); !errors.Is(err, biz.ErrNotFound) {
			t.Fatalf("get missing: %v", err)
		}
		qs := must[[]*biz.Question](t)(repo.GetQuestions(ctx, []int64{q3.ID, 999, q2.ID}))
		if diff := cmp.Diff([]int64{q2.ID, q3.ID}, ids(qs, qid)); diff != "" {
			t.Fatalf("GetQuestions (-want +got):\n%s", diff)
		}

		// FindQuestions: all tags must be present; difficulty and type filter.
		for _, tc := range []struct {
			tags []string
			diff int
			typ  biz.QType
			want []int64
		}{
			{nil, 0, "", []int64{q1.ID, q2.ID, q3.ID, 0}},
			{[]string{"math"}, 0, "", []int64{q1.ID, q2.ID, q3.ID}},
			{[]string{"math", "easy"}, 0, "", []int64{q3.ID}}, // q1 lost "easy" in the update
			{[]string{"easy", "history"}, 1, "", []int64{q3.ID}},
			{[]string{"math", "nope"}, 0, "", []int64{}},
			{nil, 1, "", []int64{q1.ID, q3.ID}},
			{[]string{"math"}, 0, biz.Multiple, []int64{q2.ID}},
			{nil, 3, biz.Essay, []int64{0}},
		} {
			got := must[[]*biz.Question](t)(repo.FindQuestions(ctx, b1.ID, tc.tags, tc.diff, tc.typ))
			gotIDs := ids(got, qid)
			if len(tc.want) > 0 && tc.want[len(tc.want)-1] == 0 { // 0: "the essay", id not tracked
				if len(gotIDs) != len(tc.want) || got[len(got)-1].Type != biz.Essay {
					t.Fatalf("Find(%v,%d,%q) = %v", tc.tags, tc.diff, tc.typ, gotIDs)
				}
				if diff := cmp.Diff(tc.want[:len(tc.want)-1], gotIDs[:len(gotIDs)-1]); diff != "" {
					t.Fatalf("Find(%v,%d,%q) (-want +got):\n%s", tc.tags, tc.diff, tc.typ, diff)
				}
				continue
			}
			if diff := cmp.Diff(tc.want, gotIDs); diff != "" {
				t.Fatalf("Find(%v,%d,%q) (-want +got):\n%s", tc.tags, tc.diff, tc.typ, diff)
			}
		}
		list := must[[]*biz.Question](t)(repo.ListQuestions(ctx, b2.ID))
		if len(list) != 1 || list[0].Type != biz.TrueFalse {
			t.Fatalf("ListQuestions(b2) = %+v", list)
		}
	})
}

func TestPapersAndExams(t *testing.T) {
	testdb.Each(t, func(t *testing.T, driver, dsn string) {
		ctx := context.Background()
		d := open(t, driver, dsn)
		papers, exams := NewPaperRepo(d), NewExamRepo(d)
		p := must[*biz.Paper](t)(papers.CreatePaper(ctx, &biz.Paper{OrgPath: "/1/", Title: "fixed", CreatedBy: 3,
			Items: []biz.PaperItem{{QuestionID: 5, Points: 2}, {QuestionID: 6, Points: 3.5}}}))
		rnd := must[*biz.Paper](t)(papers.CreatePaper(ctx, &biz.Paper{OrgPath: "/1/", Title: "random", CreatedBy: 3,
			Rules: []biz.PaperRule{{BankID: 1, Tags: []string{"a"}, Difficulty: 2, Type: biz.Single, Count: 3, Points: 1}}}))
		for _, want := range []*biz.Paper{p, rnd} {
			got := must[*biz.Paper](t)(papers.GetPaper(ctx, want.ID))
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("paper round trip (-want +got):\n%s", diff)
			}
		}
		if !rnd.Random() || p.Random() {
			t.Fatal("Random()")
		}
		if _, err := papers.GetPaper(ctx, 999); !errors.Is(err, biz.ErrNotFound) {
			t.Fatalf("missing paper: %v", err)
		}

		opens := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
		mk := func(title string, orgIDs []int64, paths []string) *biz.Exam {
			t.Helper()
			return must[*biz.Exam](t)(exams.CreateExam(ctx, &biz.Exam{PaperID: p.ID, OrgPath: "/1/", Title: title,
				OpensAt: opens, ClosesAt: opens.Add(48 * time.Hour), Duration: 90 * time.Minute, AttemptsAllowed: 2,
				GradingMethod: biz.GradeHighest, PassMark: 60, ShuffleQuestions: true, ResultsPolicy: biz.ResultsAfterClose,
				PartialCredit: true, TargetOrgIDs: orgIDs, TargetPaths: paths, CreatedBy: 3, QuestionCount: 2, TotalPoints: 5.5}))
		}
		e1 := mk("both", []int64{2, 3}, []string{"/1/2/", "/1/3/"})
		e2 := mk("three", []int64{3}, []string{"/1/3/"})
		e3 := mk("ten", []int64{10}, []string{"/10/"})

		got := must[*biz.Exam](t)(exams.GetExam(ctx, e1.ID))
		if diff := cmp.Diff(e1, got); diff != "" {
			t.Fatalf("exam round trip (-want +got):\n%s", diff)
		}
		if !got.OpensAt.Equal(opens) || got.Duration != 90*time.Minute || got.TargetPaths[1] != "/1/3/" {
			t.Fatalf("exam = %+v", got)
		}
		if _, err := exams.GetExam(ctx, 999); !errors.Is(err, biz.ErrNotFound) {
			t.Fatalf("missing exam: %v", err)
		}
		// A member of /1/3/ whose ancestors are /1/: e1 matches through /1/3/ once, not twice.
		list := must[[]*biz.Exam](t)(exams.ListExamsForPaths(ctx, []string{"/1/", "/1/3/", "/1/2/"}, 0))
		if diff := cmp.Diff([]int64{e1.ID, e2.ID}, ids(list, func(e *biz.Exam) int64 { return e.ID })); diff != "" {
			t.Fatalf("for paths (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]int64{2, 3}, list[0].TargetOrgIDs); diff != "" {
			t.Fatalf("listed targets (-want +got):\n%s", diff)
		}
		list = must[[]*biz.Exam](t)(exams.ListExamsForPaths(ctx, []string{"/1/"}, 0))
		if len(list) != 0 {
			t.Fatalf("/1/ alone matched %d exams", len(list))
		}
		list = must[[]*biz.Exam](t)(exams.ListExamsForPaths(ctx, []string{"/10/"}, 0))
		if len(list) != 1 || list[0].ID != e3.ID || list[0].Title != "ten" {
			t.Fatalf("/10/ = %+v", list)
		}

		// A duplicate target rolls the whole exam back.
		_, err := exams.CreateExam(ctx, &biz.Exam{PaperID: p.ID, OrgPath: "/1/", Title: "dup", OpensAt: opens, ClosesAt: opens,
			TargetOrgIDs: []int64{4, 4}, TargetPaths: []string{"/1/4/", "/1/4/"}})
		if !errors.Is(err, biz.ErrAlreadyExists) {
			t.Fatalf("duplicate target: %v", err)
		}
		if list := must[[]*biz.Exam](t)(exams.ListExamsForPaths(ctx, []string{"/1/4/"}, 0)); len(list) != 0 {
			t.Fatalf("rolled back exam visible: %+v", list)
		}
		if n, _ := d.db.Exam.Query().Count(ctx); n != 3 {
			t.Fatalf("exams after rollback = %d, want 3", n)
		}
	})
}

func TestAttempts(t *testing.T) {
	testdb.Each(t, func(t *testing.T, driver, dsn string) {
		ctx := context.Background()
		repo := NewAttemptRepo(open(t, driver, dsn))
		start := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
		snap := []biz.SnapQuestion{
			{No: 1, QuestionID: 11, Version: 2, Type: biz.Single, StemHTML: "s", Options: []biz.Option{{Key: "A", HTML: "x"}}, AnswerKeys: []string{"A"}, Points: 2},
			{No: 2, QuestionID: 12, Version: 1, Type: biz.Essay, StemHTML: "e", Reference: "r", Points: 8},
		}
		mk := func(exam, user int64, n int, deadline time.Time) (*biz.Attempt, error) {
			return repo.CreateAttempt(ctx, &biz.Attempt{ExamID: exam, UserID: user, UserOrgPath: "/1/2/", Number: n,
				Status: biz.AttemptInProgress, StartedAt: start, Deadline: deadline, Questions: snap, MaxScore: 10})
		}
		a1 := must[*biz.Attempt](t)(mk(1, 100, 1, start.Add(time.Hour)))
		a2 := must[*biz.Attempt](t)(mk(1, 100, 2, start.Add(3*time.Hour)))
		a3 := must[*biz.Attempt](t)(mk(1, 50, 1, start.Add(2*time.Hour)))
		if _, err := mk(1, 100, 2, start); !errors.Is(err, biz.ErrAlreadyExists) {
			t.Fatalf("duplicate number: %v", err)
		}
		got := must[*biz.Attempt](t)(repo.GetAttempt(ctx, a1.ID))
		if diff := cmp.Diff(snap, got.Questions); diff != "" || got.Status != biz.AttemptInProgress || got.Score != nil ||
			got.SubmittedAt != nil || !got.Deadline.Equal(start.Add(time.Hour)) || len(got.Answers) != 0 || got.Answers == nil {
			t.Fatalf("attempt = %+v (snapshot diff %s)", got, diff)
		}
		if _, err := repo.GetAttempt(ctx, 999); !errors.Is(err, biz.ErrNotFound) {
			t.Fatalf("missing attempt: %v", err)
		}
		list := must[[]*biz.Attempt](t)(repo.ListAttempts(ctx, 1, 0))
		if diff := cmp.Diff([]int64{a3.ID, a1.ID, a2.ID}, ids(list, func(a *biz.Attempt) int64 { return a.ID })); diff != "" {
			t.Fatalf("list by user, number (-want +got):\n%s", diff)
		}
		if list := must[[]*biz.Attempt](t)(repo.ListAttempts(ctx, 1, 50)); len(list) != 1 || list[0].ID != a3.ID {
			t.Fatalf("list of user 50 = %+v", list)
		}

		// SaveAnswer: insert, newer wins, older and equal refused with the stored version.
		save := func(no int, a biz.Answer) (int64, bool) {
			t.Helper()
			v, won, err := repo.SaveAnswer(ctx, a1.ID, no, a)
			if err != nil {
				t.Fatal(err)
			}
			return v, won
		}
		if v, won := save(1, biz.Answer{Choices: []string{"A"}, Version: 5}); v != 5 || !won {
			t.Fatalf("first save = %d %v", v, won)
		}
		if v, won := save(1, biz.Answer{Choices: []string{"B"}, Version: 7}); v != 7 || !won {
			t.Fatalf("newer save = %d %v", v, won)
		}
		if v, won := save(1, biz.Answer{Choices: []string{"C"}, Version: 6}); v != 7 || won {
			t.Fatalf("older save = %d %v, want stored 7, lost", v, won)
		}
		if v, won := save(1, biz.Answer{Choices: []string{"D"}, Version: 7}); v != 7 || won {
			t.Fatalf("equal save = %d %v, want stored 7, lost", v, won)
		}
		save(2, biz.Answer{Text: "essay text", Version: 1})
		got = must[*biz.Attempt](t)(repo.GetAttempt(ctx, a1.ID))
		want := map[int]biz.Answer{1: {Choices: []string{"B"}, Version: 7}, 2: {Text: "essay text", Version: 1}}
		if diff := cmp.Diff(want, got.Answers); diff != "" {
			t.Fatalf("answers (-want +got):\n%s", diff)
		}
		// Inside a transaction the same statement works through the tx client.
		err := repo.(*attemptRepo).data.InTx(ctx, func(ctx context.Context) error {
			v, _, err := repo.SaveAnswer(ctx, a1.ID, 2, biz.Answer{Text: "in tx", Version: 2})
			if err == nil && v != 2 {
				err = fmt.Errorf("in-tx save = %d", v)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}

		// Concurrent saves of one question: the highest version is what remains.
		const n = 16
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for i := 1; i <= n; i++ {
			wg.Add(1)
			go func(v int64) {
				defer wg.Done()
				got, _, err := repo.SaveAnswer(ctx, a2.ID, 3, biz.Answer{Text: fmt.Sprint(v), Version: v})
				if err == nil && got < v {
					err = fmt.Errorf("save %d returned %d", v, got)
				}
				errs <- err
			}(int64(i))
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		got = must[*biz.Attempt](t)(repo.GetAttempt(ctx, a2.ID))
		if a := got.Answers[3]; a.Version != n || a.Text != fmt.Sprint(n) {
			t.Fatalf("after concurrent saves: %+v", a)
		}

		// Focus losses increment atomically.
		for i := 0; i < 3; i++ {
			if err := repo.AddFocusLoss(ctx, a1.ID); err != nil {
				t.Fatal(err)
			}
		}
		if err := repo.AddFocusLoss(ctx, 999); !errors.Is(err, biz.ErrNotFound) {
			t.Fatalf("focus loss of missing: %v", err)
		}

		// Overdue at start+2.5h: a1 (1h) and a3 (2h), by deadline.
		at := start.Add(150 * time.Minute)
		over := must[[]*biz.Attempt](t)(repo.Overdue(ctx, at, 10))
		if diff := cmp.Diff([]int64{a1.ID, a3.ID}, ids(over, func(a *biz.Attempt) int64 { return a.ID })); diff != "" {
			t.Fatalf("overdue (-want +got):\n%s", diff)
		}
		if over := must[[]*biz.Attempt](t)(repo.Overdue(ctx, at, 1)); len(over) != 1 {
			t.Fatalf("overdue limit 1 = %d", len(over))
		}

		// Finish is conditional on the stored status.
		sub := at
		fin := *a1
		fin.Status, fin.SubmittedAt = biz.AttemptSubmitted, &sub
		if err := repo.Finish(ctx, &fin, biz.AttemptInProgress); err != nil {
			t.Fatal(err)
		}
		if err := repo.Finish(ctx, &fin, biz.AttemptInProgress); !errors.Is(err, biz.ErrConflict) {
			t.Fatalf("second finish from in_progress: %v", err)
		}
		if err := repo.Finish(ctx, &biz.Attempt{ID: 999, Status: biz.AttemptSubmitted}, biz.AttemptInProgress); !errors.Is(err, biz.ErrConflict) {
			t.Fatalf("finish missing: %v", err)
		}
		if ids := must[[]int64](t)(repo.Submitted(ctx, 10)); !cmp.Equal(ids, []int64{a1.ID}) {
			t.Fatalf("submitted = %v", ids)
		}
		if over := must[[]*biz.Attempt](t)(repo.Overdue(ctx, at, 10)); len(over) != 1 || over[0].ID != a3.ID {
			t.Fatalf("overdue after submit = %+v", over)
		}
		score, graded := 9.5, at.Add(time.Minute)
		fin.Status, fin.Score, fin.GradedAt = biz.AttemptGraded, &score, &graded
		fin.Scores = []biz.QScore{{No: 1, Score: 2, Max: 2, Correct: true}, {No: 2, Score: 7.5, Max: 8, Comment: "ok", GradedBy: 3}}
		if err := repo.Finish(ctx, &fin, biz.AttemptSubmitted); err != nil {
			t.Fatal(err)
		}
		if err := repo.Finish(ctx, &fin, biz.AttemptSubmitted); !errors.Is(err, biz.ErrConflict) {
			t.Fatalf("second finish from submitted: %v", err)
		}
		got = must[*biz.Attempt](t)(repo.GetAttempt(ctx, a1.ID))
		if got.Status != biz.AttemptGraded || got.Score == nil || *got.Score != 9.5 || got.GradedAt == nil ||
			!got.GradedAt.Equal(graded) || got.SubmittedAt == nil || !got.SubmittedAt.Equal(sub) || got.FocusLosses != 3 {
			t.Fatalf("graded attempt = %+v", got)
		}
		if diff := cmp.Diff(fin.Scores, got.Scores); diff != "" {
			t.Fatalf("scores (-want +got):\n%s", diff)
		}
		if ids := must[[]int64](t)(repo.Submitted(ctx, 10)); len(ids) != 0 {
			t.Fatalf("submitted after grading = %v", ids)
		}
	})
}

// The publisher writes quiz's events into the quiz database's outbox as events.proto messages,
// inside the caller's transaction: a rolled-back change leaves no event, and a subscriber decodes
// exactly what biz announced.
func TestPublisherWritesProtoEventsInTheTransaction(t *testing.T) {
	testdb.Each(t, func(t *testing.T, driver, dsn string) {
		ctx := context.Background()
		d := open(t, driver, dsn)
		rq := &recordingQueue{}
		routes := outbox.Routes{"attempt.graded": {{Name: "growth", Queue: "growth"}}, "question.changed": {{Name: "search", Queue: "search"}}}
		ob, err := outbox.New("quiz", d.OutboxDB(), routes, rq, nil, outbox.Config{})
		if err != nil {
			t.Fatal(err)
		}
		pub := NewPublisher(ob)
		score, passed, submitted := 87.5, true, time.UnixMilli(1_800_000_000_000)
		graded := biz.GradedEvent{AttemptID: 7, ExamID: 3, UserID: 42, Number: 2, Score: &score, MaxScore: 100, Passed: &passed,
			SubmittedAt: &submitted, GradedAt: submitted.Add(time.Second)}
		if err := d.InTx(ctx, func(ctx context.Context) error { return pub.Publish(ctx, graded) }); err != nil {
			t.Fatal(err)
		}
		_ = d.InTx(ctx, func(ctx context.Context) error {
			if err := pub.Publish(ctx, biz.QuestionChanged{QuestionID: 1, BankID: 1, Version: 1, OrgPath: "/1/"}); err != nil {
				t.Fatal(err)
			}
			return errors.New("rollback")
		})
		if err := pub.Publish(ctx, biz.QuestionChanged{QuestionID: 9, BankID: 4, Version: 3, OrgPath: "/1/2/"}); err != nil {
			t.Fatal(err)
		}
		if n, err := ob.Drain(ctx); err != nil || n != 2 {
			t.Fatalf("drain = %d, %v; want the 2 committed events", n, err)
		}
		types := map[string]*asynq.Task{}
		for _, tk := range rq.tasks {
			types[tk.Type()] = tk
		}
		if len(types) != 2 || types["growth:event"] == nil || types["search:event"] == nil {
			t.Fatalf("relayed task types = %v, want growth:event and search:event", types)
		}
		var env eventsv1.Envelope
		if err := proto.Unmarshal(types["growth:event"].Payload(), &env); err != nil {
			t.Fatal(err)
		}
		ev := &outbox.Event{Topic: env.GetTopic(), Payload: env.GetPayload()}
		var msg quizv1.AttemptGraded
		if err := ev.Decode(&msg); err != nil {
			t.Fatal(err)
		}
		if msg.GetAttemptId() != 7 || msg.GetUserId() != 42 || msg.GetScore() != 87.5 || !msg.GetPassed() || msg.GetSubmittedAtMs() != 1_800_000_000_000 {
			t.Fatalf("attempt.graded = %v", &msg)
		}
	})
}

// recordingQueue keeps relayed tasks in order.
type recordingQueue struct {
	mu    sync.Mutex
	tasks []*asynq.Task
}

func (q *recordingQueue) Enqueue(_ context.Context, t *asynq.Task, _ ...asynq.Option) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.tasks = append(q.tasks, t)
	return nil
}

// A regrade's audit entry round-trips through the database until it is delivered.
func TestRegradePendingAudit(t *testing.T) {
	testdb.Each(t, func(t *testing.T, driver, dsn string) {
		ctx := context.Background()
		d := open(t, driver, dsn)
		repo := NewRegradeRepo(d)
		var ids []int64
		for i := range 2 {
			l := &biz.RegradeLog{ExamID: 1, ActorID: 2, ActorName: "trainer", Reason: "答案更正", Checked: i, CreatedAt: time.Now()}
			if err := repo.Add(ctx, l); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, l.ID)
		}
		entry := biz.AuditEntry{Key: fmt.Sprintf("quiz:regrade:%d", ids[1]), ActorID: 2, Action: "exam.regrade", TargetType: "exam",
			TargetID: 1, OrgPath: "/1/", After: map[string]any{"changed": 1.0}}
		if err := repo.SetAudit(ctx, ids[1], entry); err != nil {
			t.Fatal(err)
		}
		pending := must[[]biz.PendingAudit](t)(repo.PendingAudits(ctx, 10))
		if diff := cmp.Diff([]biz.PendingAudit{{RegradeID: ids[1], Entry: entry}}, pending); diff != "" {
			t.Fatalf("pending (-want +got):\n%s", diff)
		}
		if err := repo.AuditDelivered(ctx, ids[1]); err != nil {
			t.Fatal(err)
		}
		if pending := must[[]biz.PendingAudit](t)(repo.PendingAudits(ctx, 10)); len(pending) != 0 {
			t.Fatalf("pending after delivery = %v", pending)
		}
		if err := repo.SetAudit(ctx, 999, entry); !errors.Is(err, biz.ErrNotFound) {
			t.Fatalf("SetAudit on a missing regrade: %v", err)
		}
	})
}
