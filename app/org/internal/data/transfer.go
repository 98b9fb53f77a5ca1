package data

import (
	"context"
	"errors"
	"time"

	"github.com/vanguard/vanguard/app/org/internal/biz"
	"github.com/vanguard/vanguard/app/org/internal/data/ent"
	"github.com/vanguard/vanguard/app/org/internal/data/ent/transfer"
)

type transferRepo struct{ data *Data }

// NewTransferRepo returns the transfer repository.
func NewTransferRepo(d *Data) biz.TransferRepo { return &transferRepo{data: d} }

func transferToBiz(t *ent.Transfer) *biz.Transfer {
	return &biz.Transfer{
		ID: t.ID, MemberID: t.MemberID, FromOrgID: t.FromOrgID, ToOrgID: t.ToOrgID, FromPath: t.FromPath, ToPath: t.ToPath,
		Status: string(t.Status), Note: t.Note, StartedBy: t.StartedBy, StartedAt: t.StartedAt,
		DecidedBy: t.DecidedBy, DecidedAt: t.DecidedAt, DecisionNote: t.DecisionNote,
	}
}

func (r *transferRepo) Create(ctx context.Context, t *biz.Transfer) (*biz.Transfer, error) {
	row, err := r.data.client(ctx).Transfer.Create().
		SetMemberID(t.MemberID).SetPendingMember(t.MemberID).SetFromOrgID(t.FromOrgID).SetFromPath(t.FromPath).
		SetToOrgID(t.ToOrgID).SetToPath(t.ToPath).SetStatus(transfer.StatusPending).SetNote(t.Note).
		SetStartedBy(t.StartedBy).SetStartedAt(t.StartedAt).Save(ctx)
	if err != nil {
		err = mapErr("create transfer", err, nil)
		if errors.Is(err, biz.ErrAlreadyExists) {
			return nil, biz.ErrTransferPending
		}
		return nil, err
	}
	return transferToBiz(row), nil
}

func (r *transferRepo) Get(ctx context.Context, id int64) (*biz.Transfer, error) {
	row, err := r.data.client(ctx).Transfer.Get(ctx, id)
	if err != nil {
		return nil, mapErr("get transfer", err, biz.ErrTransferNotFound)
	}
	return transferToBiz(row), nil
}

func (r *transferRepo) Pending(ctx context.Context, memberID int64) (*biz.Transfer, error) {
	row, err := r.data.client(ctx).Transfer.Query().Where(transfer.PendingMember(memberID)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, mapErr("pending transfer", err, nil)
	}
	return transferToBiz(row), nil
}

func (r *transferRepo) Decide(ctx context.Context, id int64, status string, by int64, at time.Time, note string) (*biz.Transfer, error) {
	c := r.data.client(ctx)
	n, err := c.Transfer.Update().Where(transfer.ID(id), transfer.StatusEQ(transfer.StatusPending)).
		SetStatus(transfer.Status(status)).ClearPendingMember().SetDecidedBy(by).SetDecidedAt(at).SetDecisionNote(note).Save(ctx)
	if err != nil {
		return nil, mapErr("decide transfer", err, nil)
	}
	if n == 0 {
		if _, err := r.Get(ctx, id); err != nil {
			return nil, err
		}
		return nil, biz.ErrTransferDecided
	}
	return r.Get(ctx, id)
}

func (r *transferRepo) List(ctx context.Context, f biz.TransferFilter) ([]*biz.Transfer, error) {
	q := r.data.client(ctx).Transfer.Query()
	if f.Incoming {
		q = q.Where(transfer.ToPathHasPrefix(f.PathPrefix))
	} else {
		q = q.Where(transfer.FromPathHasPrefix(f.PathPrefix))
	}
	if f.Status != "" {
		q = q.Where(transfer.StatusEQ(transfer.Status(f.Status)))
	}
	rows, err := q.Order(ent.Desc(transfer.FieldID)).Limit(f.Limit).All(ctx)
	if err != nil {
		return nil, mapErr("list transfers", err, nil)
	}
	out := make([]*biz.Transfer, len(rows))
	for i, t := range rows {
		out[i] = transferToBiz(t)
	}
	return out, nil
}
