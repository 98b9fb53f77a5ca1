package biz

import (
	"context"
	"fmt"
	"time"
)

// Graded is quiz's attempt.graded event as studyhour reads it.
type Graded struct {
	AttemptID, ExamID, MemberID int64
	// Passed is nil while essays wait for review.
	Passed   *bool
	Regrade  bool
	GradedAt time.Time
	// CreditSeconds is what the exam credits once when passed.
	CreditSeconds int64
}

// ApplyGraded credits an exam's hours the first time any of a member's attempts passes it, and
// reverses the credit when a regrade leaves no passing attempt. It runs inside the event's
// inbox transaction (at most once per event); an event older than the attempt's stored grading
// changes nothing, and the net credit per exam and member is never more than once.
func (uc *Study) ApplyGraded(ctx context.Context, g Graded) error {
	if g.Passed == nil || g.MemberID <= 0 || g.ExamID <= 0 {
		return nil // not graded to a result yet
	}
	m, err := uc.store.LockMember(ctx, g.MemberID)
	if err != nil {
		return err
	}
	stored, err := uc.store.SaveExamAttempt(ctx, ExamAttempt{AttemptID: g.AttemptID, ExamID: g.ExamID, MemberID: g.MemberID, Passed: *g.Passed, GradedAt: g.GradedAt})
	if err != nil || !stored {
		return err
	}
	passed, err := uc.store.ExamPassed(ctx, g.MemberID, g.ExamID)
	if err != nil {
		return err
	}
	credited, err := uc.store.ExamCredit(ctx, g.MemberID, g.ExamID)
	if err != nil {
		return err
	}
	var seconds int64
	var ref string
	switch {
	case passed && credited == 0 && g.CreditSeconds > 0:
		seconds, ref = g.CreditSeconds, fmt.Sprintf("exam:%d/attempt:%d", g.ExamID, g.AttemptID)
	case !passed && credited > 0:
		seconds, ref = -credited, fmt.Sprintf("exam:%d/attempt:%d/reversal", g.ExamID, g.AttemptID)
	default:
		return nil
	}
	now := uc.clock.Now()
	e, err := uc.append(ctx, m, Entry{Source: SourceExam, Seconds: seconds, Day: uc.day(g.GradedAt), Ref: ref, RecordedAt: now})
	if err != nil {
		return err
	}
	if err := uc.store.SaveMember(ctx, m); err != nil {
		return err
	}
	if err := uc.store.SetExamCredit(ctx, g.MemberID, g.ExamID, credited+seconds); err != nil {
		return err
	}
	return uc.events.Publish(ctx, HoursCredited{Entry: e})
}

// BackfillExams applies the graded attempts quiz holds (those graded before studyhour subscribed,
// and any since: applying is idempotent), a page per transaction with the cursor saved in it, so
// a crash resumes where it stopped; it returns how many it applied. Once it reached the end it
// does nothing (the events keep studyhour current from then on).
func (uc *Study) BackfillExams(ctx context.Context, src ExamSource) (int, error) {
	const name, page = "quiz.attempt.graded", 200
	n := 0
	for {
		cur, err := uc.store.GetCursor(ctx, name)
		if err != nil || cur.Done {
			return n, err
		}
		gs, err := src.GradedAttempts(ctx, cur.AfterA, cur.AfterB, page)
		if err != nil {
			return n, err
		}
		err = uc.tx.InTx(ctx, func(ctx context.Context) error {
			for _, g := range gs {
				if err := uc.ApplyGraded(ctx, g); err != nil {
					return err
				}
				cur.AfterA, cur.AfterB = g.ExamID, g.AttemptID
			}
			cur.Done = len(gs) < page
			return uc.store.SaveCursor(ctx, name, cur)
		})
		if err != nil {
			return n, err
		}
		n += len(gs)
	}
}
