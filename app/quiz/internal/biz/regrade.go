package biz

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/vanguard/vanguard/pkg/auth"
)

// RegradeResult says what a regrade did.
type RegradeResult struct {
	Checked int // attempts looked at
	Changed int // attempts whose total changed
}

// Regrade applies the current answer keys of an exam's questions (after a trainer fixed a key)
// to every attempt: snapshots keep their stems and option order, but take the new key (mapped
// to each attempt's option labels) and accepted blanks; graded attempts are re-scored (essay
// scores kept). An attempt whose total changes gets a notice and a new graded event. The regrade
// itself is recorded with who, why and how many changed, in quiz's trail and in the shared audit
// log.
func (uc *RegradeUsecase) Regrade(ctx context.Context, examID int64, reason string) (*RegradeResult, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return nil, Invalid("reason", "请说明重新评分的原因（如更正了哪道题的答案）")
	}
	e, err := managedExam(ctx, uc.exams, p, examID, "无权重新评分")
	if err != nil {
		return nil, err
	}
	res := &RegradeResult{}
	err = uc.tx.InTx(ctx, func(ctx context.Context) error {
		list, err := uc.attempts.ListAttempts(ctx, examID, 0)
		if err != nil {
			return err
		}
		current := map[int64]*Question{}
		for _, summary := range list {
			if err := uc.attempts.Lock(ctx, summary.ID); err != nil {
				return err
			}
			a, err := uc.attempts.GetAttempt(ctx, summary.ID)
			if err != nil {
				return err
			}
			res.Checked++
			var ids []int64
			for _, q := range a.Questions {
				if current[q.QuestionID] == nil {
					ids = append(ids, q.QuestionID)
				}
			}
			if len(ids) > 0 {
				qs, err := uc.banks.GetQuestions(ctx, ids)
				if err != nil {
					return err
				}
				for _, q := range qs {
					current[q.ID] = q
				}
			}
			if !refreshKeys(a, current) {
				continue
			}
			before := a.Score
			if a.Status == AttemptGraded {
				essays := map[int]QScore{}
				for _, s := range a.Scores {
					if a.Questions[s.No-1].Type == Essay {
						essays[s.No] = s
					}
				}
				gradeAttempt(a, e.PartialCredit)
				for no, s := range essays {
					a.Scores[no-1] = s
				}
				a.Score = total(a)
			}
			changed := a.Status == AttemptGraded && !sameScore(before, a.Score)
			if changed {
				a.Notice = fmt.Sprintf("因题目答案更正，本次作答已重新评分：原得分 %s，现得分 %s。", fmtScore(before), fmtScore(a.Score))
				res.Changed++
			}
			if err := uc.attempts.UpdateQuestions(ctx, a.ID, a.Questions); err != nil {
				return err
			}
			if err := uc.attempts.Finish(ctx, a, a.Status); err != nil {
				return err
			}
			if changed && a.Score != nil {
				if err := emitGraded(ctx, uc.events, a, e, true); err != nil {
					return err
				}
			}
		}
		trail := &RegradeLog{ExamID: examID, ActorID: p.UserID, ActorName: p.Username, Reason: reason,
			Checked: res.Checked, Changed: res.Changed, CreatedAt: uc.clock.Now()}
		if err := uc.regrades.Add(ctx, trail); err != nil {
			return err
		}
		if uc.audit == nil {
			return nil
		}
		// The shared audit log's entry is recorded with the regrade, in its transaction: it
		// exists exactly when the regrade committed, and reaches the log after the commit (later,
		// if org is unreachable then). Keyed by the trail row, a retry cannot duplicate it.
		return uc.audit.Record(ctx, AuditEntry{
			Key: fmt.Sprintf("quiz:regrade:%d", trail.ID), ActorID: p.UserID, ActorName: p.Username, ActorOrgPath: p.OrgPath,
			Action: "exam.regrade", TargetType: "exam", TargetID: examID, OrgPath: e.OrgPath,
			Summary: fmt.Sprintf("重新评分考试《%s》：检查 %d 份作答，%d 份得分变化。原因：%s", e.Title, res.Checked, res.Changed, reason),
			After:   map[string]any{"reason": reason, "checked": res.Checked, "changed": res.Changed},
		})
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// Regrades lists an exam's regrade audit trail, newest first, for its managers.
func (uc *RegradeUsecase) Regrades(ctx context.Context, examID int64) ([]*RegradeLog, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := managedExam(ctx, uc.exams, p, examID, "无权查看重新评分记录"); err != nil {
		return nil, err
	}
	return uc.regrades.List(ctx, examID)
}

// refreshKeys copies the current keys of a's questions into its snapshot, translating option keys
// to the attempt's own labels through the option text. It reports whether anything changed.
func refreshKeys(a *Attempt, current map[int64]*Question) bool {
	any := false
	for i, sq := range a.Questions {
		q := current[sq.QuestionID]
		if q == nil || q.Type != sq.Type || q.Version == sq.Version {
			continue
		}
		changed := false
		switch sq.Type {
		case Single, Multiple:
			htmlOf := map[string]string{}
			for _, o := range q.Options {
				htmlOf[o.Key] = o.HTML
			}
			var keys []string
			ok := true
			for _, k := range q.AnswerKeys {
				idx := slices.IndexFunc(sq.Options, func(o Option) bool { return o.HTML == htmlOf[k] })
				if idx < 0 {
					ok = false // the options themselves changed: keep the attempt's key
					break
				}
				keys = append(keys, sq.Options[idx].Key)
			}
			if ok {
				slices.Sort(keys)
				if !slices.Equal(keys, sq.AnswerKeys) {
					a.Questions[i].AnswerKeys, changed = keys, true
				}
			}
		case TrueFalse:
			if !slices.Equal(q.AnswerKeys, sq.AnswerKeys) {
				a.Questions[i].AnswerKeys, changed = slices.Clone(q.AnswerKeys), true
			}
		case FillBlank:
			if fmt.Sprint(q.Blanks) != fmt.Sprint(sq.Blanks) {
				a.Questions[i].Blanks, changed = q.Blanks, true
			}
		}
		if changed {
			a.Questions[i].Version = q.Version
			any = true
		}
	}
	return any
}

func sameScore(a, b *float64) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

func fmtScore(s *float64) string {
	if s == nil {
		return "待评"
	}
	return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.2f", *s), "0"), ".")
}
