package biz

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/vanguard/vanguard/pkg/auth"
)

// TempMember is an account's membership of a temporary branch.
type TempMember struct {
	OrgID     int64
	OrgPath   string
	AccountID int64
	Staff     bool
	AddedBy   int64
}

// TempMemberRepo stores temporary-branch memberships.
type TempMemberRepo interface {
	Members(ctx context.Context, orgID int64) ([]TempMember, error)
	// Replace makes ms the org's memberships.
	Replace(ctx context.Context, orgID int64, ms []TempMember) error
	// OfAccount lists the account's memberships.
	OfAccount(ctx context.Context, accountID int64) ([]TempMember, error)
}

// MaxTempMembers bounds a temporary branch's members.
const MaxTempMembers = 500

// orgLocation is the organisations' time zone for calendar days.
var orgLocation = func() *time.Location {
	if l, err := time.LoadLocation("Asia/Shanghai"); err == nil {
		return l
	}
	return time.UTC
}()

// UseTempMembers gives the use case its temporary-branch memberships.
func (uc *AccountUsecase) UseTempMembers(repo TempMemberRepo) { uc.temps = repo }

// tempOrg returns the temporary branch the caller manages.
func (uc *AccountUsecase) tempOrg(ctx context.Context, p *auth.Principal, orgID int64) (*Org, error) {
	o, err := uc.orgs.Get(ctx, orgID)
	if err != nil {
		return nil, err
	}
	if !p.CanManageOrg(o.Path) {
		if canSeeOrg(p, o.Path) {
			return nil, deny("只有临时党支部及其上级组织的管理员能管理其成员")
		}
		return nil, ErrOrgNotFound
	}
	if !o.Temporary {
		return nil, Invalid("id", "该组织不是临时党支部")
	}
	return o, nil
}

// TempMembers lists a temporary branch's members with their accounts, for staff over it.
func (uc *AccountUsecase) TempMembers(ctx context.Context, orgID int64) ([]TempMember, map[int64]*Account, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, nil, err
	}
	if _, err := uc.tempOrg(ctx, p, orgID); err != nil {
		return nil, nil, err
	}
	ms, err := uc.temps.Members(ctx, orgID)
	if err != nil {
		return nil, nil, err
	}
	ids := make([]int64, len(ms))
	for i, m := range ms {
		ids[i] = m.AccountID
	}
	accounts, err := uc.accounts.GetMany(ctx, ids)
	return ms, accounts, err
}

// SetTempMembers makes ms the members of a temporary branch. The caller manages the branch, and
// each new member's home org too; making someone the branch's staff (or no longer) is for those
// over the branch. Whoever leaves the branch or its staff has their sessions ended, so their
// tokens lose it at once; new members have it from their next token.
func (uc *AccountUsecase) SetTempMembers(ctx context.Context, orgID int64, ms []TempMember) ([]TempMember, map[int64]*Account, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, nil, err
	}
	if len(ms) > MaxTempMembers {
		return nil, nil, Invalid("members", fmt.Sprintf("最多 %d 人", MaxTempMembers))
	}
	var revs []auth.Revocation
	err = uc.tx.InTx(ctx, func(ctx context.Context) error {
		o, err := uc.tempOrg(ctx, p, orgID)
		if err != nil {
			return err
		}
		cur, err := uc.temps.Members(ctx, o.ID)
		if err != nil {
			return err
		}
		before := map[int64]TempMember{}
		for _, m := range cur {
			before[m.AccountID] = m
		}
		ids := make([]int64, len(ms))
		for i, m := range ms {
			ids[i] = m.AccountID
		}
		accounts, err := uc.accounts.GetMany(ctx, ids)
		if err != nil {
			return err
		}
		overBranch := p.IsAdmin() || (p.HasRole(auth.RoleStaff) && p.InSubtree(parentPath(o.Path)))
		seen := map[int64]bool{}
		for i, m := range ms {
			field := fmt.Sprintf("members[%d]", i)
			a := accounts[m.AccountID]
			old, was := before[m.AccountID]
			switch {
			case seen[m.AccountID]:
				return Invalid(field+".account_id", "重复")
			case a == nil || a.Status != StatusActive:
				return Invalid(field+".account_id", "账号不存在或已停用")
			case !was && !p.CanManageOrg(a.OrgPath):
				return Invalid(field+".account_id", a.DisplayName+" 不在你管理的组织内，不能调入临时党支部")
			case m.Staff != old.Staff && !overBranch:
				return deny("临时党支部的管理员由其上级组织指定")
			}
			seen[m.AccountID] = true
			ms[i].OrgID, ms[i].OrgPath, ms[i].AddedBy = o.ID, o.Path, p.UserID
		}
		if err := uc.temps.Replace(ctx, o.ID, ms); err != nil {
			return err
		}
		// Who left, or left the staff, loses the branch in their tokens now.
		now := uc.audit.clock.Now()
		for id, old := range before {
			i := slices.IndexFunc(ms, func(m TempMember) bool { return m.AccountID == id })
			if i < 0 || (old.Staff && !ms[i].Staff) {
				r, err := uc.tokens.RevokeAccount(ctx, id, now)
				if err != nil {
					return err
				}
				revs = append(revs, r)
			}
		}
		return uc.audit.Record(ctx, AuditEntry{Action: "org.temp_members", TargetType: "org", TargetID: o.ID, OrgPath: o.Path,
			Summary: fmt.Sprintf("调整临时党支部 %s 的成员（%d 人）", o.Name, len(ms)), Before: cur, After: ms})
	})
	if err != nil {
		return nil, nil, err
	}
	for _, r := range revs {
		publishRevocation(ctx, uc.revocations, r)
	}
	return uc.TempMembers(ctx, orgID)
}

// ActiveTemp is a temporary branch running today that an account belongs to.
type ActiveTemp struct {
	Org   *Org
	Staff bool // the account serves as its staff
}

// ActiveTempBranches are the temporary branches running today that the account belongs to.
func (uc *AccountUsecase) ActiveTempBranches(ctx context.Context, accountID int64) ([]ActiveTemp, error) {
	if uc.temps == nil {
		return nil, nil
	}
	ms, err := uc.temps.OfAccount(ctx, accountID)
	if err != nil || len(ms) == 0 {
		return nil, err
	}
	ids := make([]int64, len(ms))
	for i, m := range ms {
		ids[i] = m.OrgID
	}
	orgs, err := uc.orgs.GetMany(ctx, ids)
	if err != nil {
		return nil, err
	}
	today := DateOf(uc.audit.clock.Now(), orgLocation).String()
	var out []ActiveTemp
	for _, m := range ms {
		if o := orgs[m.OrgID]; o != nil && o.ActiveOn(today) {
			out = append(out, ActiveTemp{Org: o, Staff: m.Staff})
		}
	}
	return out, nil
}

// ActiveTempPaths are the paths of ActiveTempBranches: every one, and those the account serves
// as staff.
func (uc *AccountUsecase) ActiveTempPaths(ctx context.Context, accountID int64) (member, staff []string, err error) {
	ts, err := uc.ActiveTempBranches(ctx, accountID)
	member, staff = tempPathsOf(ts)
	return member, staff, err
}

// tempPathsOf splits temporary branches into the paths of all and of those served as staff.
func tempPathsOf(ts []ActiveTemp) (member, staff []string) {
	for _, t := range ts {
		member = append(member, t.Org.Path)
		if t.Staff {
			staff = append(staff, t.Org.Path)
		}
	}
	return member, staff
}

// SetTempBranches makes signed tokens carry the account's temporary branches, and Me list them
// (see AccountUsecase.ActiveTempBranches).
func (uc *AuthUsecase) SetTempBranches(f func(ctx context.Context, accountID int64) ([]ActiveTemp, error)) {
	uc.tempBranches = f
}

// TempBranchesOf lists the account's temporary branches running today (none when the service
// has no temporary branches wired).
func (uc *AuthUsecase) TempBranchesOf(ctx context.Context, accountID int64) ([]ActiveTemp, error) {
	if uc.tempBranches == nil {
		return nil, nil
	}
	return uc.tempBranches(ctx, accountID)
}
