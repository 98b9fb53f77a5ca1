package biz

import (
	"math"
	"slices"
	"strings"
	"unicode"

	"golang.org/x/text/width"
)

// NormaliseBlank prepares a fill-in-the-blank answer for comparison: full-width characters become
// half-width (ＡＢＣ１２３ → ABC123, ideographic space → space), letters are lower-cased, and runs
// of white space collapse to one space, trimmed at both ends.
func NormaliseBlank(s string) string {
	s = width.Fold.String(s)
	var b strings.Builder
	space := false
	for _, r := range s {
		if unicode.IsSpace(r) {
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// gradeQuestion scores one answer against a snapshot question. Essays are left pending.
func gradeQuestion(q SnapQuestion, a Answer, partial bool) QScore {
	s := QScore{No: q.No, Max: q.Points}
	switch q.Type {
	case Essay:
		s.PendingReview = true
		return s
	case Single, TrueFalse:
		s.Correct = len(a.Choices) == 1 && len(q.AnswerKeys) == 1 && a.Choices[0] == q.AnswerKeys[0]
	case Multiple:
		chosen := dedupe(a.Choices)
		right := 0
		wrong := 0
		for _, c := range chosen {
			if slices.Contains(q.AnswerKeys, c) {
				right++
			} else {
				wrong++
			}
		}
		s.Correct = wrong == 0 && right == len(q.AnswerKeys)
		if !s.Correct && partial && len(q.AnswerKeys) > 0 {
			// Partial credit: each right pick earns its share, each wrong pick takes one away,
			// never below zero.
			share := q.Points / float64(len(q.AnswerKeys))
			s.Score = round2(math.Max(0, float64(right-wrong)*share))
			return s
		}
	case FillBlank:
		s.Correct = len(q.Blanks) > 0 && len(a.Choices) == len(q.Blanks)
		for i := 0; s.Correct && i < len(q.Blanks); i++ {
			got := NormaliseBlank(a.Choices[i])
			ok := false
			for _, acc := range q.Blanks[i] {
				if got != "" && got == NormaliseBlank(acc) {
					ok = true
					break
				}
			}
			s.Correct = ok
		}
	}
	if s.Correct {
		s.Score = q.Points
	}
	return s
}

// gradeAttempt scores every question of an attempt; the total is set only when no essay waits.
func gradeAttempt(a *Attempt, partial bool) {
	a.Scores = make([]QScore, len(a.Questions))
	for i, q := range a.Questions {
		a.Scores[i] = gradeQuestion(q, a.Answers[q.No], partial)
	}
	a.Score = total(a)
}

// total returns the attempt's score, or nil while an essay waits for review.
func total(a *Attempt) *float64 {
	sum := 0.0
	for _, s := range a.Scores {
		if s.PendingReview {
			return nil
		}
		sum += s.Score
	}
	sum = round2(sum)
	return &sum
}

func round2(f float64) float64 { return math.Round(f*100) / 100 }

func dedupe(in []string) []string {
	out := make([]string, 0, len(in))
	for _, s := range in {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// finalScore combines graded attempts' scores by the exam's grading method; ok is false when no
// attempt has a final score yet.
func finalScore(method string, attempts []*Attempt) (float64, bool) {
	var scores []float64
	for _, a := range attempts {
		if a.Status == AttemptGraded && a.Score != nil {
			scores = append(scores, *a.Score) // attempts come ordered by number
		}
	}
	if len(scores) == 0 {
		return 0, false
	}
	switch method {
	case GradeLast:
		return scores[len(scores)-1], true
	case GradeFirst:
		return scores[0], true
	case GradeAverage:
		sum := 0.0
		for _, s := range scores {
			sum += s
		}
		return round2(sum / float64(len(scores))), true
	}
	return slices.Max(scores), true
}
