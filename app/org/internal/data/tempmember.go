package data

import (
	"context"

	"github.com/vanguard/vanguard/app/org/internal/biz"
	"github.com/vanguard/vanguard/app/org/internal/data/ent"
	"github.com/vanguard/vanguard/app/org/internal/data/ent/tempmember"
)

type tempMemberRepo struct{ data *Data }

// NewTempMemberRepo returns the temporary-branch membership repository.
func NewTempMemberRepo(d *Data) biz.TempMemberRepo { return &tempMemberRepo{data: d} }

func tempMembersToBiz(rows []*ent.TempMember) []biz.TempMember {
	out := make([]biz.TempMember, len(rows))
	for i, m := range rows {
		out[i] = biz.TempMember{OrgID: m.OrgID, OrgPath: m.OrgPath, AccountID: m.AccountID, Staff: m.Staff, AddedBy: m.AddedBy}
	}
	return out
}

func (r *tempMemberRepo) Members(ctx context.Context, orgID int64) ([]biz.TempMember, error) {
	rows, err := r.data.client(ctx).TempMember.Query().Where(tempmember.OrgID(orgID)).Order(tempmember.ByAccountID()).All(ctx)
	if err != nil {
		return nil, mapErr("temp members", err, nil)
	}
	return tempMembersToBiz(rows), nil
}

func (r *tempMemberRepo) OfAccount(ctx context.Context, accountID int64) ([]biz.TempMember, error) {
	rows, err := r.data.client(ctx).TempMember.Query().Where(tempmember.AccountID(accountID)).All(ctx)
	if err != nil {
		return nil, mapErr("temp memberships", err, nil)
	}
	return tempMembersToBiz(rows), nil
}

func (r *tempMemberRepo) Replace(ctx context.Context, orgID int64, ms []biz.TempMember) error {
	return r.data.InTx(ctx, func(ctx context.Context) error {
		c := r.data.client(ctx)
		if _, err := c.TempMember.Delete().Where(tempmember.OrgID(orgID)).Exec(ctx); err != nil {
			return mapErr("replace temp members", err, nil)
		}
		if len(ms) == 0 {
			return nil
		}
		bulk := make([]*ent.TempMemberCreate, len(ms))
		for i, m := range ms {
			bulk[i] = c.TempMember.Create().SetOrgID(orgID).SetOrgPath(m.OrgPath).SetAccountID(m.AccountID).SetStaff(m.Staff).SetAddedBy(m.AddedBy)
		}
		return mapErr("replace temp members", c.TempMember.CreateBulk(bulk...).Exec(ctx), nil)
	})
}
