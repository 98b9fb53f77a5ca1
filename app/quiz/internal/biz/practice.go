package biz

import (
	"context"
	"slices"
	"sort"
	"time"

	"github.com/vanguard/vanguard/pkg/auth"
)

// Feedback is the instant answer to a practice or retry question: right or wrong, and the key.
type Feedback struct {
	Correct     bool
	AnswerKeys  []string
	Blanks      [][]string
	Explanation string
}

// Practice draws count random questions (每日答题) from the practice banks of the caller's org and
// its ancestors (exam-only banks never appear). Objective questions only; nothing counts.
func (uc *PracticeUsecase) Practice(ctx context.Context, count int) (int64, []SnapQuestion, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return 0, nil, err
	}
	if count <= 0 {
		count = 5
	}
	if count > 50 {
		return 0, nil, Invalid("count", "每次最多练习 50 题")
	}
	ids, err := uc.practice.PracticeQuestionIDs(ctx, p.AncestorPaths())
	if err != nil {
		return 0, nil, err
	}
	uc.shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
	drawn := ids[:min(len(ids), count*2)]
	qs, err := uc.banks.GetQuestions(ctx, drawn)
	if err != nil {
		return 0, nil, err
	}
	// GetQuestions returns them by id: put them back in the drawn (shuffled) order.
	pos := make(map[int64]int, len(drawn))
	for i, id := range drawn {
		pos[id] = i
	}
	slices.SortFunc(qs, func(a, b *Question) int { return pos[a.ID] - pos[b.ID] })
	var snap []SnapQuestion
	for _, q := range qs {
		if q.Type == Essay || len(snap) == count {
			continue
		}
		snap = append(snap, SnapQuestion{No: len(snap) + 1, QuestionID: q.ID, Version: q.Version, Type: q.Type, StemHTML: q.StemHTML,
			Options: q.Options, AnswerKeys: q.AnswerKeys, Blanks: q.Blanks, Explanation: q.Explanation, Points: q.Points})
	}
	if len(snap) == 0 {
		return 0, nil, Invalid("count", "暂无可练习的题目")
	}
	id, err := uc.practice.CreateSession(ctx, p.UserID, snap)
	return id, snap, err
}

// AnswerPractice checks one practice answer and returns the key at once; a wrong answer goes
// into the caller's wrong-answer book.
func (uc *PracticeUsecase) AnswerPractice(ctx context.Context, sessionID int64, no int, ans Answer) (*Feedback, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	owner, qs, err := uc.practice.GetSession(ctx, sessionID)
	if err != nil {
		return nil, err
	}
	if owner != p.UserID {
		return nil, ErrNotFound
	}
	if no < 1 || no > len(qs) {
		return nil, Invalid("question_no", "题号超出范围")
	}
	q := qs[no-1]
	if err := validAnswer(q, ans); err != nil {
		return nil, err
	}
	return uc.feedback(ctx, p.UserID, q, ans, false)
}

func (uc *PracticeUsecase) feedback(ctx context.Context, userID int64, q SnapQuestion, ans Answer, retry bool) (*Feedback, error) {
	s := gradeQuestion(q, ans, false)
	if s.Correct && retry {
		if err := uc.practice.SetMastered(ctx, userID, q.QuestionID); err != nil {
			return nil, err
		}
	}
	if !s.Correct {
		if err := uc.practice.RecordWrong(ctx, userID, q.QuestionID, uc.clock.Now()); err != nil {
			return nil, err
		}
	}
	return &Feedback{Correct: s.Correct, AnswerKeys: q.AnswerKeys, Blanks: q.Blanks, Explanation: q.Explanation}, nil
}

// WrongItem is one entry of the wrong-answer book, with the question as the member last met it.
type WrongItem struct {
	Question    SnapQuestion
	WrongCount  int
	LastWrongAt time.Time
	Mastered    bool
}

// WrongBook lists the caller's wrong answers (错题本): practice mistakes, and exam mistakes from
// attempts whose results are released — nothing from an exam whose results are still withheld.
func (uc *PracticeUsecase) WrongBook(ctx context.Context, includeMastered bool) ([]*WrongItem, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	items := map[int64]*WrongItem{}
	exams, err := uc.exams.ListExamsForPaths(ctx, p.AncestorPaths(), p.UserID)
	if err != nil {
		return nil, err
	}
	for _, e := range exams {
		list, err := uc.attempts.ListAttempts(ctx, e.ID, p.UserID)
		if err != nil {
			return nil, err
		}
		for _, summary := range list {
			if summary.Status != AttemptGraded || !resultsReleased(uc.clock.Now(), summary, e) {
				continue
			}
			for i, s := range summary.Scores {
				q := summary.Questions[i]
				if s.Correct || q.Type == Essay {
					continue
				}
				it := items[q.QuestionID]
				if it == nil {
					it = &WrongItem{Question: q}
					items[q.QuestionID] = it
				}
				it.WrongCount++
				if summary.GradedAt != nil && summary.GradedAt.After(it.LastWrongAt) {
					it.LastWrongAt = *summary.GradedAt
				}
			}
		}
	}
	stored, err := uc.practice.ListWrong(ctx, p.UserID)
	if err != nil {
		return nil, err
	}
	var missing []int64
	for _, w := range stored {
		it := items[w.QuestionID]
		if it == nil {
			if w.WrongCount == 0 {
				continue // a retry marked mastered, but no mistake to show
			}
			it = &WrongItem{}
			items[w.QuestionID] = it
			missing = append(missing, w.QuestionID)
		}
		it.WrongCount += w.WrongCount
		if w.LastWrongAt != nil && w.LastWrongAt.After(it.LastWrongAt) {
			it.LastWrongAt = *w.LastWrongAt
		}
		it.Mastered = w.Mastered
	}
	if len(missing) > 0 {
		qs, err := uc.banks.GetQuestions(ctx, missing)
		if err != nil {
			return nil, err
		}
		for _, q := range qs {
			items[q.ID].Question = SnapQuestion{QuestionID: q.ID, Version: q.Version, Type: q.Type, StemHTML: q.StemHTML,
				Options: q.Options, AnswerKeys: q.AnswerKeys, Blanks: q.Blanks, Explanation: q.Explanation, Points: q.Points}
		}
	}
	out := make([]*WrongItem, 0, len(items))
	for id, it := range items {
		if it.Question.QuestionID == 0 {
			it.Question.QuestionID = id
		}
		if it.Question.Type == "" || (it.Mastered && !includeMastered) {
			continue // question deleted, or mastered and not asked for
		}
		out = append(out, it)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].LastWrongAt.Equal(out[j].LastWrongAt) {
			return out[i].LastWrongAt.After(out[j].LastWrongAt)
		}
		return out[i].Question.QuestionID < out[j].Question.QuestionID
	})
	return out, nil
}

// RetryWrong answers a question from the caller's own wrong-answer book again: right marks it
// mastered, wrong counts another mistake. Questions not in the book are ErrNotFound, so retry is
// never a key oracle for exam questions.
func (uc *PracticeUsecase) RetryWrong(ctx context.Context, questionID int64, ans Answer) (*Feedback, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	book, err := uc.WrongBook(ctx, true)
	if err != nil {
		return nil, err
	}
	idx := slices.IndexFunc(book, func(w *WrongItem) bool { return w.Question.QuestionID == questionID })
	if idx < 0 {
		return nil, ErrNotFound
	}
	q := book[idx].Question
	if err := validAnswer(q, ans); err != nil {
		return nil, err
	}
	return uc.feedback(ctx, p.UserID, q, ans, true)
}
