package biz

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/vanguard/vanguard/pkg/auth"
)

// Worklist is a page of a subtree's worklist with the subtree's counts.
type Worklist struct {
	Entries         []WorklistEntry
	Counts          WorklistCounts
	Today, MonthEnd Date
	// NextKey and NextID are the cursor of the next page (NextID 0: none).
	NextKey string
	NextID  int64
}

// WorklistEntry is a member in development and the next step.
type WorklistEntry struct {
	Summary     DevSummary
	DisplayName string
	OrgName     string
	Step        StepDef
}

// DueKey orders a summary in the worklist: its deadline, else its earliest date.
func (s DevSummary) DueKey() string {
	if !s.Deadline.IsZero() {
		return s.Deadline.String()
	}
	return s.Earliest.Text()
}

// Overdue reports whether the next step's deadline is before today.
func (s DevSummary) Overdue(today Date) bool { return !s.Deadline.IsZero() && s.Deadline.Before(today) }

// monthEnd is the last day of d's month.
func monthEnd(d Date) Date { return Date{d.Year, d.Month, 1}.AddMonths(1).AddDays(-1) }

// Worklist lists the members in development under the org, for staff over it: filter "overdue"
// (deadline passed), "due" (may or must be done by the end of this month, not late) or "all".
func (uc *Development) Worklist(ctx context.Context, orgID int64, filter string, afterKey string, afterID int64, limit int) (*Worklist, error) {
	org, err := uc.managed(ctx, orgID, "查看发展工作提醒")
	if err != nil {
		return nil, err
	}
	if filter == "" {
		filter = "all"
	}
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	today := uc.Today()
	w := &Worklist{Today: today, MonthEnd: monthEnd(today)}
	if w.Counts, err = uc.repo.CountWorklist(ctx, org.Path, today, w.MonthEnd); err != nil {
		return nil, err
	}
	ss, err := uc.repo.Worklist(ctx, WorklistFilter{PathPrefix: org.Path, Filter: filter, Today: today, MonthEnd: w.MonthEnd,
		AfterKey: afterKey, AfterID: afterID, Limit: limit + 1})
	if err != nil {
		return nil, err
	}
	if len(ss) > limit {
		ss = ss[:limit]
		w.NextKey, w.NextID = ss[limit-1].DueKey(), ss[limit-1].MemberID
	}
	ids, orgIDs := make([]int64, len(ss)), make([]int64, len(ss))
	for i, s := range ss {
		ids[i], orgIDs[i] = s.MemberID, s.OrgID
	}
	people, err := uc.accounts.GetMany(ctx, ids)
	if err != nil {
		return nil, err
	}
	orgs, err := uc.orgs.GetMany(ctx, orgIDs)
	if err != nil {
		return nil, err
	}
	for _, s := range ss {
		e := WorklistEntry{Summary: s}
		e.Step, _ = StepByCode(s.NextCode)
		if a := people[s.MemberID]; a != nil {
			e.DisplayName = a.DisplayName
		}
		if o := orgs[s.OrgID]; o != nil {
			e.OrgName = o.Name
		}
		w.Entries = append(w.Entries, e)
	}
	return w, nil
}

// managed returns the org if the caller manages it.
func (uc *Development) managed(ctx context.Context, orgID int64, what string) (*Org, error) {
	p, err := requireHome(ctx)
	if err != nil {
		return nil, err
	}
	org, err := uc.orgs.Get(ctx, orgID)
	if err != nil {
		return nil, err
	}
	if !p.CanManageOrg(org.Path) {
		if p.InAncestry(org.Path) || p.HasRole(auth.RoleStaff) {
			return nil, deny("只有本组织及上级组织的管理员能" + what)
		}
		return nil, ErrOrgNotFound
	}
	return org, nil
}

// DevRuleView is one rule as an org sees it.
type DevRuleView struct {
	Rule                                 DevRule
	Inherited, Here, Effective, National int
}

// Rules lists the rules as they stand for the org, for staff over it.
func (uc *Development) Rules(ctx context.Context, orgID int64) ([]DevRuleView, error) {
	org, err := uc.managed(ctx, orgID, "查看发展党员规则")
	if err != nil {
		return nil, err
	}
	return uc.ruleViews(ctx, org)
}

func (uc *Development) ruleViews(ctx context.Context, org *Org) ([]DevRuleView, error) {
	rs, err := uc.ruleSet(ctx, org.Path)
	if err != nil {
		return nil, err
	}
	out := make([]DevRuleView, 0, len(DevRules))
	for _, r := range DevRules {
		v := DevRuleView{Rule: r, National: r.National, Inherited: rs.inherited(org.Path, r.Key), Effective: rs.Effective(org.Path, r.Key)}
		for _, s := range rs {
			if s.Key == r.Key && s.OrgPath == org.Path {
				v.Here = s.Value
			}
		}
		out = append(out, v)
	}
	return out, nil
}

// SetRule sets (value > 0) or clears (0) the org's value of a rule for its subtree: only stricter
// than what is in force from above, within the rule's bounds. The summaries of the subtree's
// members in development are recomputed in the same transaction, and the change audited.
func (uc *Development) SetRule(ctx context.Context, orgID int64, key string, value int) ([]DevRuleView, error) {
	org, err := uc.managed(ctx, orgID, "设置发展党员规则")
	if err != nil {
		return nil, err
	}
	p, _ := requireHome(ctx)
	r, ok := DevRuleByKey(key)
	if !ok {
		return nil, Invalid("key", "未知的规则")
	}
	if value != 0 {
		if r.Stricter == StricterFixed {
			return nil, Invalid("value", "「"+r.Text(r.National)+"」是全国统一规定，不能调整")
		}
		rs, err := uc.ruleSet(ctx, org.Path)
		if err != nil {
			return nil, err
		}
		in := rs.inherited(org.Path, key)
		switch {
		case value < r.Min || value > r.Max:
			return nil, Invalid("value", fmt.Sprintf("取值范围 %d–%d %s", r.Min, r.Max, r.Unit))
		case r.stricter(in, value):
			word := "低于"
			if r.Stricter == StricterLower {
				word = "高于"
			}
			return nil, Invalid("value", fmt.Sprintf("只能从严：不能%s上级要求的 %d %s", word, in, r.Unit))
		}
	}
	err = uc.tx.InTx(ctx, func(ctx context.Context) error {
		if err := uc.repo.SaveRule(ctx, DevRuleSetting{OrgID: org.ID, OrgPath: org.Path, Key: key, Value: value, SetBy: p.UserID}); err != nil {
			return err
		}
		if err := uc.recompute(ctx, org.Path); err != nil {
			return err
		}
		summary := fmt.Sprintf("设置 %s 的发展党员规则：%s", org.Name, r.Text(value))
		if value == 0 {
			summary = fmt.Sprintf("取消 %s 自定的发展党员规则 %s", org.Name, key)
		}
		return uc.audit.Record(ctx, AuditEntry{Action: "development.rule", TargetType: "org", TargetID: org.ID, OrgPath: org.Path,
			Summary: summary, After: map[string]any{"key": key, "value": value}})
	})
	if err != nil {
		return nil, err
	}
	return uc.ruleViews(ctx, org)
}

// recomputeBatch is how many members' steps are read at once when summaries are recomputed.
const recomputeBatch = 500

// recompute rewrites the summaries of the members in development under the prefix ("": all)
// from their steps, after a rule or the calendar changed.
func (uc *Development) recompute(ctx context.Context, prefix string) error {
	ids, err := uc.repo.ActiveMembers(ctx, prefix)
	if err != nil {
		return err
	}
	cal, err := uc.calendar(ctx)
	if err != nil {
		return err
	}
	for chunk := range slices.Chunk(ids, recomputeBatch) {
		people, err := uc.accounts.GetMany(ctx, chunk)
		if err != nil {
			return err
		}
		steps, err := uc.repo.StepsOf(ctx, chunk)
		if err != nil {
			return err
		}
		paths := make([]string, 0, len(people))
		for _, a := range people {
			paths = append(paths, a.OrgPath)
		}
		rs, err := uc.ruleSet(ctx, paths...)
		if err != nil {
			return err
		}
		out := make([]DevSummary, 0, len(chunk))
		for _, id := range chunk {
			a := people[id]
			if a == nil {
				continue
			}
			out = append(out, summarize(a, engineAt(rs, cal, a.OrgPath).progress(steps[id]), a.Profile.Stage))
		}
		if err := uc.repo.SaveSummaries(ctx, out); err != nil {
			return err
		}
	}
	return nil
}

// Holidays is a year's holiday calendar; anyone signed in may read it.
func (uc *Development) Holidays(ctx context.Context, year int) ([]Holiday, error) {
	if _, err := requireHome(ctx); err != nil {
		return nil, err
	}
	return uc.repo.Holidays(ctx, year)
}

// MaxHolidayName bounds a holiday's name.
const MaxHolidayName = 40

// SetHolidays replaces a year's holiday calendar (admins only): public holidays, and make-up
// working days (调休), which must fall on weekends. Every member's next step is recomputed.
func (uc *Development) SetHolidays(ctx context.Context, year int, days []Holiday) ([]Holiday, error) {
	p, err := requireHome(ctx)
	if err != nil {
		return nil, err
	}
	if !p.IsAdmin() {
		return nil, deny("只有系统管理员能维护节假日安排")
	}
	seen := map[Date]bool{}
	for i, d := range days {
		field := fmt.Sprintf("days[%d]", i)
		days[i].Name = strings.TrimSpace(d.Name)
		switch {
		case d.Date.Year != year:
			return nil, Invalid(field+".date", fmt.Sprintf("日期不在 %d 年", year))
		case seen[d.Date]:
			return nil, Invalid(field+".date", d.Date.String()+" 重复")
		case d.Workday && d.Date.Weekday() != 0 && d.Date.Weekday() != 6:
			return nil, Invalid(field+".workday", d.Date.String()+" 不是周末，无需调休上班")
		case utf8.RuneCountInString(days[i].Name) > MaxHolidayName:
			return nil, Invalid(field+".name", fmt.Sprintf("不能超过 %d 个字", MaxHolidayName))
		}
		seen[d.Date] = true
	}
	slices.SortFunc(days, func(a, b Holiday) int { return strings.Compare(a.Date.String(), b.Date.String()) })
	err = uc.tx.InTx(ctx, func(ctx context.Context) error {
		if err := uc.repo.ReplaceHolidays(ctx, year, days); err != nil {
			return err
		}
		if err := uc.recompute(ctx, ""); err != nil {
			return err
		}
		return uc.audit.Record(ctx, AuditEntry{Action: "development.holidays", TargetType: "calendar", TargetID: int64(year),
			Summary: fmt.Sprintf("更新 %d 年节假日安排（%d 天）", year, len(days))})
	})
	if err != nil {
		return nil, err
	}
	return uc.repo.Holidays(ctx, year)
}

// MemberMoved rewrites the member's summary for their new org (its rules and worklist), in the
// transaction of the move; a member with no steps has none.
func (uc *Development) MemberMoved(ctx context.Context, a *Account) error {
	steps, err := uc.repo.Steps(ctx, a.ID)
	if err != nil || len(steps) == 0 {
		return err
	}
	e, err := uc.engine(ctx, a.OrgPath)
	if err != nil {
		return err
	}
	return uc.repo.SaveSummaries(ctx, []DevSummary{summarize(a, e.progress(steps), a.Profile.Stage)})
}
