package biz

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/vanguard/vanguard/pkg/auth"
)

// DevPlan is an org's annual development guidance plan (发展党员指导性计划): how many new members
// (admitted by a branch general meeting) the org's subtree may take in a year.
type DevPlan struct {
	OrgID   int64
	OrgPath string
	Year    int
	Quota   int
	SetBy   int64
}

// RulePlanQuota names the guidance plan in warnings.
const RulePlanQuota = "plan.quota"

// MaxPlanQuota bounds a year's quota.
const MaxPlanQuota = 100000

// PlanRow is an org's plan against what it admitted.
type PlanRow struct {
	Org      *Org
	Quota    int // 0: no plan
	Admitted int
	// Settable: the caller may set this org's quota (they manage the org above it).
	Settable bool
}

// PlanRepo stores the plans and counts admissions.
type PlanRepo interface {
	// Plans returns the year's plans of orgs whose path starts with prefix, or, with paths, of
	// exactly those orgs.
	Plans(ctx context.Context, year int, prefix string, paths []string) ([]DevPlan, error)
	// SavePlan sets (Quota > 0) or clears (0) an org's plan for a year.
	SavePlan(ctx context.Context, p DevPlan) error
	// Admissions counts the year's admission votes by the org path they were recorded under,
	// for paths under prefix.
	Admissions(ctx context.Context, year int, prefix string) (map[string]int, error)
}

// Plans returns the year's plan against admissions for the org, its children and every org of
// its subtree with a plan, for staff over the org.
func (uc *Development) Plans(ctx context.Context, orgID int64, year int) ([]PlanRow, error) {
	org, err := uc.managed(ctx, orgID, "查看发展党员计划")
	if err != nil {
		return nil, err
	}
	p, _ := requireHome(ctx)
	plans, err := uc.plans.Plans(ctx, year, org.Path, nil)
	if err != nil {
		return nil, err
	}
	counts, err := uc.plans.Admissions(ctx, year, org.Path)
	if err != nil {
		return nil, err
	}
	children, _, err := uc.orgs.ListSubtree(ctx, org.Path, "", 1000)
	if err != nil {
		return nil, err
	}
	ids := []int64{}
	quota := map[int64]int{}
	for _, pl := range plans {
		ids = append(ids, pl.OrgID)
		quota[pl.OrgID] = pl.Quota
	}
	byID, err := uc.orgs.GetMany(ctx, ids)
	if err != nil {
		return nil, err
	}
	byID[org.ID] = org
	for _, c := range children {
		if c.ParentID == org.ID {
			byID[c.ID] = c
		}
	}
	var rows []PlanRow
	for _, o := range byID {
		r := PlanRow{Org: o, Quota: quota[o.ID], Settable: p.CanManageOrg(parentPath(o.Path))}
		for path, n := range counts {
			if strings.HasPrefix(path, o.Path) {
				r.Admitted += n
			}
		}
		rows = append(rows, r)
	}
	slices.SortFunc(rows, func(a, b PlanRow) int { return strings.Compare(a.Org.Path, b.Org.Path) })
	return rows, nil
}

// parentPath is the path of an org's parent ("" for a root).
func parentPath(path string) string {
	ps := auth.AncestorPaths(path)
	if len(ps) < 2 {
		return ""
	}
	return ps[len(ps)-2]
}

// SetPlan sets (quota > 0) or clears (0) an org's plan for a year: the committee above the org
// sets it, so the caller must manage the org's parent (admins for a root org).
func (uc *Development) SetPlan(ctx context.Context, orgID int64, year, quota int) ([]PlanRow, error) {
	p, err := requireHome(ctx)
	if err != nil {
		return nil, err
	}
	org, err := uc.orgs.Get(ctx, orgID)
	if err != nil {
		return nil, err
	}
	parent := parentPath(org.Path)
	switch {
	case parent == "" && !p.IsAdmin(), parent != "" && !p.CanManageOrg(parent):
		if !p.CanManageOrg(org.Path) && !p.InAncestry(org.Path) && !p.HasRole(auth.RoleStaff) {
			return nil, ErrOrgNotFound
		}
		return nil, deny("发展党员指导性计划由上级党委下达")
	case quota < 0 || quota > MaxPlanQuota:
		return nil, Invalid("quota", fmt.Sprintf("取值范围 0–%d", MaxPlanQuota))
	}
	err = uc.tx.InTx(ctx, func(ctx context.Context) error {
		if err := uc.plans.SavePlan(ctx, DevPlan{OrgID: org.ID, OrgPath: org.Path, Year: year, Quota: quota, SetBy: p.UserID}); err != nil {
			return err
		}
		return uc.audit.Record(ctx, AuditEntry{Action: "development.plan", TargetType: "org", TargetID: org.ID, OrgPath: org.Path,
			Summary: fmt.Sprintf("下达 %s %d 年发展党员指导性计划 %d 名", org.Name, year, quota), After: map[string]any{"year": year, "quota": quota}})
	})
	if err != nil {
		return nil, err
	}
	// The caller sees the plans of the org above, where they set it, when they manage it.
	at := org.ID
	if parent != "" {
		if pid := pathIDs(parent); len(pid) > 0 && p.CanManageOrg(parent) {
			at = pid[len(pid)-1]
		}
	}
	return uc.Plans(ctx, at, year)
}

// planChecks says where the member's orgs stand against their plans for the year: one check per
// planned org along the path; over holds the checks of the plans one more admission goes beyond.
func (uc *Development) planChecks(ctx context.Context, memberPath string, year int) (checks, over []RuleCheck, err error) {
	paths := auth.AncestorPaths(memberPath)
	plans, err := uc.plans.Plans(ctx, year, "", paths)
	if err != nil || len(plans) == 0 {
		return nil, nil, err
	}
	slices.SortFunc(plans, func(a, b DevPlan) int { return len(a.OrgPath) - len(b.OrgPath) })
	counts, err := uc.plans.Admissions(ctx, year, plans[0].OrgPath)
	if err != nil {
		return nil, nil, err
	}
	orgs, err := uc.orgs.GetMany(ctx, pathIDs(memberPath))
	if err != nil {
		return nil, nil, err
	}
	for _, pl := range plans {
		n := 0
		for path, c := range counts {
			if strings.HasPrefix(path, pl.OrgPath) {
				n += c
			}
		}
		name := ""
		if o := orgs[pl.OrgID]; o != nil {
			name = o.Name
		}
		if n >= pl.Quota {
			c := RuleCheck{RulePlanQuota, fmt.Sprintf("%s %d 年发展党员指导性计划 %d 名已用完（已接收 %d 名），再接收将超出计划", name, year, pl.Quota, n)}
			checks, over = append(checks, c), append(over, c)
		} else {
			checks = append(checks, RuleCheck{RulePlanQuota, fmt.Sprintf("%s %d 年发展党员指导性计划 %d 名，已接收 %d 名，尚余 %d 名", name, year, pl.Quota, n, pl.Quota-n)})
		}
	}
	return checks, over, nil
}
