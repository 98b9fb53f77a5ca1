package biz

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/vanguard/vanguard/pkg/sheet"
)

// UnitReport is one org's year in a report: its own members (not those of orgs below it).
type UnitReport struct {
	Org          Org
	Members, Met int
	TotalSeconds int64
}

// Shortfall is a member below their target.
type Shortfall struct {
	Person
	OrgName  string
	Seconds  int64
	Target   int64
	Refusals int64
}

// HoursReport is a subtree's year for its staff.
type HoursReport struct {
	Org     Org
	Year    int
	Members int
	Met     int
	Units   []UnitReport
	Below   []Shortfall
}

// Report compiles the year (0: this year) of every member in the org's subtree against the target
// in force for them (their org and role), for staff over the org: completion per org, who is below
// target (most missing first, with their refused heartbeats).
func (uc *Rules) Report(ctx context.Context, orgID int64, year int) (*HoursReport, error) {
	root, err := uc.managed(ctx, orgID, "查看学时报表")
	if err != nil {
		return nil, err
	}
	from, _, err := uc.study.yearSpan(year)
	if err != nil {
		return nil, err
	}
	year = from.Year()
	orgs, err := uc.orgs.Subtree(ctx, orgID)
	if err != nil {
		return nil, err
	}
	people, err := uc.study.accounts.Members(ctx, orgID)
	if err != nil {
		return nil, err
	}
	paths := make([]string, 0, len(orgs)+1)
	paths = append(paths, root.Path)
	units := map[string]*UnitReport{}
	for _, o := range orgs {
		paths = append(paths, o.Path)
		units[o.Path] = &UnitReport{Org: o}
	}
	rs, err := uc.study.ruleSet(ctx, paths...)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, len(people))
	for i, p := range people {
		ids[i] = p.ID
	}
	totals, err := uc.study.store.YearTotals(ctx, ids, year)
	if err != nil {
		return nil, err
	}
	out := &HoursReport{Org: *root, Year: year, Members: len(people)}
	var below []int64
	for _, p := range people {
		u := units[p.OrgPath]
		if u == nil { // an org the listing of orgs did not include (moved meanwhile)
			u = &UnitReport{Org: Org{ID: p.OrgID, Path: p.OrgPath, Name: p.OrgPath}}
			units[p.OrgPath] = u
		}
		target := rs.Effective(p.OrgPath, TargetKey(p.Role()))
		u.Members++
		u.TotalSeconds += totals[p.ID]
		if totals[p.ID] >= target {
			u.Met++
			out.Met++
			continue
		}
		out.Below = append(out.Below, Shortfall{Person: p, OrgName: u.Org.Name, Seconds: totals[p.ID], Target: target})
		below = append(below, p.ID)
	}
	refusals, err := uc.study.store.RefusalTotals(ctx, below)
	if err != nil {
		return nil, err
	}
	for i := range out.Below {
		out.Below[i].Refusals = refusals[out.Below[i].ID]
	}
	slices.SortFunc(out.Below, func(a, b Shortfall) int {
		return cmp.Or(cmp.Compare(b.Target-b.Seconds, a.Target-a.Seconds), cmp.Compare(a.ID, b.ID))
	})
	for _, u := range units {
		if u.Members > 0 {
			out.Units = append(out.Units, *u)
		}
	}
	slices.SortFunc(out.Units, func(a, b UnitReport) int { return strings.Compare(a.Org.Path, b.Org.Path) })
	return out, nil
}

// Workbook renders the report for download: completion per org, and the members below target.
func (r *HoursReport) Workbook() sheet.Workbook {
	h := func(sec int64) float64 { return float64(sec/36) / 100 }
	units := [][]any{{"组织", "党员人数", "达标人数", "达标率", "总学时", "人均学时"}}
	for _, u := range r.Units {
		rate, avg := 0.0, 0.0
		if u.Members > 0 {
			rate = float64(u.Met*1000/u.Members) / 10
			avg = h(u.TotalSeconds / int64(u.Members))
		}
		units = append(units, []any{u.Org.Name, u.Members, u.Met, fmt.Sprintf("%.1f%%", rate), h(u.TotalSeconds), avg})
	}
	below := [][]any{{"姓名", "组织", "已获学时", "目标学时", "差额", "被拒心跳次数"}}
	for _, b := range r.Below {
		below = append(below, []any{b.Name, b.OrgName, h(b.Seconds), h(b.Target), h(b.Target - b.Seconds), b.Refusals})
	}
	return sheet.Workbook{FileName: fmt.Sprintf("学时报表-%s-%d.xlsx", r.Org.Name, r.Year), Sheets: []sheet.Sheet{
		{Name: "各组织完成情况", Rows: units},
		{Name: "未达标党员", Rows: below},
	}}
}
