package biz

import (
	"cmp"
	"context"
	"errors"
	"math"
	"slices"
	"strings"
	"sync"

	"github.com/vanguard/vanguard/pkg/auth"
)

// Stats summarises an exam for its managers: participation, the distribution of final scores,
// pass rates overall and by org, and per-question item analysis.
type Stats struct {
	ExamID int64
	// Participants counts the distinct members with at least one attempt, whatever its status.
	Participants int
	// Attempts counts all attempts, in progress included.
	Attempts int
	// Graded counts attempts graded with a final score (no essay waiting for review).
	Graded int
	// MeanScore is the mean of the participants' final scores (combined by the exam's grading
	// method), over the participants that have one.
	MeanScore float64
	// MaxScore is the exam's total points.
	MaxScore float64
	// PassRate is the share (0–1) of Participants whose final score reaches the pass mark. A
	// participant without a final score yet (in progress, awaiting grading or essay review) has
	// not passed.
	PassRate float64
	// Distribution has ten buckets of the participants' final scores as a percentage of
	// MaxScore: [0,10), [10,20), … [90,100]; a full score falls in the 90 bucket.
	Distribution []Bucket
	// ByOrg groups participants by the org they took their latest attempt in, by org path.
	ByOrg []OrgRate
	// Questions analyses every question that appears in a graded attempt, in paper order for
	// fixed papers and by question id for random ones.
	Questions []QuestionStat
}

// Bucket is one bar of a score distribution.
type Bucket struct {
	// FromPercent is the lower bound as a percentage of the maximum: 0, 10, … 90.
	FromPercent int
	Count       int
}

// OrgRate is the pass rate of the participants of one org.
type OrgRate struct {
	OrgPath      string
	Participants int
	Passed       int
	// PassRate is Passed / Participants (0–1).
	PassRate float64
}

// QuestionStat is the item analysis of one question over the graded attempts it appears in.
// An unanswered question counts as scored 0.
type QuestionStat struct {
	QuestionID int64
	// StemHTML is the stem of the newest version seen in the attempts' snapshots.
	StemHTML string
	// Answered counts the graded attempts with a non-empty answer to the question.
	Answered int
	// Facility is the mean score over the maximum (0–1): how easy the question was.
	Facility float64
	// Discrimination is the Pearson correlation (−1–1) between the question's score and the
	// rest of the attempt's total (total minus this question), as Moodle's discrimination
	// index; 0 with fewer than two attempts or when either side does not vary.
	Discrimination float64
	// TopWrongOption is the HTML of the wrong option chosen most often (choice questions; ties
	// go to the smaller HTML), and TopWrongCount how many attempts chose it. Options are told
	// apart by their HTML, since labels are shuffled per attempt.
	TopWrongOption string
	TopWrongCount  int
}

// ExamStats returns the statistics of an exam to its managers. A targeted member is denied; to
// anyone else the exam does not exist.
//
// Computing them reads every attempt of the exam, so they are kept per exam with the stamp of
// the attempts they saw (AttemptRepo.ExamStamp: count and latest change): a dashboard polling
// them costs one aggregate until an attempt is created, graded, regraded or scored again. The
// caller's right to see them is checked on every call.
func (uc *StatsUsecase) ExamStats(ctx context.Context, examID int64) (*Stats, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	e, err := managedExam(ctx, uc.exams, p, examID, "无权查看考试统计")
	if err != nil {
		return nil, err
	}
	stamp, err := uc.attempts.ExamStamp(ctx, examID)
	if err != nil {
		return nil, err
	}
	if st, ok := uc.cache.get(examID, stamp); ok {
		return st, nil
	}
	st, _, err := uc.computeStats(ctx, e)
	if err != nil {
		return nil, err
	}
	// Stamped with what was read before computing: a change meanwhile makes the next call
	// compute again.
	uc.cache.put(examID, stamp, st)
	return st, nil
}

// statsCache is a small map of computed figures by exam; an exam's entry is replaced when its
// stamp moves, and the map is emptied when it outgrows maxCachedStats.
type statsCache struct {
	mu sync.Mutex
	m  map[int64]cachedStats
}

type cachedStats struct {
	stamp string
	st    *Stats
}

const maxCachedStats = 1000

func (c *statsCache) get(examID int64, stamp string) (*Stats, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[examID]
	if !ok || e.stamp != stamp {
		return nil, false
	}
	return e.st, true
}

func (c *statsCache) put(examID int64, stamp string, st *Stats) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxCachedStats {
		c.m = make(map[int64]cachedStats)
	}
	c.m[examID] = cachedStats{stamp: stamp, st: st}
}

// examStats computes the statistics and also returns the exam and its attempts (the export
// needs all three; one load each).
func (uc *StatsUsecase) examStats(ctx context.Context, examID int64) (*Stats, *Exam, []*Attempt, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	e, err := managedExam(ctx, uc.exams, p, examID, "无权查看考试统计")
	if err != nil {
		return nil, nil, nil, err
	}
	st, attempts, err := uc.computeStats(ctx, e)
	return st, e, attempts, err
}

// computeStats computes the statistics of e (its managers' right already checked) and also
// returns its attempts.
func (uc *StatsUsecase) computeStats(ctx context.Context, e *Exam) (*Stats, []*Attempt, error) {
	attempts, err := uc.attempts.ListAttempts(ctx, e.ID, 0)
	if err != nil {
		return nil, nil, err
	}
	st := &Stats{ExamID: e.ID, Attempts: len(attempts), MaxScore: e.TotalPoints, Distribution: make([]Bucket, 10)}
	for i := range st.Distribution {
		st.Distribution[i].FromPercent = i * 10
	}

	byUser := map[int64][]*Attempt{}
	var users []int64
	var graded []*Attempt
	for _, a := range attempts {
		if _, seen := byUser[a.UserID]; !seen {
			users = append(users, a.UserID)
		}
		byUser[a.UserID] = append(byUser[a.UserID], a)
		if finallyGraded(a) {
			graded = append(graded, a)
		}
	}
	st.Participants, st.Graded = len(users), len(graded)

	orgs := map[string]*OrgRate{}
	scored, passed, sum := 0, 0, 0.0
	for _, u := range users {
		as := byUser[u]
		slices.SortFunc(as, func(a, b *Attempt) int { return cmp.Compare(a.Number, b.Number) })
		path := as[len(as)-1].UserOrgPath
		org := orgs[path]
		if org == nil {
			org = &OrgRate{OrgPath: path}
			orgs[path] = org
		}
		org.Participants++
		final, ok := finalScore(e.GradingMethod, as)
		if !ok {
			continue
		}
		scored++
		sum += final
		st.Distribution[bucketOf(final, st.MaxScore)].Count++
		if final >= e.PassMark {
			passed++
			org.Passed++
		}
	}
	if scored > 0 {
		st.MeanScore = round2(sum / float64(scored))
	}
	st.PassRate = ratio(passed, st.Participants)
	for _, org := range orgs {
		org.PassRate = ratio(org.Passed, org.Participants)
		st.ByOrg = append(st.ByOrg, *org)
	}
	slices.SortFunc(st.ByOrg, func(a, b OrgRate) int { return strings.Compare(a.OrgPath, b.OrgPath) })

	st.Questions, err = uc.questionStats(ctx, e, graded)
	if err != nil {
		return nil, nil, err
	}
	return st, attempts, nil
}

// finallyGraded reports whether an attempt is graded with a final score.
func finallyGraded(a *Attempt) bool { return a.Status == AttemptGraded && a.Score != nil }

// bucketOf returns the distribution bucket (0–9) of score out of maxScore.
func bucketOf(score, maxScore float64) int {
	if maxScore <= 0 {
		return 0
	}
	// Multiply before dividing: 29*10/100 is 2.9, where 29/100*10 is 2.8999….
	b := int(math.Floor(score * 10 / maxScore))
	return min(max(b, 0), 9)
}

// ratio returns n/d rounded to four places, 0 when d is 0.
func ratio(n, d int) float64 {
	if d == 0 {
		return 0
	}
	return round4(float64(n) / float64(d))
}

func round4(f float64) float64 { return math.Round(f*10000) / 10000 }

// questionAcc accumulates one question's figures across attempts.
type questionAcc struct {
	id       int64
	stem     string
	version  int
	scores   []float64 // this question's score, per attempt
	rest     []float64 // the attempt's total minus this question, per attempt
	scoreSum float64
	maxSum   float64
	answered int
	wrong    map[string]int // option HTML → attempts choosing it wrongly
}

// questionStats analyses the questions of the graded attempts (each graded with a final score):
// the listed attempts carry their snapshots and scores, and every answer of the exam comes in
// one read (not one per attempt: an exam-scale exam has thousands).
func (uc *StatsUsecase) questionStats(ctx context.Context, e *Exam, graded []*Attempt) ([]QuestionStat, error) {
	accs := map[int64]*questionAcc{}
	answers, err := uc.attempts.ExamAnswers(ctx, e.ID)
	if err != nil {
		return nil, err
	}
	for _, a := range graded {
		a.Answers = answers[a.ID]
		scores := make(map[int]QScore, len(a.Scores))
		for _, s := range a.Scores {
			scores[s.No] = s
		}
		for _, q := range a.Questions {
			acc := accs[q.QuestionID]
			if acc == nil {
				acc = &questionAcc{id: q.QuestionID, wrong: map[string]int{}}
				accs[q.QuestionID] = acc
			}
			if acc.stem == "" || q.Version > acc.version {
				acc.stem, acc.version = q.StemHTML, q.Version
			}
			s := scores[q.No]
			acc.scores = append(acc.scores, s.Score)
			acc.rest = append(acc.rest, *a.Score-s.Score)
			acc.scoreSum += s.Score
			acc.maxSum += q.Points
			ans := a.Answers[q.No]
			if answered(ans) {
				acc.answered++
			}
			if q.Type == Single || q.Type == Multiple || q.Type == TrueFalse {
				for _, c := range dedupe(ans.Choices) {
					if slices.Contains(q.AnswerKeys, c) {
						continue
					}
					if html, ok := optionHTML(q, c); ok {
						acc.wrong[html]++
					}
				}
			}
		}
	}

	order, err := uc.questionOrder(ctx, e)
	if err != nil {
		return nil, err
	}
	var out []QuestionStat
	for _, acc := range accs {
		qs := QuestionStat{QuestionID: acc.id, StemHTML: acc.stem, Answered: acc.answered,
			Discrimination: round4(pearson(acc.scores, acc.rest))}
		if acc.maxSum > 0 {
			qs.Facility = round4(acc.scoreSum / acc.maxSum)
		}
		for html, n := range acc.wrong {
			if n > qs.TopWrongCount || (n == qs.TopWrongCount && html < qs.TopWrongOption) {
				qs.TopWrongOption, qs.TopWrongCount = html, n
			}
		}
		out = append(out, qs)
	}
	slices.SortFunc(out, func(a, b QuestionStat) int {
		ia, oka := order[a.QuestionID]
		ib, okb := order[b.QuestionID]
		switch {
		case oka && okb:
			return cmp.Compare(ia, ib)
		case oka != okb: // questions of the paper first
			if oka {
				return -1
			}
			return 1
		}
		return cmp.Compare(a.QuestionID, b.QuestionID)
	})
	return out, nil
}

// questionOrder returns the position of each question of a fixed paper (empty for a random
// paper or a paper that is gone).
func (uc *StatsUsecase) questionOrder(ctx context.Context, e *Exam) (map[int64]int, error) {
	order := map[int64]int{}
	paper, err := uc.papers.GetPaper(ctx, e.PaperID)
	if errors.Is(err, ErrNotFound) {
		return order, nil
	}
	if err != nil {
		return nil, err
	}
	for i, it := range paper.Items {
		order[it.QuestionID] = i
	}
	return order, nil
}

// answered reports whether an answer has any content.
func answered(a Answer) bool {
	if strings.TrimSpace(a.Text) != "" {
		return true
	}
	return slices.ContainsFunc(a.Choices, func(c string) bool { return strings.TrimSpace(c) != "" })
}

// optionHTML maps a label chosen in one attempt to the option's HTML, its identity across
// attempts whose options were shuffled and relabelled.
func optionHTML(q SnapQuestion, key string) (string, bool) {
	for _, o := range q.Options {
		if o.Key == key {
			return o.HTML, true
		}
	}
	return "", false
}

// pearson returns the correlation coefficient of xs and ys, or 0 when it is undefined (fewer
// than two pairs, or no variance on either side).
func pearson(xs, ys []float64) float64 {
	n := len(xs)
	if n < 2 || len(ys) != n {
		return 0
	}
	var mx, my float64
	for i := range xs {
		mx += xs[i]
		my += ys[i]
	}
	mx /= float64(n)
	my /= float64(n)
	var sxy, sxx, syy float64
	for i := range xs {
		dx, dy := xs[i]-mx, ys[i]-my
		sxy += dx * dy
		sxx += dx * dx
		syy += dy * dy
	}
	// Scores have two decimals, so real variance is far above this; below it is rounding noise.
	const eps = 1e-9
	if sxx < eps || syy < eps {
		return 0
	}
	return math.Max(-1, math.Min(1, sxy/math.Sqrt(sxx*syy)))
}
