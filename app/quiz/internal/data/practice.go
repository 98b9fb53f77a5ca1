package data

import (
	"context"
	"time"

	entsql "entgo.io/ent/dialect/sql"

	"github.com/vanguard/vanguard/app/quiz/internal/biz"
	"github.com/vanguard/vanguard/app/quiz/internal/data/ent"
	"github.com/vanguard/vanguard/app/quiz/internal/data/ent/bank"
	"github.com/vanguard/vanguard/app/quiz/internal/data/ent/question"
	"github.com/vanguard/vanguard/app/quiz/internal/data/ent/wronganswer"
)

type practiceRepo struct{ data *Data }

var _ biz.PracticeRepo = (*practiceRepo)(nil)

// NewPracticeRepo returns the ent-backed practice and wrong-answer book repository.
func NewPracticeRepo(d *Data) biz.PracticeRepo { return &practiceRepo{data: d} }

func (r *practiceRepo) PracticeQuestionIDs(ctx context.Context, orgPaths []string) ([]int64, error) {
	if len(orgPaths) == 0 {
		return nil, nil
	}
	c := r.data.client(ctx)
	banks, err := c.Bank.Query().Where(bank.OrgPathIn(orgPaths...), bank.ExamOnly(false)).IDs(ctx)
	if err != nil || len(banks) == 0 {
		return nil, mapErr("practiceRepo.PracticeQuestionIDs", err, nil)
	}
	ids, err := c.Question.Query().Where(question.BankIDIn(banks...), question.ArchivedAtIsNil()).IDs(ctx)
	return ids, mapErr("practiceRepo.PracticeQuestionIDs", err, nil)
}

func (r *practiceRepo) CreateSession(ctx context.Context, userID int64, qs []biz.SnapQuestion) (int64, error) {
	s, err := r.data.client(ctx).PracticeSession.Create().SetUserID(userID).SetQuestions(qs).Save(ctx)
	if err != nil {
		return 0, mapErr("practiceRepo.CreateSession", err, nil)
	}
	return s.ID, nil
}

func (r *practiceRepo) GetSession(ctx context.Context, id int64) (int64, []biz.SnapQuestion, error) {
	s, err := r.data.client(ctx).PracticeSession.Get(ctx, id)
	if err != nil {
		return 0, nil, mapErr("practiceRepo.GetSession", err, biz.ErrNotFound)
	}
	return s.UserID, s.Questions, nil
}

func (r *practiceRepo) RecordWrong(ctx context.Context, userID, questionID int64, at time.Time) error {
	err := r.data.client(ctx).WrongAnswer.Create().SetUserID(userID).SetQuestionID(questionID).SetWrongCount(1).
		SetLastWrongAt(at.UTC()).SetMastered(false).
		OnConflict(entsql.ConflictColumns(wronganswer.FieldUserID, wronganswer.FieldQuestionID)).
		Update(func(u *ent.WrongAnswerUpsert) {
			u.AddWrongCount(1).SetLastWrongAt(at.UTC()).SetMastered(false).UpdateUpdatedAt()
		}).Exec(ctx)
	return mapErr("practiceRepo.RecordWrong", err, nil)
}

func (r *practiceRepo) SetMastered(ctx context.Context, userID, questionID int64) error {
	err := r.data.client(ctx).WrongAnswer.Create().SetUserID(userID).SetQuestionID(questionID).SetMastered(true).
		OnConflict(entsql.ConflictColumns(wronganswer.FieldUserID, wronganswer.FieldQuestionID)).
		Update(func(u *ent.WrongAnswerUpsert) { u.SetMastered(true).UpdateUpdatedAt() }).Exec(ctx)
	return mapErr("practiceRepo.SetMastered", err, nil)
}

func (r *practiceRepo) ListWrong(ctx context.Context, userID int64) ([]*biz.WrongEntry, error) {
	rows, err := r.data.client(ctx).WrongAnswer.Query().Where(wronganswer.UserID(userID)).Order(ent.Asc(wronganswer.FieldID)).All(ctx)
	if err != nil {
		return nil, mapErr("practiceRepo.ListWrong", err, nil)
	}
	out := make([]*biz.WrongEntry, len(rows))
	for i, w := range rows {
		out[i] = &biz.WrongEntry{UserID: w.UserID, QuestionID: w.QuestionID, WrongCount: w.WrongCount, LastWrongAt: w.LastWrongAt, Mastered: w.Mastered}
	}
	return out, nil
}
