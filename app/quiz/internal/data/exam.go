package data

import (
	"context"
	"fmt"
	"time"

	entsql "entgo.io/ent/dialect/sql"

	"github.com/vanguard/vanguard/app/quiz/internal/biz"
	"github.com/vanguard/vanguard/app/quiz/internal/data/ent"
	"github.com/vanguard/vanguard/app/quiz/internal/data/ent/attempt"
	"github.com/vanguard/vanguard/app/quiz/internal/data/ent/exam"
	"github.com/vanguard/vanguard/app/quiz/internal/data/ent/examtarget"
	"github.com/vanguard/vanguard/app/quiz/internal/data/ent/paper"
	"github.com/vanguard/vanguard/app/quiz/internal/data/ent/predicate"
)

type paperRepo struct{ data *Data }

var _ biz.PaperRepo = (*paperRepo)(nil)

// NewPaperRepo returns the ent-backed paper repository.
func NewPaperRepo(d *Data) biz.PaperRepo { return &paperRepo{data: d} }

func paperToBiz(p *ent.Paper) *biz.Paper {
	return &biz.Paper{ID: p.ID, OrgPath: p.OrgPath, Title: p.Title, Items: p.Items, Rules: p.Rules, CreatedBy: p.CreatedBy}
}

func (r *paperRepo) CreatePaper(ctx context.Context, p *biz.Paper) (*biz.Paper, error) {
	row, err := r.data.client(ctx).Paper.Create().SetOrgPath(p.OrgPath).SetTitle(p.Title).SetItems(p.Items).
		SetRules(p.Rules).SetCreatedBy(p.CreatedBy).Save(ctx)
	if err != nil {
		return nil, mapErr("paperRepo.CreatePaper", err, nil)
	}
	return paperToBiz(row), nil
}

func (r *paperRepo) GetPaper(ctx context.Context, id int64) (*biz.Paper, error) {
	row, err := r.data.client(ctx).Paper.Get(ctx, id)
	if err != nil {
		return nil, mapErr("paperRepo.GetPaper", err, biz.ErrNotFound)
	}
	return paperToBiz(row), nil
}

// unused holds for papers no exam uses.
var unused = predicate.Paper(func(s *entsql.Selector) {
	e := entsql.Table(exam.Table)
	s.Where(entsql.Not(entsql.Exists(entsql.Select(e.C(exam.FieldID)).From(e).Where(entsql.ColumnsEQ(e.C(exam.FieldPaperID), s.C(paper.FieldID))))))
})

func (r *paperRepo) UpdatePaper(ctx context.Context, p *biz.Paper, content bool) (*biz.Paper, error) {
	c := r.data.client(ctx)
	u := c.Paper.Update().Where(paper.ID(p.ID)).SetTitle(p.Title)
	if content {
		u = u.Where(unused).SetItems(p.Items).SetRules(p.Rules)
	}
	n, err := u.Save(ctx)
	if err != nil {
		return nil, mapErr("paperRepo.UpdatePaper", err, nil)
	}
	if n == 0 {
		return nil, r.whyNot(ctx, p.ID)
	}
	return r.GetPaper(ctx, p.ID)
}

func (r *paperRepo) DeletePaper(ctx context.Context, id int64) error {
	n, err := r.data.client(ctx).Paper.Delete().Where(paper.ID(id), unused).Exec(ctx)
	if err != nil {
		return mapErr("paperRepo.DeletePaper", err, nil)
	}
	if n == 0 {
		return r.whyNot(ctx, id)
	}
	return nil
}

// whyNot explains a conditional write that touched no paper: missing, or in use.
func (r *paperRepo) whyNot(ctx context.Context, id int64) error {
	ok, err := r.data.client(ctx).Paper.Query().Where(paper.ID(id)).Exist(ctx)
	switch {
	case err != nil:
		return mapErr("paperRepo", err, nil)
	case !ok:
		return biz.ErrNotFound
	}
	return biz.ErrPaperInUse
}

func (r *paperRepo) ListManagedPapers(ctx context.Context, prefix string) ([]*biz.Paper, error) {
	q := r.data.client(ctx).Paper.Query()
	if prefix != "" {
		q = q.Where(paper.OrgPathHasPrefix(prefix))
	}
	rows, err := q.Order(ent.Desc(paper.FieldID)).All(ctx)
	if err != nil {
		return nil, mapErr("paperRepo.ListManagedPapers", err, nil)
	}
	out := make([]*biz.Paper, len(rows))
	for i, p := range rows {
		out[i] = paperToBiz(p)
	}
	return out, nil
}

type examRepo struct{ data *Data }

var _ biz.ExamRepo = (*examRepo)(nil)

// NewExamRepo returns the ent-backed exam repository.
func NewExamRepo(d *Data) biz.ExamRepo { return &examRepo{data: d} }

func examToBiz(e *ent.Exam) *biz.Exam {
	return &biz.Exam{
		ID: e.ID, PaperID: e.PaperID, OrgPath: e.OrgPath, Title: e.Title, OpensAt: e.OpensAt, ClosesAt: e.ClosesAt,
		Duration: time.Duration(e.DurationSeconds) * time.Second, AttemptsAllowed: e.AttemptsAllowed,
		GradingMethod: e.GradingMethod, PassMark: e.PassMark, ShuffleQuestions: e.ShuffleQuestions,
		ShuffleOptions: e.ShuffleOptions, ResultsPolicy: e.ResultsPolicy, PartialCredit: e.PartialCredit,
		CreditHours: e.CreditHours, CreatedBy: e.CreatedBy, QuestionCount: e.QuestionCount, TotalPoints: e.TotalPoints,
	}
}

// CreateExam writes the exam and its targets in one transaction (joining the caller's, if any).
func (r *examRepo) CreateExam(ctx context.Context, e *biz.Exam) (*biz.Exam, error) {
	if len(e.TargetOrgIDs) != len(e.TargetPaths) {
		return nil, fmt.Errorf("examRepo.CreateExam: %d target ids but %d paths", len(e.TargetOrgIDs), len(e.TargetPaths))
	}
	var out *biz.Exam
	err := r.data.InTx(ctx, func(ctx context.Context) error {
		c := r.data.client(ctx)
		row, err := c.Exam.Create().SetPaperID(e.PaperID).SetOrgPath(e.OrgPath).SetTitle(e.Title).
			SetOpensAt(e.OpensAt.UTC()).SetClosesAt(e.ClosesAt.UTC()).SetDurationSeconds(int64(e.Duration / time.Second)).
			SetAttemptsAllowed(e.AttemptsAllowed).SetGradingMethod(e.GradingMethod).SetPassMark(e.PassMark).
			SetShuffleQuestions(e.ShuffleQuestions).SetShuffleOptions(e.ShuffleOptions).SetResultsPolicy(e.ResultsPolicy).
			SetPartialCredit(e.PartialCredit).SetCreditHours(e.CreditHours).SetCreatedBy(e.CreatedBy).SetQuestionCount(e.QuestionCount).
			SetTotalPoints(e.TotalPoints).Save(ctx)
		if err != nil {
			return err
		}
		var creates []*ent.ExamTargetCreate
		for i, id := range e.TargetOrgIDs {
			creates = append(creates, c.ExamTarget.Create().SetExamID(row.ID).SetOrgID(id).SetOrgPath(e.TargetPaths[i]))
		}
		for _, uid := range e.TargetUserIDs {
			creates = append(creates, c.ExamTarget.Create().SetExamID(row.ID).SetUserID(uid))
		}
		if len(creates) > 0 {
			if err := c.ExamTarget.CreateBulk(creates...).Exec(ctx); err != nil {
				return err
			}
		}
		out = examToBiz(row)
		out.TargetOrgIDs = append([]int64(nil), e.TargetOrgIDs...)
		out.TargetPaths = append([]string(nil), e.TargetPaths...)
		out.TargetUserIDs = append([]int64(nil), e.TargetUserIDs...)
		return nil
	})
	if err != nil {
		return nil, mapErr("examRepo.CreateExam", err, nil)
	}
	return out, nil
}

// noAttempts holds for an exam without attempts; UpdateExam and DeleteExam test it in their own
// statement, so an attempt started meanwhile is never left under changed settings.
var noAttempts = predicate.Exam(func(s *entsql.Selector) {
	t := entsql.Table(attempt.Table)
	s.Where(entsql.Not(entsql.Exists(entsql.Select(t.C(attempt.FieldID)).From(t).Where(entsql.ColumnsEQ(t.C(attempt.FieldExamID), s.C(exam.FieldID))))))
})

// whyNot tells apart a missing exam (ErrNotFound) and one with attempts (ErrConflict) after a
// conditional write changed nothing.
func (r *examRepo) whyNot(ctx context.Context, op string, id int64) error {
	ok, err := r.data.client(ctx).Exam.Query().Where(exam.ID(id)).Exist(ctx)
	if err != nil {
		return mapErr(op, err, nil)
	}
	if !ok {
		return biz.ErrNotFound
	}
	return biz.ErrConflict
}

func (r *examRepo) UpdateExam(ctx context.Context, e *biz.Exam) (*biz.Exam, error) {
	n, err := r.data.client(ctx).Exam.Update().Where(exam.ID(e.ID), noAttempts).SetTitle(e.Title).
		SetOpensAt(e.OpensAt.UTC()).SetClosesAt(e.ClosesAt.UTC()).SetDurationSeconds(int64(e.Duration / time.Second)).
		SetAttemptsAllowed(e.AttemptsAllowed).SetGradingMethod(e.GradingMethod).SetPassMark(e.PassMark).
		SetShuffleQuestions(e.ShuffleQuestions).SetShuffleOptions(e.ShuffleOptions).SetResultsPolicy(e.ResultsPolicy).
		SetPartialCredit(e.PartialCredit).SetCreditHours(e.CreditHours).Save(ctx)
	if err != nil {
		return nil, mapErr("examRepo.UpdateExam", err, nil)
	}
	if n == 0 {
		return nil, r.whyNot(ctx, "examRepo.UpdateExam", e.ID)
	}
	return r.GetExam(ctx, e.ID)
}

func (r *examRepo) DeleteExam(ctx context.Context, id int64) error {
	return r.data.InTx(ctx, func(ctx context.Context) error {
		c := r.data.client(ctx)
		n, err := c.Exam.Delete().Where(exam.ID(id), noAttempts).Exec(ctx)
		if err != nil {
			return mapErr("examRepo.DeleteExam", err, nil)
		}
		if n == 0 {
			return r.whyNot(ctx, "examRepo.DeleteExam", id)
		}
		_, err = c.ExamTarget.Delete().Where(examtarget.ExamID(id)).Exec(ctx)
		return mapErr("examRepo.DeleteExam: targets", err, nil)
	})
}

func (r *examRepo) GetExam(ctx context.Context, id int64) (*biz.Exam, error) {
	row, err := r.data.client(ctx).Exam.Get(ctx, id)
	if err != nil {
		return nil, mapErr("examRepo.GetExam", err, biz.ErrNotFound)
	}
	out := []*biz.Exam{examToBiz(row)}
	if err := r.fillTargets(ctx, out); err != nil {
		return nil, mapErr("examRepo.GetExam: targets", err, nil)
	}
	return out[0], nil
}

func (r *examRepo) GetExams(ctx context.Context, ids []int64) ([]*biz.Exam, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	return r.list(ctx, "examRepo.GetExams", r.data.client(ctx).Exam.Query().Where(exam.IDIn(ids...)))
}

// list runs q in id order and returns its exams with their targets.
func (r *examRepo) list(ctx context.Context, op string, q *ent.ExamQuery) ([]*biz.Exam, error) {
	rows, err := q.Order(ent.Asc(exam.FieldID)).All(ctx)
	if err != nil {
		return nil, mapErr(op, err, nil)
	}
	out := make([]*biz.Exam, len(rows))
	for i, e := range rows {
		out[i] = examToBiz(e)
	}
	if err := r.fillTargets(ctx, out); err != nil {
		return nil, mapErr(op+": targets", err, nil)
	}
	return out, nil
}

// ListExamsForPaths lists, by id, the exams with a target whose org path is one of paths, or
// that target the user (userID > 0) individually.
func (r *examRepo) ListExamsForPaths(ctx context.Context, paths []string, userID int64) ([]*biz.Exam, error) {
	if len(paths) == 0 && userID <= 0 {
		return nil, nil
	}
	args := make([]any, len(paths))
	for i, p := range paths {
		args[i] = p
	}
	return r.list(ctx, "examRepo.ListExamsForPaths", r.data.client(ctx).Exam.Query().Where(predicate.Exam(func(s *entsql.Selector) {
		t := entsql.Table(examtarget.Table)
		var match []*entsql.Predicate
		if len(args) > 0 {
			match = append(match, entsql.In(t.C(examtarget.FieldOrgPath), args...))
		}
		if userID > 0 {
			match = append(match, entsql.EQ(t.C(examtarget.FieldUserID), userID))
		}
		s.Where(entsql.In(s.C(exam.FieldID), entsql.Select(t.C(examtarget.FieldExamID)).From(t).Where(entsql.Or(match...))))
	})))
}

// ListManagedExams lists exams owned by orgs whose path starts with prefix ("" = all).
func (r *examRepo) ListManagedExams(ctx context.Context, prefix string) ([]*biz.Exam, error) {
	q := r.data.client(ctx).Exam.Query()
	if prefix != "" {
		q = q.Where(exam.OrgPathGTE(prefix), exam.OrgPathLT(prefix+"\x7f"))
	}
	return r.list(ctx, "examRepo.ListManagedExams", q)
}

// fillTargets loads the targets of exams, in insertion order, with one query.
func (r *examRepo) fillTargets(ctx context.Context, exams []*biz.Exam) error {
	if len(exams) == 0 {
		return nil
	}
	ids := make([]int64, len(exams))
	byID := make(map[int64]*biz.Exam, len(exams))
	for i, e := range exams {
		ids[i] = e.ID
		byID[e.ID] = e
	}
	targets, err := r.data.client(ctx).ExamTarget.Query().Where(examtarget.ExamIDIn(ids...)).
		Order(ent.Asc(examtarget.FieldID)).All(ctx)
	if err != nil {
		return err
	}
	for _, t := range targets {
		e := byID[t.ExamID]
		if t.UserID > 0 {
			e.TargetUserIDs = append(e.TargetUserIDs, t.UserID)
			continue
		}
		e.TargetOrgIDs = append(e.TargetOrgIDs, t.OrgID)
		e.TargetPaths = append(e.TargetPaths, t.OrgPath)
	}
	return nil
}
