package biz

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// statsFixture is an exam (single 2 + true/false 2 + fill 6 = 10, pass mark 6) with hand-built
// attempts:
//
//	user org  no status       single           t/f    fill  total
//	1    A1   1  graded       A ✓              false  ✓     8
//	1    A1   2  graded       B 发展经济        true   —     2
//	2    A1   1  graded       A ✓              true   ✓     10
//	3    A    1  graded       C 发展经济 (rev)   true   —     2   questions and options reversed
//	4    A    1  graded       C 对外开放        true   ✓     8
//	5    A    1  in progress
//	6    A1   1  submitted
type statsFixture struct {
	*testEnv
	exam      *Exam
	questions []*Question
}

func newStatsFixture(t *testing.T, method string) *statsFixture {
	t.Helper()
	e := newTestEnv(t)
	fill := qFill()
	fill.Points = 6
	fx := e.newExam(t, []*Question{qSingle(), qTrueFalse(), fill}, func(ex *Exam) { ex.GradingMethod = method })
	paper := e.db.snapshot().Papers[fx.exam.PaperID]
	single, tf, blank := fx.questions[0].ID, fx.questions[1].ID, fx.questions[2].ID

	// add draws a snapshot (reversed when shuffled), answers it by question id, grades it and
	// stores it with the given status.
	add := func(user int64, org string, number int, status string, shuffled bool, answers map[int64]Answer) {
		t.Helper()
		e.uc.Attempts.shuffle = identityShuffle
		if shuffled {
			e.uc.Attempts.shuffle = reverseShuffle
		}
		qs, err := e.uc.Attempts.drawQuestions(context.Background(), paper, &Exam{ShuffleQuestions: shuffled, ShuffleOptions: shuffled})
		if err != nil {
			t.Fatal(err)
		}
		a := &Attempt{ExamID: fx.exam.ID, UserID: user, UserOrgPath: e.org[org].Path, Number: number, Status: status,
			StartedAt: testT0, Deadline: testT0.Add(30 * time.Minute), Questions: qs, Answers: map[int]Answer{}, MaxScore: 10}
		for _, q := range qs {
			if ans, ok := answers[q.QuestionID]; ok {
				ans.Version = 1
				a.Answers[q.No] = ans
			}
		}
		if status == AttemptGraded {
			gradeAttempt(a, false)
			a.GradedAt = ptr(testT0.Add(time.Hour))
		}
		e.db.insertAttempt(a)
	}
	right := Answer{Choices: []string{"1935", "遵义"}}
	add(1, "A1", 1, AttemptGraded, false, map[int64]Answer{single: choices("A"), tf: choices("false"), blank: right})
	add(1, "A1", 2, AttemptGraded, false, map[int64]Answer{single: choices("B"), tf: choices("true")})
	add(2, "A1", 1, AttemptGraded, false, map[int64]Answer{single: choices("A"), tf: choices("true"), blank: right})
	add(3, "A", 1, AttemptGraded, true, map[int64]Answer{single: choices("C"), tf: choices("true"), blank: {Choices: []string{"", ""}}})
	add(4, "A", 1, AttemptGraded, false, map[int64]Answer{single: choices("C"), tf: choices("true"), blank: right})
	add(5, "A", 1, AttemptInProgress, false, map[int64]Answer{single: choices("A")})
	add(6, "A1", 1, AttemptSubmitted, false, map[int64]Answer{single: choices("A")})
	e.uc.Attempts.shuffle = identityShuffle

	// The fixture is what the table says.
	st := e.db.snapshot()
	totals := map[[2]int64]float64{}
	for _, a := range st.Attempts {
		if a.Score != nil {
			totals[[2]int64{a.UserID, int64(a.Number)}] = *a.Score
		}
		if a.UserID == 3 {
			if q := a.Questions[2]; q.QuestionID != single || q.Options[2].HTML != "发展经济" || q.AnswerKeys[0] != "D" {
				t.Fatalf("user 3's reversed single question = %+v", q)
			}
		}
	}
	want := map[[2]int64]float64{{1, 1}: 8, {1, 2}: 2, {2, 1}: 10, {3, 1}: 2, {4, 1}: 8}
	if diff := cmp.Diff(want, totals); diff != "" {
		t.Fatalf("fixture totals (-want +got):\n%s", diff)
	}
	return &statsFixture{testEnv: e, exam: fx.exam, questions: fx.questions}
}

// buckets builds a distribution from counts by lower bound.
func buckets(counts map[int]int) []Bucket {
	out := make([]Bucket, 10)
	for i := range out {
		out[i] = Bucket{FromPercent: i * 10, Count: counts[i*10]}
	}
	return out
}

func TestExamStats(t *testing.T) {
	f := newStatsFixture(t, GradeHighest)
	got, err := f.uc.Stats.ExamStats(f.as("trainerA"), f.exam.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := &Stats{
		ExamID: f.exam.ID, Participants: 6, Attempts: 7, Graded: 5,
		MeanScore: 7, MaxScore: 10, PassRate: 0.5, // finals 8, 10, 2, 8; users 5 and 6 have none
		Distribution: buckets(map[int]int{20: 1, 80: 2, 90: 1}),
		ByOrg: []OrgRate{
			{OrgPath: "/1/2/", Participants: 3, Passed: 1, PassRate: 0.3333},
			{OrgPath: "/1/2/4/", Participants: 3, Passed: 2, PassRate: 0.6667},
		},
		Questions: []QuestionStat{
			// Scores 2,0,2,0,0 against rests 6,2,8,2,8: strong candidates get it right.
			{QuestionID: f.questions[0].ID, StemHTML: "<p>党的根本宗旨是？</p>", Answered: 5, Facility: 0.4,
				Discrimination: 0.5417, TopWrongOption: "发展经济", TopWrongCount: 2},
			// Scores 0,2,2,2,2 against rests 8,0,8,0,6: the weak get it right, the strong miss it.
			{QuestionID: f.questions[1].ID, StemHTML: "<p>党员应按期交纳党费。</p>", Answered: 5, Facility: 0.8,
				Discrimination: -0.491, TopWrongOption: "错误", TopWrongCount: 1},
			// Scores 6,0,6,0,6 against rests 2,2,4,2,2; blank answers are not answers.
			{QuestionID: f.questions[2].ID, StemHTML: "<p>遵义会议召开于____年，地点在____。</p>", Answered: 3, Facility: 0.6,
				Discrimination: 0.4082},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ExamStats (-want +got):\n%s", diff)
	}
	if got.Questions[0].Discrimination <= 0 || got.Questions[1].Discrimination >= 0 {
		t.Errorf("discrimination signs: %v, %v; want positive, negative", got.Questions[0].Discrimination, got.Questions[1].Discrimination)
	}
}

// The grading method decides each participant's final score (user 1: 8 then 2).
func TestExamStatsGradingMethods(t *testing.T) {
	for _, tt := range []struct {
		method string
		mean   float64
		passed int
		dist   map[int]int
		byOrg  []OrgRate
	}{
		{GradeLast, 5.5, 2, map[int]int{20: 2, 80: 1, 90: 1},
			[]OrgRate{{"/1/2/", 3, 1, 0.3333}, {"/1/2/4/", 3, 1, 0.3333}}},
		{GradeFirst, 7, 3, map[int]int{20: 1, 80: 2, 90: 1},
			[]OrgRate{{"/1/2/", 3, 1, 0.3333}, {"/1/2/4/", 3, 2, 0.6667}}},
		{GradeAverage, 6.25, 2, map[int]int{20: 1, 50: 1, 80: 1, 90: 1},
			[]OrgRate{{"/1/2/", 3, 1, 0.3333}, {"/1/2/4/", 3, 1, 0.3333}}},
	} {
		t.Run(tt.method, func(t *testing.T) {
			f := newStatsFixture(t, tt.method)
			got, err := f.uc.Stats.ExamStats(f.as("admin"), f.exam.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.MeanScore != tt.mean || got.PassRate != ratio(tt.passed, 6) {
				t.Errorf("mean %v pass rate %v; want %v, %v", got.MeanScore, got.PassRate, tt.mean, ratio(tt.passed, 6))
			}
			if diff := cmp.Diff(buckets(tt.dist), got.Distribution); diff != "" {
				t.Errorf("distribution (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.byOrg, got.ByOrg); diff != "" {
				t.Errorf("by org (-want +got):\n%s", diff)
			}
		})
	}
}

func TestExamStatsPermissions(t *testing.T) {
	f := newStatsFixture(t, GradeHighest)
	for _, tt := range []struct {
		user string
		want string // "", "deny" or "notfound"
	}{
		{"trainerA", ""},
		{"staffA", ""},
		{"admin", ""},
		{"memberA", "deny"},  // targeted
		{"memberA1", "deny"}, // below the target
		{"staffA1", "deny"},  // targeted, but below the owning org
		{"trainerB", "notfound"},
		{"memberB", "notfound"},
	} {
		t.Run(tt.user, func(t *testing.T) {
			st, err := f.uc.Stats.ExamStats(f.as(tt.user), f.exam.ID)
			// ListAttempts follows the same rule.
			_, lerr := f.uc.Attempts.ListAttempts(f.as(tt.user), f.exam.ID, 0, 0)
			switch tt.want {
			case "":
				if err != nil || st == nil || lerr != nil {
					t.Fatalf("ExamStats = %v, %v; ListAttempts: %v", st, err, lerr)
				}
			case "deny":
				wantErrAs[*PermissionError](t, err)
				wantErrAs[*PermissionError](t, lerr)
			case "notfound":
				wantErrIs(t, err, ErrNotFound)
				wantErrIs(t, lerr, ErrNotFound)
			}
		})
	}
	_, err := f.uc.Stats.ExamStats(f.as("admin"), 424242)
	wantErrIs(t, err, ErrNotFound)
	_, err = f.uc.Stats.ExamStats(context.Background(), f.exam.ID)
	if err == nil {
		t.Fatal("ExamStats without a principal succeeded")
	}
}

// No attempts: zeros and ten empty buckets. An attempt waiting for essay review has no final
// score: it counts as a participant who has not passed, and is left out of the item analysis.
func TestExamStatsEmptyAndPending(t *testing.T) {
	e := newTestEnv(t)
	fx := e.newExam(t, []*Question{qSingle(), qEssay(10)}, func(ex *Exam) { ex.PassMark = 1 })
	got, err := e.uc.Stats.ExamStats(e.as("trainerA"), fx.exam.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := &Stats{ExamID: fx.exam.ID, MaxScore: 12, Distribution: buckets(nil)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("empty exam (-want +got):\n%s", diff)
	}

	e.graded(t, "memberA", fx.exam.ID, map[int]Answer{1: choices("A"), 2: {Text: "答"}})
	got, err = e.uc.Stats.ExamStats(e.as("trainerA"), fx.exam.ID)
	if err != nil {
		t.Fatal(err)
	}
	want = &Stats{ExamID: fx.exam.ID, Participants: 1, Attempts: 1, MaxScore: 12, Distribution: buckets(nil),
		ByOrg: []OrgRate{{OrgPath: "/1/2/", Participants: 1}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("essay pending (-want +got):\n%s", diff)
	}
}

// A participant is counted in the org of their latest attempt.
func TestExamStatsOrgOfLatestAttempt(t *testing.T) {
	e := newTestEnv(t)
	fx := e.newExam(t, []*Question{qSingle()}, func(ex *Exam) { ex.PassMark = 2 })
	for n, org := range []string{"A", "A1"} {
		e.db.insertAttempt(&Attempt{ExamID: fx.exam.ID, UserID: 7, UserOrgPath: e.org[org].Path, Number: n + 1,
			Status: AttemptGraded, Score: ptr(2.0), Scores: []QScore{{No: 1, Score: 2, Max: 2, Correct: true}}})
	}
	got, err := e.uc.Stats.ExamStats(e.as("trainerA"), fx.exam.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]OrgRate{{OrgPath: "/1/2/4/", Participants: 1, Passed: 1, PassRate: 1}}, got.ByOrg); diff != "" {
		t.Errorf("by org (-want +got):\n%s", diff)
	}
	if got.Participants != 1 || got.Graded != 2 || got.PassRate != 1 {
		t.Errorf("participants %d graded %d pass rate %v", got.Participants, got.Graded, got.PassRate)
	}
}

func TestBucketOf(t *testing.T) {
	for _, tt := range []struct {
		score, max float64
		want       int
	}{
		{0, 10, 0}, {0.99, 10, 0}, {1, 10, 1}, {29, 100, 2}, {57, 100, 5}, {5.6, 8, 7}, {59.99, 100, 5},
		{9.99, 10, 9}, {10, 10, 9}, {12, 10, 9}, {-1, 10, 0}, {3, 0, 0},
	} {
		if got := bucketOf(tt.score, tt.max); got != tt.want {
			t.Errorf("bucketOf(%v, %v) = %d, want %d", tt.score, tt.max, got, tt.want)
		}
	}
}

func TestPearson(t *testing.T) {
	for _, tt := range []struct {
		name   string
		xs, ys []float64
		want   float64
	}{
		{"too few", []float64{1}, []float64{2}, 0},
		{"none", nil, nil, 0},
		{"constant question", []float64{0.1, 0.1, 0.1}, []float64{1, 2, 3}, 0},
		{"constant rest", []float64{0, 1, 2}, []float64{5, 5, 5}, 0},
		{"perfect", []float64{0, 1, 2}, []float64{1, 3, 5}, 1},
		{"inverse", []float64{0, 1, 2}, []float64{5, 3, 1}, -1},
		{"mismatched", []float64{0, 1}, []float64{1}, 0},
	} {
		if got := round4(pearson(tt.xs, tt.ys)); got != tt.want {
			t.Errorf("%s: pearson = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// Statistics are kept per exam until an attempt of the exam changes: a second read serves the
// kept figures (a change made behind the repository's back is not seen), a grade through the
// use cases is.
func TestExamStatsAreKeptUntilAnAttemptChanges(t *testing.T) {
	f := newStatsFixture(t, GradeHighest)
	first, err := f.uc.Stats.ExamStats(f.as("trainerA"), f.exam.ID)
	if err != nil {
		t.Fatal(err)
	}
	// Behind the repository's back (no stamp change): the kept figures are served.
	f.db.mu.Lock()
	for _, a := range f.db.st.Attempts {
		if a.ExamID == f.exam.ID && a.Status == AttemptGraded {
			a.Score = ptr(0.0)
		}
	}
	f.db.mu.Unlock()
	kept, err := f.uc.Stats.ExamStats(f.as("staffA"), f.exam.ID)
	if err != nil || kept.MeanScore != first.MeanScore {
		t.Fatalf("second read = %+v, %v; want the kept figures (mean %v)", kept, err, first.MeanScore)
	}
	// Every read still checks the caller.
	if _, err := f.uc.Stats.ExamStats(f.as("memberA"), f.exam.ID); err == nil {
		t.Fatal("a member read the kept statistics")
	}
	// A member submits and the attempt is graded: the figures are computed again.
	a := f.submitted(t, "memberA2", f.exam.ID, map[int]Answer{1: choices("A")})
	if err := f.uc.Attempts.Grade(context.Background(), a.ID); err != nil {
		t.Fatal(err)
	}
	again, err := f.uc.Stats.ExamStats(f.as("trainerA"), f.exam.ID)
	// (The grade also takes the fixture's other submitted attempt: batches grade what they can.)
	if err != nil || again.Graded <= first.Graded || again.MeanScore == first.MeanScore {
		t.Fatalf("after a grade = %+v, %v; want more than %d graded and the new scores", again, err, first.Graded)
	}
}
