package data

import (
	"context"
	"time"

	entsql "entgo.io/ent/dialect/sql"
	"entgo.io/ent/dialect/sql/sqljson"

	"github.com/vanguard/vanguard/app/quiz/internal/biz"
	"github.com/vanguard/vanguard/app/quiz/internal/data/ent"
	"github.com/vanguard/vanguard/app/quiz/internal/data/ent/bank"
	"github.com/vanguard/vanguard/app/quiz/internal/data/ent/predicate"
	"github.com/vanguard/vanguard/app/quiz/internal/data/ent/question"
)

type bankRepo struct{ data *Data }

var _ biz.BankRepo = (*bankRepo)(nil)

// NewBankRepo returns the ent-backed bank and question repository.
func NewBankRepo(d *Data) biz.BankRepo { return &bankRepo{data: d} }

func bankToBiz(b *ent.Bank) *biz.Bank {
	return &biz.Bank{ID: b.ID, OrgID: b.OrgID, OrgPath: b.OrgPath, Name: b.Name, ExamOnly: b.ExamOnly, CreatedBy: b.CreatedBy}
}

func questionToBiz(q *ent.Question) *biz.Question {
	return &biz.Question{
		ID: q.ID, BankID: q.BankID, Version: q.Version, Type: biz.QType(q.Type), StemHTML: q.StemHTML,
		Options: q.Options, AnswerKeys: q.AnswerKeys, Blanks: q.Blanks, Reference: q.Reference,
		Explanation: q.Explanation, Difficulty: q.Difficulty, Tags: q.Tags, Points: q.Points, Archived: q.ArchivedAt != nil,
	}
}

func questionsToBiz(rows []*ent.Question) []*biz.Question {
	out := make([]*biz.Question, len(rows))
	for i, q := range rows {
		out[i] = questionToBiz(q)
	}
	return out
}

func (r *bankRepo) CreateBank(ctx context.Context, b *biz.Bank) (*biz.Bank, error) {
	row, err := r.data.client(ctx).Bank.Create().SetOrgID(b.OrgID).SetOrgPath(b.OrgPath).SetName(b.Name).
		SetExamOnly(b.ExamOnly).SetCreatedBy(b.CreatedBy).Save(ctx)
	if err != nil {
		return nil, mapErr("bankRepo.CreateBank", err, nil)
	}
	return bankToBiz(row), nil
}

func (r *bankRepo) GetBank(ctx context.Context, id int64) (*biz.Bank, error) {
	c := r.data.client(ctx)
	row, err := c.Bank.Get(ctx, id)
	if err != nil {
		return nil, mapErr("bankRepo.GetBank", err, biz.ErrNotFound)
	}
	out := bankToBiz(row)
	n, err := c.Question.Query().Where(question.BankID(id), question.ArchivedAtIsNil()).Count(ctx)
	if err != nil {
		return nil, mapErr("bankRepo.GetBank: count", err, nil)
	}
	out.QuestionCount = n
	return out, nil
}

func (r *bankRepo) UpdateBank(ctx context.Context, b *biz.Bank) (*biz.Bank, error) {
	if err := r.data.client(ctx).Bank.UpdateOneID(b.ID).SetName(b.Name).SetExamOnly(b.ExamOnly).Exec(ctx); err != nil {
		return nil, mapErr("bankRepo.UpdateBank", err, biz.ErrNotFound)
	}
	return r.GetBank(ctx, b.ID)
}

// DeleteBank deletes only while the bank holds no question, in one statement, so a question
// added meanwhile is never left without its bank.
func (r *bankRepo) DeleteBank(ctx context.Context, id int64) error {
	empty := predicate.Bank(func(s *entsql.Selector) {
		q := entsql.Table(question.Table)
		s.Where(entsql.Not(entsql.Exists(entsql.Select(q.C(question.FieldID)).From(q).Where(entsql.And(
			entsql.ColumnsEQ(q.C(question.FieldBankID), s.C(bank.FieldID)), entsql.IsNull(q.C(question.FieldArchivedAt)))))))
	})
	c := r.data.client(ctx)
	n, err := c.Bank.Delete().Where(bank.ID(id), empty).Exec(ctx)
	if err != nil {
		return mapErr("bankRepo.DeleteBank", err, nil)
	}
	if n > 0 {
		return nil
	}
	ok, err := c.Bank.Query().Where(bank.ID(id)).Exist(ctx)
	switch {
	case err != nil:
		return mapErr("bankRepo.DeleteBank", err, nil)
	case !ok:
		return biz.ErrNotFound
	}
	return biz.ErrBankNotEmpty
}

func (r *bankRepo) ListBanks(ctx context.Context, pathPrefix string) ([]*biz.Bank, error) {
	c := r.data.client(ctx)
	q := c.Bank.Query()
	if pathPrefix != "" {
		q = q.Where(bank.OrgPathGTE(pathPrefix), bank.OrgPathLT(pathPrefix+"\x7f"))
	}
	rows, err := q.Order(ent.Asc(bank.FieldID)).All(ctx)
	if err != nil {
		return nil, mapErr("bankRepo.ListBanks", err, nil)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	ids := make([]int64, len(rows))
	out := make([]*biz.Bank, len(rows))
	byID := make(map[int64]*biz.Bank, len(rows))
	for i, b := range rows {
		ids[i] = b.ID
		out[i] = bankToBiz(b)
		byID[b.ID] = out[i]
	}
	var counts []struct {
		BankID int64 `json:"bank_id"`
		Count  int   `json:"count"`
	}
	err = c.Question.Query().Where(question.BankIDIn(ids...), question.ArchivedAtIsNil()).GroupBy(question.FieldBankID).
		Aggregate(ent.Count()).Scan(ctx, &counts)
	if err != nil {
		return nil, mapErr("bankRepo.ListBanks: counts", err, nil)
	}
	for _, n := range counts {
		if b := byID[n.BankID]; b != nil {
			b.QuestionCount = n.Count
		}
	}
	return out, nil
}

func (r *bankRepo) CreateQuestion(ctx context.Context, q *biz.Question) (*biz.Question, error) {
	row, err := r.data.client(ctx).Question.Create().SetBankID(q.BankID).SetVersion(1).
		SetType(question.Type(q.Type)).SetStemHTML(q.StemHTML).SetOptions(q.Options).SetAnswerKeys(q.AnswerKeys).
		SetBlanks(q.Blanks).SetReference(q.Reference).SetExplanation(q.Explanation).SetDifficulty(q.Difficulty).
		SetTags(q.Tags).SetPoints(q.Points).Save(ctx)
	if err != nil {
		return nil, mapErr("bankRepo.CreateQuestion", err, nil)
	}
	return questionToBiz(row), nil
}

func (r *bankRepo) GetQuestion(ctx context.Context, id int64) (*biz.Question, error) {
	row, err := r.data.client(ctx).Question.Get(ctx, id)
	if err != nil {
		return nil, mapErr("bankRepo.GetQuestion", err, biz.ErrNotFound)
	}
	return questionToBiz(row), nil
}

func (r *bankRepo) GetQuestions(ctx context.Context, ids []int64) ([]*biz.Question, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	rows, err := r.data.client(ctx).Question.Query().Where(question.IDIn(ids...)).Order(ent.Asc(question.FieldID)).All(ctx)
	if err != nil {
		return nil, mapErr("bankRepo.GetQuestions", err, nil)
	}
	return questionsToBiz(rows), nil
}

func (r *bankRepo) ArchiveQuestion(ctx context.Context, id int64) error {
	n, err := r.data.client(ctx).Question.Update().Where(question.ID(id), question.ArchivedAtIsNil()).
		SetArchivedAt(time.Now()).Save(ctx)
	if err != nil {
		return mapErr("bankRepo.ArchiveQuestion", err, nil)
	}
	if n == 0 {
		return biz.ErrNotFound
	}
	return nil
}

// UpdateQuestion replaces the content and bumps the version in one UPDATE (the bank is kept).
func (r *bankRepo) UpdateQuestion(ctx context.Context, q *biz.Question) (*biz.Question, error) {
	row, err := r.data.client(ctx).Question.UpdateOneID(q.ID).Where(question.ArchivedAtIsNil()).AddVersion(1).
		SetType(question.Type(q.Type)).SetStemHTML(q.StemHTML).SetOptions(q.Options).SetAnswerKeys(q.AnswerKeys).
		SetBlanks(q.Blanks).SetReference(q.Reference).SetExplanation(q.Explanation).SetDifficulty(q.Difficulty).
		SetTags(q.Tags).SetPoints(q.Points).Save(ctx)
	if err != nil {
		return nil, mapErr("bankRepo.UpdateQuestion", err, biz.ErrNotFound)
	}
	return questionToBiz(row), nil
}

func (r *bankRepo) QuestionsAfter(ctx context.Context, afterID int64, limit int) ([]*biz.Question, error) {
	rows, err := r.data.client(ctx).Question.Query().Where(question.IDGT(afterID), question.ArchivedAtIsNil()).
		Order(ent.Asc(question.FieldID)).Limit(limit).All(ctx)
	if err != nil {
		return nil, mapErr("bankRepo.QuestionsAfter", err, nil)
	}
	return questionsToBiz(rows), nil
}

func (r *bankRepo) ListQuestions(ctx context.Context, bankID int64) ([]*biz.Question, error) {
	return r.FindQuestions(ctx, bankID, nil, 0, "")
}

func (r *bankRepo) FindQuestions(ctx context.Context, bankID int64, tags []string, difficulty int, typ biz.QType) ([]*biz.Question, error) {
	q := r.data.client(ctx).Question.Query().Where(question.BankID(bankID), question.ArchivedAtIsNil())
	for _, tag := range tags {
		q = q.Where(predicate.Question(func(s *entsql.Selector) {
			s.Where(sqljson.ValueContains(s.C(question.FieldTags), tag))
		}))
	}
	if difficulty != 0 {
		q = q.Where(question.Difficulty(difficulty))
	}
	if typ != "" {
		q = q.Where(question.TypeEQ(question.Type(typ)))
	}
	rows, err := q.Order(ent.Asc(question.FieldID)).All(ctx)
	if err != nil {
		return nil, mapErr("bankRepo.FindQuestions", err, nil)
	}
	return questionsToBiz(rows), nil
}
