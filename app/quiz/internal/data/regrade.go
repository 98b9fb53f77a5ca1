package data

import (
	"context"

	"github.com/vanguard/vanguard/app/quiz/internal/biz"
	"github.com/vanguard/vanguard/app/quiz/internal/data/ent"
	"github.com/vanguard/vanguard/app/quiz/internal/data/ent/regrade"
)

type regradeRepo struct{ data *Data }

var _ biz.RegradeRepo = (*regradeRepo)(nil)

// NewRegradeRepo returns the ent-backed regrade audit trail.
func NewRegradeRepo(d *Data) biz.RegradeRepo { return &regradeRepo{data: d} }

func (r *regradeRepo) Add(ctx context.Context, l *biz.RegradeLog) error {
	row, err := r.data.client(ctx).Regrade.Create().SetExamID(l.ExamID).SetActorID(l.ActorID).SetActorName(l.ActorName).
		SetReason(l.Reason).SetChecked(l.Checked).SetChanged(l.Changed).SetCreatedAt(l.CreatedAt.UTC()).Save(ctx)
	if err != nil {
		return mapErr("regradeRepo.Add", err, nil)
	}
	l.ID = row.ID
	return nil
}

func (r *regradeRepo) List(ctx context.Context, examID int64) ([]*biz.RegradeLog, error) {
	rows, err := r.data.client(ctx).Regrade.Query().Where(regrade.ExamID(examID)).Order(ent.Desc(regrade.FieldID)).All(ctx)
	if err != nil {
		return nil, mapErr("regradeRepo.List", err, nil)
	}
	out := make([]*biz.RegradeLog, len(rows))
	for i, x := range rows {
		out[i] = &biz.RegradeLog{ID: x.ID, ExamID: x.ExamID, ActorID: x.ActorID, ActorName: x.ActorName, Reason: x.Reason,
			Checked: x.Checked, Changed: x.Changed, CreatedAt: x.CreatedAt}
	}
	return out, nil
}
