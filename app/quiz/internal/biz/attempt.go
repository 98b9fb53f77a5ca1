package biz

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/vanguard/vanguard/pkg/auth"
)

func cryptoShuffle(n int, swap func(i, j int)) {
	for i := n - 1; i > 0; i-- {
		var b [8]byte
		_, _ = rand.Read(b[:])
		j := int(binary.BigEndian.Uint64(b[:]) % uint64(i+1))
		swap(i, j)
	}
}

// ownAttempt loads an attempt of the caller; anyone else's is ErrNotFound (no IDOR).
func (uc *AttemptUsecase) ownAttempt(ctx context.Context, p *auth.Principal, id int64) (*Attempt, error) {
	a, err := uc.attempts.GetAttempt(ctx, id)
	if err != nil {
		return nil, err
	}
	if a.UserID != p.UserID {
		return nil, ErrNotFound
	}
	return a, nil
}

// Start begins an attempt, or resumes the caller's attempt in progress. The server freezes the
// questions (drawn for random papers), their order and option order, and the deadline =
// min(start + duration, window close).
func (uc *AttemptUsecase) Start(ctx context.Context, examID int64) (*Attempt, *Exam, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, nil, err
	}
	e, err := uc.exams.GetExam(ctx, examID)
	if err != nil {
		return nil, nil, err
	}
	if !targeted(p, e) {
		return nil, nil, ErrNotFound
	}
	now := uc.clock.Now()
	prev, err := uc.attempts.ListAttempts(ctx, examID, p.UserID)
	if err != nil {
		return nil, nil, err
	}
	for _, a := range prev {
		if a.Status == AttemptInProgress && !now.After(a.Deadline) {
			full, err := uc.attempts.GetAttempt(ctx, a.ID)
			return full, e, err
		}
	}
	switch {
	case now.Before(e.OpensAt):
		return nil, nil, &ClosedError{Exam: true, Msg: "考试尚未开始"}
	case !now.Before(e.ClosesAt):
		return nil, nil, &ClosedError{Exam: true, Msg: "考试已结束"}
	case len(prev) >= e.AttemptsAllowed:
		return nil, nil, &ClosedError{Exam: true, Msg: fmt.Sprintf("已用完全部 %d 次作答机会", e.AttemptsAllowed)}
	}
	paper, err := uc.papers.GetPaper(ctx, e.PaperID)
	if err != nil {
		return nil, nil, err
	}
	qs, err := uc.drawQuestions(ctx, paper, e)
	if err != nil {
		return nil, nil, err
	}
	deadline := now.Add(e.Duration)
	if e.ClosesAt.Before(deadline) {
		deadline = e.ClosesAt
	}
	a := &Attempt{
		ExamID: e.ID, UserID: p.UserID, UserOrgPath: p.OrgPath, Number: len(prev) + 1, Status: AttemptInProgress,
		StartedAt: now, Deadline: deadline, Questions: qs, Answers: map[int]Answer{},
	}
	for _, q := range qs {
		a.MaxScore += q.Points
	}
	a.MaxScore = round2(a.MaxScore)
	created, err := uc.attempts.CreateAttempt(ctx, a)
	if errors.Is(err, ErrAlreadyExists) {
		// A concurrent start (double click) won the race: resume its attempt.
		again, lerr := uc.attempts.ListAttempts(ctx, examID, p.UserID)
		if lerr != nil {
			return nil, nil, lerr
		}
		for _, x := range again {
			if x.Number == a.Number {
				full, err := uc.attempts.GetAttempt(ctx, x.ID)
				return full, e, err
			}
		}
	}
	if err != nil {
		return nil, nil, err
	}
	// The deadline is enforced by the server: the attempt is finalised at its deadline even if
	// the member never submits. The reconciler covers a lost schedule.
	_ = uc.queue.ScheduleAutosubmit(ctx, created.ID, deadline)
	uc.shapes.put(created.ID, shapeOfAttempt(created)) // the autosaves that follow need it
	return created, e, nil
}

// drawQuestions builds the attempt's snapshot: fixed items, or random draws per rule; then the
// question and option shuffles the exam asks for.
func (uc *AttemptUsecase) drawQuestions(ctx context.Context, paper *Paper, e *Exam) ([]SnapQuestion, error) {
	type pick struct {
		q      *Question
		points float64
	}
	var picks []pick
	if len(paper.Items) > 0 {
		ids := make([]int64, len(paper.Items))
		for i, it := range paper.Items {
			ids[i] = it.QuestionID
		}
		qs, err := uc.banks.GetQuestions(ctx, ids)
		if err != nil {
			return nil, err
		}
		byID := map[int64]*Question{}
		for _, q := range qs {
			byID[q.ID] = q
		}
		for _, it := range paper.Items {
			if q := byID[it.QuestionID]; q != nil {
				picks = append(picks, pick{q, it.Points})
			}
		}
	}
	used := map[int64]bool{}
	for _, r := range paper.Rules {
		qs, err := uc.banks.FindQuestions(ctx, r.BankID, r.Tags, r.Difficulty, r.Type)
		if err != nil {
			return nil, err
		}
		qs = slices.DeleteFunc(qs, func(q *Question) bool { return used[q.ID] })
		uc.shuffle(len(qs), func(i, j int) { qs[i], qs[j] = qs[j], qs[i] })
		if len(qs) < r.Count {
			return nil, &ImpossibleRulesError{Msg: "题库中的题目已不足以按规则抽题，请联系出题人"}
		}
		for _, q := range qs[:r.Count] {
			used[q.ID] = true
			picks = append(picks, pick{q, r.Points})
		}
	}
	if e.ShuffleQuestions {
		uc.shuffle(len(picks), func(i, j int) { picks[i], picks[j] = picks[j], picks[i] })
	}
	out := make([]SnapQuestion, len(picks))
	for i, pk := range picks {
		q := pk.q
		s := SnapQuestion{
			No: i + 1, QuestionID: q.ID, Version: q.Version, Type: q.Type, StemHTML: q.StemHTML,
			Options: slices.Clone(q.Options), AnswerKeys: slices.Clone(q.AnswerKeys), Blanks: q.Blanks,
			Reference: q.Reference, Explanation: q.Explanation, Points: pk.points,
		}
		if e.ShuffleOptions && (q.Type == Single || q.Type == Multiple) {
			uc.shuffle(len(s.Options), func(i, j int) { s.Options[i], s.Options[j] = s.Options[j], s.Options[i] })
			// Relabel A, B, … in display order and map the key to the new labels.
			relabel := map[string]string{}
			for k := range s.Options {
				label := string(rune('A' + k))
				relabel[s.Options[k].Key] = label
				s.Options[k].Key = label
			}
			for k, key := range s.AnswerKeys {
				s.AnswerKeys[k] = relabel[key]
			}
			slices.Sort(s.AnswerKeys)
		}
		out[i] = s
	}
	return out, nil
}

// Get returns the caller's own attempt (others: ErrNotFound).
func (uc *AttemptUsecase) Get(ctx context.Context, id int64) (*Attempt, *Exam, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, nil, err
	}
	a, err := uc.ownAttempt(ctx, p, id)
	if err != nil {
		return nil, nil, err
	}
	e, err := uc.exams.GetExam(ctx, a.ExamID)
	return a, e, err
}

// open reports whether answers are still accepted: in progress and not past the deadline. The
// deadline is exact: there is no grace period, so nothing saved after it can change a result.
func (uc *AttemptUsecase) open(a *Attempt) error {
	if a.Status != AttemptInProgress {
		return &ClosedError{Msg: "答卷已提交"}
	}
	if uc.clock.Now().After(a.Deadline) {
		return &ClosedError{Msg: "已超过作答截止时间，答案未保存"}
	}
	return nil
}

// SaveAnswer autosaves one answer to the caller's open attempt. A save with a version not
// newer than the stored one is refused with a StaleError, so a delayed autosave from another
// device never overwrites a newer answer.
//
// It is the hottest call of an exam (every member, every 30 s), so it costs one statement: the
// answer is validated against the attempt's frozen question shapes, cached per attempt, and
// AttemptRepo.SaveOpenAnswer checks owner, status and deadline and stores in one step. Only a
// refused save reads the attempt again, to say why.
func (uc *AttemptUsecase) SaveAnswer(ctx context.Context, attemptID int64, no int, ans Answer) (int64, time.Duration, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return 0, 0, err
	}
	shape, err := uc.shapeOf(ctx, p, attemptID)
	if err != nil {
		return 0, 0, err
	}
	if no < 1 || no > len(shape.questions) {
		return 0, 0, Invalid("question_no", "题号超出范围")
	}
	if err := validAnswer(shape.questions[no-1], ans); err != nil {
		if !shape.fresh {
			// The cached shape may predate a regrade (a fill-in question's blanks): ask again.
			uc.shapes.forget(attemptID)
			return uc.SaveAnswer(ctx, attemptID, no, ans)
		}
		return 0, 0, err
	}
	now := uc.clock.Now()
	r, err := uc.attempts.SaveOpenAnswer(ctx, attemptID, p.UserID, no, ans, now)
	if err != nil {
		return 0, 0, err
	}
	if !r.Open {
		uc.shapes.forget(attemptID)
		a, err := uc.ownAttempt(ctx, p, attemptID)
		if err != nil {
			return 0, 0, err
		}
		if err := uc.open(a); err != nil {
			return 0, 0, err
		}
		return 0, 0, &ClosedError{Msg: "已超过作答截止时间，答案未保存"}
	}
	if !r.Won {
		return 0, 0, &StaleError{Current: r.Stored}
	}
	return r.Stored, max(0, r.Deadline.Sub(now)), nil
}

// shapeOf returns the caller's attempt's question shapes, from the cache or (then fresh) from the
// attempt; anyone else's attempt is ErrNotFound.
func (uc *AttemptUsecase) shapeOf(ctx context.Context, p *auth.Principal, attemptID int64) (attemptShape, error) {
	if s, ok := uc.shapes.get(attemptID); ok {
		if s.userID != p.UserID {
			return attemptShape{}, ErrNotFound
		}
		return s, nil
	}
	a, err := uc.ownAttempt(ctx, p, attemptID)
	if err != nil {
		return attemptShape{}, err
	}
	if err := uc.open(a); err != nil {
		return attemptShape{}, err
	}
	s := shapeOfAttempt(a)
	uc.shapes.put(attemptID, s)
	s.fresh = true
	return s, nil
}

// shapeOfAttempt keeps only what validAnswer reads: types, option keys, blank counts (no stems,
// no keys).
func shapeOfAttempt(a *Attempt) attemptShape {
	s := attemptShape{userID: a.UserID, questions: make([]SnapQuestion, len(a.Questions))}
	for i, q := range a.Questions {
		s.questions[i] = SnapQuestion{No: q.No, Type: q.Type, Options: optionKeys(q.Options), Blanks: make([][]string, len(q.Blanks))}
	}
	return s
}

func optionKeys(os []Option) []Option {
	out := make([]Option, len(os))
	for i, o := range os {
		out[i] = Option{Key: o.Key}
	}
	return out
}

// attemptShape is what validating an answer needs of an attempt: frozen at its start (a regrade
// may change a fill-in question's blanks; a refusal then asks the database again).
type attemptShape struct {
	userID    int64
	questions []SnapQuestion
	fresh     bool // read from the database for this call
}

// shapeCache is a bounded map of attempt shapes; when full it forgets an arbitrary eighth.
type shapeCache struct {
	mu sync.RWMutex
	m  map[int64]attemptShape
}

// maxShapes bounds the cache: a provincial exam's open attempts per process.
const maxShapes = 50000

func (c *shapeCache) get(id int64) (attemptShape, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	s, ok := c.m[id]
	return s, ok
}

func (c *shapeCache) put(id int64, s attemptShape) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = make(map[int64]attemptShape)
	}
	if len(c.m) >= maxShapes {
		n := 0
		for k := range c.m {
			if n >= maxShapes/8 {
				break
			}
			delete(c.m, k)
			n++
		}
	}
	c.m[id] = s
}

func (c *shapeCache) forget(id int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, id)
}

func validAnswer(q SnapQuestion, a Answer) error {
	switch q.Type {
	case Single, TrueFalse:
		if len(a.Choices) > 1 {
			return Invalid("value.choices", "本题只能选择一个答案")
		}
		fallthrough
	case Multiple:
		for _, c := range a.Choices {
			if !slices.ContainsFunc(q.Options, func(o Option) bool { return o.Key == c }) {
				return Invalid("value.choices", "选项 %q 不存在", c)
			}
		}
	case FillBlank:
		if len(a.Choices) > len(q.Blanks) {
			return Invalid("value.choices", "本题只有 %d 个空", len(q.Blanks))
		}
	}
	return nil
}

// FocusLoss records a client-reported loss of focus on the caller's open attempt.
func (uc *AttemptUsecase) FocusLoss(ctx context.Context, attemptID int64) error {
	p, err := auth.Require(ctx)
	if err != nil {
		return err
	}
	a, err := uc.ownAttempt(ctx, p, attemptID)
	if err != nil {
		return err
	}
	if a.Status != AttemptInProgress {
		return nil
	}
	return uc.attempts.AddFocusLoss(ctx, attemptID)
}

// Submit finalises the caller's attempt. A retry (or a submit racing the autosubmit) returns
// the attempt as it is: one submission, one grade. The attempt is loaded once: this is the call
// everyone makes in the same minute when an exam closes.
func (uc *AttemptUsecase) Submit(ctx context.Context, attemptID int64) (*Attempt, *Exam, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, nil, err
	}
	a, err := uc.ownAttempt(ctx, p, attemptID)
	if err != nil {
		return nil, nil, err
	}
	if a.Status == AttemptInProgress {
		if uc.clock.Now().After(a.Deadline) {
			// Too late to count as the member's submit; the server finalises at the deadline.
			if err := uc.finalise(ctx, a.ID, time.Time{}); err != nil {
				return nil, nil, err
			}
			return uc.Get(ctx, attemptID)
		}
		if err := uc.submit(ctx, a, uc.clock.Now()); err != nil {
			return nil, nil, err
		}
	}
	e, err := uc.exams.GetExam(ctx, a.ExamID)
	return a, e, err
}

// submit moves an in-progress attempt to submitted and queues its grading. Losing the race to
// another submit is fine.
func (uc *AttemptUsecase) submit(ctx context.Context, a *Attempt, at time.Time) error {
	a.Status, a.SubmittedAt = AttemptSubmitted, &at
	err := uc.attempts.Finish(ctx, a, AttemptInProgress)
	if errors.Is(err, ErrConflict) {
		// Someone else (autosubmit, another tab) finished it first: report what is stored.
		stored, gerr := uc.attempts.GetAttempt(ctx, a.ID)
		if gerr != nil {
			return gerr
		}
		*a = *stored
		err = nil
	}
	if err != nil {
		return err
	}
	// The row says "submitted"; if this enqueue is lost the reconciler enqueues again.
	_ = uc.queue.EnqueueGrade(ctx, a.ID)
	return nil
}

// finalise is the server's own submit at the deadline (the autosubmit task and the reconciler):
// whatever was saved by then is the answer sheet.
func (uc *AttemptUsecase) finalise(ctx context.Context, attemptID int64, scheduledFor time.Time) error {
	a, err := uc.attempts.GetAttempt(ctx, attemptID)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		return err
	}
	if a.Status != AttemptInProgress {
		return nil
	}
	if !scheduledFor.IsZero() && a.Deadline.After(scheduledFor) {
		return nil // the deadline was moved later: its own task finalises it
	}
	if uc.clock.Now().Before(a.Deadline) {
		return fmt.Errorf("attempt %d: deadline not reached yet", a.ID) // retried later
	}
	return uc.submit(ctx, a, a.Deadline)
}

// Autosubmit is the quiz:autosubmit work: finalise the attempt at the deadline the task was
// scheduled for (zero: whatever its deadline is); a task for a deadline since moved later does
// nothing.
func (uc *AttemptUsecase) Autosubmit(ctx context.Context, attemptID int64, scheduledFor time.Time) error {
	return uc.finalise(ctx, attemptID, scheduledFor)
}

// gradeBatch is how many submitted attempts one grading transaction takes.
const gradeBatch = 20

// Grade is the quiz:grade work: score a submitted attempt once. Running it again, or after a
// crash half-way, yields the same single result: the status change is conditional, and the
// graded event is written in the same transaction.
//
// At the end of an exam thousands of attempts are submitted at once, so a grading task takes a
// batch: its own attempt and up to gradeBatch-1 other submitted ones that no other transaction
// holds (ClaimSubmitted), all graded in one transaction. The tasks of those others then find
// them graded with one read.
func (uc *AttemptUsecase) Grade(ctx context.Context, attemptID int64) error {
	st, err := uc.attempts.Status(ctx, attemptID)
	if errors.Is(err, ErrNotFound) || (err == nil && st != AttemptSubmitted) {
		return nil // graded already (by another task's batch), or not submitted yet
	}
	if err != nil {
		return err
	}
	exams := map[int64]*Exam{}
	// graded are the submission times of the attempts the current transaction graded: their lag
	// is observed once it committed.
	var graded []time.Time
	// grade scores the batch and writes it: one statement for the grades, one for the events.
	grade := func(ctx context.Context, batch []*Attempt) error {
		now := uc.clock.Now()
		for _, a := range batch {
			e := exams[a.ExamID]
			if e == nil {
				var err error
				if e, err = uc.exams.GetExam(ctx, a.ExamID); err != nil {
					return err
				}
				exams[a.ExamID] = e
			}
			gradeAttempt(a, e.PartialCredit)
			a.Status, a.GradedAt = AttemptGraded, &now
		}
		done, err := uc.attempts.FinishGraded(ctx, batch)
		if err != nil {
			return err
		}
		evs := make([]DomainEvent, 0, len(done))
		for _, a := range batch {
			if done[a.ID] { // the others were graded meanwhile
				evs = append(evs, gradedEvent(a, exams[a.ExamID], false))
				if a.SubmittedAt != nil {
					graded = append(graded, *a.SubmittedAt)
				}
			}
		}
		if len(evs) == 0 {
			return nil
		}
		return uc.events.Publish(ctx, evs...)
	}
	own := false
	err = uc.tx.InTx(ctx, func(ctx context.Context) error {
		graded = graded[:0]
		// Claimed with their rows locked: a regrade that refreshes the keys of an attempt waits
		// for its grade, or the grade skips it while the regrade holds it.
		batch, err := uc.attempts.ClaimSubmitted(ctx, attemptID, gradeBatch)
		if err != nil {
			return err
		}
		for _, a := range batch {
			own = own || a.ID == attemptID
		}
		if len(batch) == 0 {
			return nil
		}
		return grade(ctx, batch)
	})
	if err != nil {
		return err
	}
	uc.observeGraded(graded)
	if own {
		return nil
	}
	// Another transaction held this attempt (another grader, or a regrade). Once the batch has
	// committed (waiting while holding it could deadlock with that other grader), wait for the
	// attempt alone and grade it if it is still submitted.
	err = uc.tx.InTx(ctx, func(ctx context.Context) error {
		graded = graded[:0]
		a, err := uc.attempts.GetAttemptLocked(ctx, attemptID)
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		if err != nil || a.Status != AttemptSubmitted {
			return err
		}
		return grade(ctx, []*Attempt{a})
	})
	if err == nil {
		uc.observeGraded(graded)
	}
	return err
}

// observeGraded tells the grading observer the lag of attempts whose first grade committed
// now: from the submission the database recorded to this moment (never negative, should the
// submitting process's clock run ahead of this one's).
func (uc *AttemptUsecase) observeGraded(submitted []time.Time) {
	if uc.grading == nil {
		return
	}
	now := uc.clock.Now()
	for _, at := range submitted {
		uc.grading.FirstGraded(max(now.Sub(at), 0))
	}
}

// GradedEvent announces a graded attempt ("attempt.graded" in api/quiz/v1/events.proto),
// consumed by study hours and the growth file.
type GradedEvent struct {
	AttemptID   int64      `json:"attempt_id"`
	ExamID      int64      `json:"exam_id"`
	UserID      int64      `json:"user_id"`
	Number      int        `json:"number"`
	Score       *float64   `json:"score"` // nil while essays wait for review
	MaxScore    float64    `json:"max_score"`
	Passed      *bool      `json:"passed"`
	NeedsReview bool       `json:"needs_review"`
	SubmittedAt *time.Time `json:"submitted_at"`
	GradedAt    time.Time  `json:"graded_at"`
	// Regrade is set when a regrade after a key fix changed the score.
	Regrade bool `json:"regrade"`
	// CreditSeconds is the study time the exam credits once when passed (its CreditHours).
	CreditSeconds int64 `json:"credit_seconds"`
}

func (GradedEvent) isDomainEvent() {}

// QuestionChanged announces a created or edited question ("question.changed"), for search.
type QuestionChanged struct {
	QuestionID int64
	BankID     int64
	Version    int
	// OrgPath is the owning org of the bank: who may find the question.
	OrgPath string
	// Archived: the question left its bank (deleted by a manager); search drops it.
	Archived bool
}

func (QuestionChanged) isDomainEvent() {}

// emitGraded publishes the graded event of a (in the caller's transaction).
func emitGraded(ctx context.Context, events Publisher, a *Attempt, e *Exam, regrade bool) error {
	return events.Publish(ctx, gradedEvent(a, e, regrade))
}

// gradedEvent is the graded event of a.
func gradedEvent(a *Attempt, e *Exam, regrade bool) GradedEvent {
	ev := GradedEvent{AttemptID: a.ID, ExamID: a.ExamID, UserID: a.UserID, Number: a.Number, Score: a.Score,
		MaxScore: a.MaxScore, NeedsReview: a.NeedsReview(), SubmittedAt: a.SubmittedAt, GradedAt: *a.GradedAt, Regrade: regrade,
		CreditSeconds: int64(math.Round(e.CreditHours * 3600))}
	if a.Score != nil {
		passed := *a.Score >= e.PassMark
		ev.Passed = &passed
	}
	return ev
}

// ScoreEssay records a trainer's score for an essay; when no essay is left the attempt's total
// is set and a new graded event announces it.
func (uc *AttemptUsecase) ScoreEssay(ctx context.Context, attemptID int64, no int, score float64, comment string) (*Attempt, *Exam, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, nil, err
	}
	var out *Attempt
	var exam *Exam
	err = uc.tx.InTx(ctx, func(ctx context.Context) error {
		a, err := uc.attempts.GetAttempt(ctx, attemptID)
		if err != nil {
			return err
		}
		e, err := uc.exams.GetExam(ctx, a.ExamID)
		if err != nil {
			return err
		}
		if !canManage(p, e.OrgPath) {
			return ErrNotFound
		}
		if a.Status != AttemptGraded {
			return &ClosedError{Msg: "答卷尚未完成客观题评分"}
		}
		if no < 1 || no > len(a.Scores) || a.Questions[no-1].Type != Essay {
			return Invalid("question_no", "该题不是主观题")
		}
		if score < 0 || score > a.Questions[no-1].Points {
			return Invalid("score", "得分应在 0 到本题分值 %.2f 之间", a.Questions[no-1].Points)
		}
		before := a.Score
		a.Scores[no-1] = QScore{No: no, Score: round2(score), Max: a.Questions[no-1].Points, Correct: score >= a.Questions[no-1].Points,
			Comment: comment, GradedBy: p.UserID}
		a.Score = total(a)
		if err := uc.attempts.Finish(ctx, a, AttemptGraded); err != nil {
			return err
		}
		out, exam = a, e
		// A new total (the last essay scored, or a score corrected later) is announced again.
		if !a.NeedsReview() && !sameScore(before, a.Score) {
			return emitGraded(ctx, uc.events, a, e, false)
		}
		return nil
	})
	return out, exam, err
}

// MaxDeadlineAhead bounds how far ahead a manager may set an attempt's deadline.
const MaxDeadlineAhead = 7 * 24 * time.Hour

// SetDeadline is the remedy for a member whose phone died or who needs more time for a good
// reason: the exam's managers give one attempt a later deadline, with a reason, and it is
// audited. An attempt in progress gets more time; a submitted or graded attempt is reopened until
// the new deadline (its scores are cleared, it keeps its answers, and it is graded again once
// finalised; its member sees a notice) unless its results were released to the member, who may
// have seen the keys. The deadline only moves later, so nothing saved in time
// is lost; setting the deadline an attempt in progress already has changes nothing, so a retried
// request never extends twice.
func (uc *AttemptUsecase) SetDeadline(ctx context.Context, attemptID int64, deadline time.Time, reason string) (*Attempt, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return nil, Invalid("reason", "请说明调整作答时间的原因")
	}
	now := uc.clock.Now()
	if !deadline.After(now) {
		return nil, Invalid("deadline", "新的截止时间必须晚于当前时间")
	}
	if deadline.After(now.Add(MaxDeadlineAhead)) {
		return nil, Invalid("deadline", "新的截止时间最多为 7 天后")
	}
	deadline = deadline.UTC().Truncate(time.Second)
	var out *Attempt
	changed := false
	err = uc.tx.InTx(ctx, func(ctx context.Context) error {
		if err := uc.attempts.Lock(ctx, attemptID); err != nil {
			return err
		}
		a, err := uc.attempts.GetAttempt(ctx, attemptID)
		if err != nil {
			return err
		}
		e, err := managedExam(ctx, uc.exams, p, a.ExamID, "无权调整考生的作答时间")
		if err != nil {
			return err
		}
		out = a
		from := a.Status
		action, summary := "attempt.extend", "延长作答时间"
		switch {
		case a.Status == AttemptInProgress && deadline.Equal(a.Deadline):
			return nil // a retry: already done
		case a.Status == AttemptInProgress && deadline.Before(a.Deadline):
			return Invalid("deadline", "只能延后截止时间，不能提前")
		case a.Status == AttemptInProgress:
		case resultsReleased(now, a, e):
			// Its member may have seen the keys: answering again would not be a fair remedy.
			return &ClosedError{Msg: "成绩和答案已向考生公布，不能重新开放本次作答（可另行安排补考）"}
		default: // submitted or graded, results not shown: reopen
			action, summary = "attempt.reopen", "重新开放作答"
			a.Status, a.SubmittedAt, a.GradedAt, a.Score, a.Scores = AttemptInProgress, nil, nil, nil, nil
			a.Notice = fmt.Sprintf("本次作答已由考试管理员重新开放，请在 %s 前完成并提交。", deadline.In(chinaTime).Format("2006-01-02 15:04"))
			if err := uc.attempts.Finish(ctx, a, from); err != nil {
				return err
			}
		}
		old := a.Deadline
		if err := uc.attempts.SetDeadline(ctx, a.ID, deadline); err != nil {
			return err
		}
		a.Deadline, changed = deadline, true
		if uc.audit == nil {
			return nil
		}
		return uc.audit.Record(ctx, AuditEntry{
			Key:     fmt.Sprintf("quiz:%s:%d:%d", action, a.ID, deadline.Unix()),
			ActorID: p.UserID, ActorName: p.Username, ActorOrgPath: p.OrgPath,
			Action: action, TargetType: "attempt", TargetID: a.ID, OrgPath: e.OrgPath,
			Summary: fmt.Sprintf("%s：考试《%s》考生 %d 第 %d 次作答，截止时间 %s → %s。原因：%s", summary, e.Title, a.UserID, a.Number,
				old.In(chinaTime).Format("2006-01-02 15:04:05"), deadline.In(chinaTime).Format("2006-01-02 15:04:05"), reason),
			Before: map[string]any{"status": from, "deadline": old.UTC().Format(time.RFC3339)},
			After:  map[string]any{"status": a.Status, "deadline": deadline.Format(time.RFC3339)},
		})
	})
	if err != nil {
		return nil, err
	}
	if changed {
		// The row holds the new deadline; if this is lost the reconciler finalises it late, and
		// a starting worker schedules it again.
		_ = uc.queue.ScheduleAutosubmit(ctx, out.ID, out.Deadline)
	}
	return out, nil
}

// chinaTime is the time zone of the people reading notices and the audit log.
var chinaTime = time.FixedZone("CST", 8*3600)

// ResultsReleased reports whether the member may see the attempt's score and keys now.
func (uc *AttemptUsecase) ResultsReleased(a *Attempt, e *Exam) bool {
	return resultsReleased(uc.clock.Now(), a, e)
}

// resultsReleased reports whether a's result may be shown to its member at now.
func resultsReleased(now time.Time, a *Attempt, e *Exam) bool {
	if a.Status != AttemptGraded || a.NeedsReview() {
		return false
	}
	switch e.ResultsPolicy {
	case ResultsImmediate:
		return true
	case ResultsAfterClose:
		return !now.Before(e.ClosesAt)
	}
	return false
}

// Remaining is the time left on an attempt.
func (uc *AttemptUsecase) Remaining(a *Attempt) time.Duration {
	if a.Status != AttemptInProgress {
		return 0
	}
	return max(0, a.Deadline.Sub(uc.clock.Now()))
}

// MaxAttemptPage bounds a page of the managers' attempt list.
const MaxAttemptPage = 500

// ListAttempts lists a page of an exam's attempts for its managers, in id order: up to limit
// (default 100, at most MaxAttemptPage) with an id above afterID.
func (uc *AttemptUsecase) ListAttempts(ctx context.Context, examID, afterID int64, limit int) ([]*Attempt, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	if limit <= 0 {
		limit = 100
	}
	if limit > MaxAttemptPage {
		return nil, Invalid("page_size", "每页最多 %d 条", MaxAttemptPage)
	}
	if _, err := managedExam(ctx, uc.exams, p, examID, "无权查看他人答卷"); err != nil {
		return nil, err
	}
	return uc.attempts.PageAttempts(ctx, examID, afterID, limit)
}

// reviewQueueLimit bounds the review queue: the oldest waiting essays first.
const reviewQueueLimit = 500

// ReviewQueue lists graded attempts with essays still waiting for a score, in the exams the
// caller manages (trainers and staff of the owning org or above), oldest submission first, at
// most reviewQueueLimit.
func (uc *AttemptUsecase) ReviewQueue(ctx context.Context) ([]*Attempt, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	if !p.CanAuthor() {
		return nil, deny("只有培训管理员、组织管理员可以阅卷")
	}
	prefix := p.OrgPath
	if p.IsAdmin() {
		prefix = ""
	}
	exams, err := uc.exams.ListManagedExams(ctx, prefix)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, len(exams))
	for i, e := range exams {
		ids[i] = e.ID
	}
	if len(ids) == 0 {
		return nil, nil
	}
	return uc.attempts.PendingReview(ctx, ids, reviewQueueLimit)
}

// MyExam is an exam targeted at the caller with its own attempts.
type MyExam struct {
	Exam     *Exam
	Attempts []*Attempt
	// Released says, per attempt, whether its member may see its result now.
	Released []bool
	// Score is the released final score by the grading method.
	Score *float64
}

// MyExams lists exams targeted at the caller's org chain, newest window first.
func (uc *AttemptUsecase) MyExams(ctx context.Context) ([]*MyExam, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	// The home branch's chain and today's temporary branches' (from the token).
	exams, err := uc.exams.ListExamsForPaths(ctx, p.AncestorPaths(), p.UserID)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(exams, func(a, b *Exam) int { return b.OpensAt.Compare(a.OpensAt) })
	out := make([]*MyExam, 0, len(exams))
	for _, e := range exams {
		m, err := uc.memberExam(ctx, e, p.UserID)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

// memberExam is an exam with the member's attempts, which of them the member may see now, and
// the final score once every graded attempt is released.
func (uc *AttemptUsecase) memberExam(ctx context.Context, e *Exam, userID int64) (*MyExam, error) {
	as, err := uc.attempts.ListAttempts(ctx, e.ID, userID)
	if err != nil {
		return nil, err
	}
	return uc.examOf(e, as), nil
}

// examOf is memberExam with the member's attempts at e (ordered by number) at hand.
func (uc *AttemptUsecase) examOf(e *Exam, as []*Attempt) *MyExam {
	m := &MyExam{Exam: e, Attempts: as, Released: make([]bool, len(as))}
	released := len(as) > 0
	for i, a := range as {
		m.Released[i] = uc.ResultsReleased(a, e)
		released = released && (a.Status != AttemptGraded || m.Released[i])
	}
	if released {
		if s, ok := finalScore(e.GradingMethod, as); ok {
			m.Score = &s
		}
	}
	return m
}

// GrowthService is the one service that reads members' results.
const GrowthService = "growth"

// MemberResults lists the member's exams with a released final score, by exam, to the growth
// service (service credentials): a result its member may not see yet never leaves quiz.
func (uc *AttemptUsecase) MemberResults(ctx context.Context, memberID int64) ([]*MyExam, error) {
	if err := auth.RequireServiceNamed(ctx, GrowthService, "党员的考试成绩"); err != nil {
		return nil, err
	}
	// Two reads whatever the number of exams: the member's attempts, then their exams.
	as, err := uc.attempts.AttemptsOfUser(ctx, memberID)
	if err != nil {
		return nil, err
	}
	byExam := map[int64][]*Attempt{}
	var ids []int64
	for _, a := range as {
		if byExam[a.ExamID] == nil {
			ids = append(ids, a.ExamID)
		}
		byExam[a.ExamID] = append(byExam[a.ExamID], a)
	}
	exams, err := uc.exams.GetExams(ctx, ids) // an exam deleted with its attempts is absent
	if err != nil {
		return nil, err
	}
	var out []*MyExam
	for _, e := range exams {
		if m := uc.examOf(e, byExam[e.ID]); m.Score != nil {
			out = append(out, m)
		}
	}
	return out, nil
}

// RescheduleDeadlines schedules the autosubmit of every open attempt at its deadline again. A
// worker runs it once as it starts: scheduled tasks live in Redis and may have died with it (the
// standalone process's embedded Redis dies with the process), and without them attempts would
// be finalised only by the next reconciler pass, up to a pass interval late. Task ids make it a
// no-op for tasks still queued. It returns how many attempts it scheduled.
func (uc *AttemptUsecase) RescheduleDeadlines(ctx context.Context) (int, error) {
	const page = 1000
	n := 0
	var after int64
	for {
		open, err := uc.attempts.OpenDeadlines(ctx, after, page)
		if err != nil {
			return n, err
		}
		for _, a := range open {
			if err := uc.queue.ScheduleAutosubmit(ctx, a.ID, a.Deadline); err != nil {
				return n, err
			}
			n++
		}
		if len(open) < page {
			return n, nil
		}
		after = open[len(open)-1].ID
	}
}

// Reconcile finalises attempts past their deadline and re-enqueues grading of submitted
// attempts (one part of Quiz.Reconcile).
func (uc *AttemptUsecase) Reconcile(ctx context.Context) error {
	overdue, err := uc.attempts.Overdue(ctx, uc.clock.Now(), 500)
	if err != nil {
		return err
	}
	for _, a := range overdue {
		if err := uc.finalise(ctx, a.ID, time.Time{}); err != nil {
			return err
		}
	}
	ids, err := uc.attempts.Submitted(ctx, 1000)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if err := uc.queue.EnqueueGrade(ctx, id); err != nil {
			return err
		}
	}
	return nil
}

// GradedForBackfill pages over the graded attempts (those with a score) of the exams that credit
// study hours, in (exam, attempt) order after (afterExam, afterAttempt), as the graded events
// they announced: the backfill of a subscriber added later. Services only.
func (uc *AttemptUsecase) GradedForBackfill(ctx context.Context, afterExam, afterAttempt int64, limit int) ([]GradedEvent, error) {
	if _, err := auth.RequireService(ctx); err != nil {
		return nil, err
	}
	if limit <= 0 || limit > 500 {
		limit = 200
	}
	exams, err := uc.exams.ListManagedExams(ctx, "")
	if err != nil {
		return nil, err
	}
	slices.SortFunc(exams, func(a, b *Exam) int { return cmp.Compare(a.ID, b.ID) })
	var out []GradedEvent
	for _, e := range exams {
		if e.CreditHours <= 0 || e.ID < afterExam {
			continue
		}
		after := int64(0)
		if e.ID == afterExam {
			after = afterAttempt
		}
		for len(out) < limit {
			page, err := uc.attempts.PageAttempts(ctx, e.ID, after, limit)
			if err != nil {
				return nil, err
			}
			for _, a := range page {
				after = a.ID
				if a.Score != nil && a.GradedAt != nil && len(out) < limit {
					out = append(out, gradedEvent(a, e, false))
				}
			}
			if len(page) < limit {
				break
			}
		}
		if len(out) >= limit {
			break
		}
	}
	return out, nil
}
