package biz

import (
	"context"
	"time"

	"github.com/vanguard/vanguard/pkg/auth"
)

// FrequencyRule is a required meeting frequency: at least Min meetings of Kind every Per
// ("month" or "quarter").
type FrequencyRule struct {
	Kind string
	Per  string
	Min  int
}

// NationalRules are the national defaults of 三会一课 and 主题党日: 支部党员大会 and 党课 at least
// quarterly, 支委会 and 党小组会 at least monthly, 主题党日 monthly.
var NationalRules = []FrequencyRule{
	{KindGeneralMeeting, "quarter", 1},
	{KindCommitteeMeeting, "month", 1},
	{KindGroupMeeting, "month", 1},
	{KindPartyLecture, "quarter", 1},
	{KindThemeDay, "month", 1},
}

// KindCompliance is one rule's result for an org and a year.
type KindCompliance struct {
	Rule FrequencyRule
	Held int
	// Short are the periods (months 1–12 or quarters 1–4) begun by now with fewer meetings than
	// required.
	Short []int
}

// OrgCompliance is a branch's year.
type OrgCompliance struct {
	Org       Org
	Kinds     []KindCompliance
	Compliant bool
}

// Compliance compares held with required meetings for the year (0: this year), for the org and
// each branch below it, for staff over the org. Periods are calendar months and quarters in the
// organisation's time zone; those not begun yet are not counted short.
func (uc *Meetings) Compliance(ctx context.Context, orgID int64, year int) (int, []OrgCompliance, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return 0, nil, err
	}
	root, err := uc.orgs.Org(ctx, orgID)
	if err != nil {
		return 0, nil, err
	}
	if !p.CanManageOrg(root.Path) {
		return 0, nil, deny("只有本组织及上级组织的管理员能查看会议情况")
	}
	from, to, err := uc.study.yearSpan(year)
	if err != nil {
		return 0, nil, err
	}
	orgs, err := uc.orgs.Subtree(ctx, orgID)
	if err != nil {
		return 0, nil, err
	}
	ms, err := uc.store.ListMeetings(ctx, root.Path, true, from, to)
	if err != nil {
		return 0, nil, err
	}
	paths := []string{root.Path}
	for _, o := range orgs {
		paths = append(paths, o.Path)
	}
	rs, err := uc.study.ruleSet(ctx, paths...)
	if err != nil {
		return 0, nil, err
	}
	byOrg := map[string][]*Meeting{}
	for _, m := range ms {
		byOrg[m.OrgPath] = append(byOrg[m.OrgPath], m)
	}
	now := uc.study.clock.Now()
	loc := uc.study.cfg.Location
	var out []OrgCompliance
	for _, o := range orgs {
		if !o.Branch {
			continue
		}
		oc := OrgCompliance{Org: o, Compliant: true}
		for _, r := range rs.frequencies(o.Path) {
			kc := KindCompliance{Rule: r}
			months, periods := 1, 12
			if r.Per == "quarter" {
				months, periods = 3, 4
			}
			counts := make([]int, periods)
			for _, m := range byOrg[o.Path] {
				if m.Kind == r.Kind {
					kc.Held++
					counts[(int(m.StartsAt.In(loc).Month())-1)/months]++
				}
			}
			for i := range periods {
				start := time.Date(from.Year(), time.Month(i*months+1), 1, 0, 0, 0, 0, loc)
				if start.After(now) {
					break
				}
				if counts[i] < r.Min {
					kc.Short = append(kc.Short, i+1)
				}
			}
			if len(kc.Short) > 0 {
				oc.Compliant = false
			}
			oc.Kinds = append(oc.Kinds, kc)
		}
		out = append(out, oc)
	}
	return from.Year(), out, nil
}
