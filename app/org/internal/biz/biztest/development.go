package biztest

import (
	"errors"
	"slices"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/vanguard/vanguard/app/org/internal/biz"
)

func date(e *env, s string) biz.Date {
	e.t.Helper()
	d, err := biz.ParseDate(s)
	if err != nil {
		e.fatalf("%v", err)
	}
	return d
}

func (e *env) dev() biz.DevelopmentRepo {
	e.t.Helper()
	if e.r.Development == nil {
		e.t.Skip("no development repository in this set")
	}
	return e.r.Development
}

// summaries stores summaries for members 1..n with the given (earliest, deadline) pairs under
// /1/2/, and one under /10/ that a /1/ prefix must not match.
func (e *env) summaries(dates ...[2]string) {
	e.t.Helper()
	var ss []biz.DevSummary
	for i, d := range dates {
		s := biz.DevSummary{MemberID: int64(i + 1), OrgID: 2, OrgPath: "/1/2/", Status: biz.DevActive, Stage: biz.StageApplicant,
			NextCode: biz.StepTalk, NextSeq: 1, Earliest: date(e, d[0])}
		if d[1] != "" {
			s.Deadline = date(e, d[1])
		}
		ss = append(ss, s)
	}
	ss = append(ss, biz.DevSummary{MemberID: 900, OrgID: 10, OrgPath: "/10/", Status: biz.DevActive, Earliest: date(e, "2026-01-01"), Deadline: date(e, "2026-01-02")},
		biz.DevSummary{MemberID: 901, OrgID: 2, OrgPath: "/1/2/", Status: biz.DevCompleted})
	if err := e.dev().SaveSummaries(e.ctx, ss); err != nil {
		e.fatalf("SaveSummaries: %v", err)
	}
}

func ids(ss []biz.DevSummary) []int64 {
	out := make([]int64, len(ss))
	for i, s := range ss {
		out[i] = s.MemberID
	}
	return out
}

var developmentCases = []testCase{
	{"steps round-trip and a second recording of a step is ErrAlreadyExists", func(e *env) {
		r := e.dev()
		s := &biz.DevStep{MemberID: 7, Code: biz.StepAdmissionVote, Seq: 1, Date: date(e, "2026-03-01"), OrgID: 2, OrgPath: "/1/2/",
			People: []int64{3, 4}, TrainingHours: 24.5, TrainingDays: 3, Votes: biz.Votes{Entitled: 9, Present: 8, InFavour: 7},
			Outcome: biz.OutcomeExtend, ExtensionMonths: 6, Conclusion: "合格", Note: "备注",
			Warnings:   []biz.RuleCheck{{Rule: biz.RuleApprovalWithin, Message: "逾期"}},
			Overridden: []biz.RuleCheck{{Rule: biz.RuleOrder, Message: "顺序"}}, OverrideReason: "理由", RecordedBy: 1, RecordedAt: t0}
		if _, err := r.AddStep(e.ctx, s); err != nil || s.ID == 0 {
			e.fatalf("AddStep: %v (id %d)", err, s.ID)
		}
		if _, err := r.AddStep(e.ctx, &biz.DevStep{MemberID: 8, Code: biz.StepApplication, Seq: 1, Date: date(e, "2026-01-01"), OrgID: 2, OrgPath: "/1/2/", RecordedBy: 1, RecordedAt: t0}); err != nil {
			e.fatalf("AddStep: %v", err)
		}
		got, err := r.Steps(e.ctx, 7)
		if err != nil || len(got) != 1 {
			e.fatalf("Steps = %v, %v", got, err)
		}
		if d := cmp.Diff(s, got[0], eqTime, cmpopts.EquateEmpty()); d != "" {
			e.fatalf("step round-trip (-want +got):\n%s", d)
		}
		if one, err := r.Step(e.ctx, s.ID); err != nil || cmp.Diff(s, one, eqTime, cmpopts.EquateEmpty()) != "" {
			e.fatalf("Step(%d) = %+v, %v", s.ID, one, err)
		}
		if _, err := r.Step(e.ctx, s.ID+1000); !errors.Is(err, biz.ErrDocumentNotFound) {
			e.fatalf("Step(missing) = %v, want ErrDocumentNotFound", err)
		}
		dup := *s
		dup.ID, dup.Date = 0, date(e, "2026-03-02")
		if _, err := r.AddStep(e.ctx, &dup); !errors.Is(err, biz.ErrAlreadyExists) {
			e.fatalf("second admission vote: %v, want ErrAlreadyExists", err)
		}
		dup.Seq = 2 // the second meeting on full membership is another row
		if _, err := r.AddStep(e.ctx, &dup); err != nil {
			e.fatalf("seq 2: %v", err)
		}
		by, err := r.StepsOf(e.ctx, []int64{7, 8, 9})
		if err != nil || len(by[7]) != 2 || len(by[8]) != 1 || len(by[9]) != 0 {
			e.fatalf("StepsOf = %v, %v", by, err)
		}
	}},
	{"summaries are replaced, and the worklist filters, orders and pages them", func(e *env) {
		r := e.dev()
		today, end := date(e, "2026-12-02"), date(e, "2026-12-31")
		e.summaries(
			[2]string{"2026-10-01", "2026-11-01"}, // 1: overdue
			[2]string{"2026-11-20", "2026-12-20"}, // 2: due (deadline this month)
			[2]string{"2026-12-15", ""},           // 3: due (possible this month)
			[2]string{"2027-03-01", ""},           // 4: not yet
			[2]string{"2026-11-01", "2026-12-02"}, // 5: due today, not late
		)
		c, err := r.CountWorklist(e.ctx, "/1/", today, end)
		if err != nil || c != (biz.WorklistCounts{Total: 5, Overdue: 1, Due: 3}) {
			e.fatalf("CountWorklist = %+v, %v", c, err)
		}
		for _, w := range []struct {
			filter string
			want   []int64
		}{
			{"all", []int64{1, 5, 3, 2, 4}}, // by deadline, else earliest
			{"overdue", []int64{1}},
			{"due", []int64{5, 3, 2}},
		} {
			got, err := r.Worklist(e.ctx, biz.WorklistFilter{PathPrefix: "/1/", Filter: w.filter, Today: today, MonthEnd: end, Limit: 10})
			if err != nil || !slices.Equal(ids(got), w.want) {
				e.fatalf("Worklist(%s) = %v, %v; want %v", w.filter, ids(got), err, w.want)
			}
		}
		page, err := r.Worklist(e.ctx, biz.WorklistFilter{PathPrefix: "/1/", Filter: "all", Today: today, MonthEnd: end, Limit: 2})
		if err != nil || !slices.Equal(ids(page), []int64{1, 5}) {
			e.fatalf("page 1 = %v, %v", ids(page), err)
		}
		page, err = r.Worklist(e.ctx, biz.WorklistFilter{PathPrefix: "/1/", Filter: "all", Today: today, MonthEnd: end, Limit: 2,
			AfterKey: page[1].DueKey(), AfterID: page[1].MemberID})
		if err != nil || !slices.Equal(ids(page), []int64{3, 2}) {
			e.fatalf("page 2 = %v, %v", ids(page), err)
		}
		// Replacing a summary moves it: member 4 is now overdue, member 1 completed.
		if err := r.SaveSummaries(e.ctx, []biz.DevSummary{
			{MemberID: 4, OrgID: 2, OrgPath: "/1/2/", Status: biz.DevActive, Earliest: date(e, "2026-01-01"), Deadline: date(e, "2026-02-01")},
			{MemberID: 1, OrgID: 2, OrgPath: "/1/2/", Status: biz.DevCompleted},
		}); err != nil {
			e.fatalf("SaveSummaries: %v", err)
		}
		got, err := r.Worklist(e.ctx, biz.WorklistFilter{PathPrefix: "/1/", Filter: "overdue", Today: today, MonthEnd: end, Limit: 10})
		if err != nil || !slices.Equal(ids(got), []int64{4}) || got[0].Deadline.String() != "2026-02-01" {
			e.fatalf("after replacing: %v, %v", got, err)
		}
		active, err := r.ActiveMembers(e.ctx, "/1/")
		if err != nil || !slices.Equal(active, []int64{2, 3, 4, 5}) {
			e.fatalf("ActiveMembers = %v, %v", active, err)
		}
	}},
	{"rule settings are set, replaced and cleared per org and key", func(e *env) {
		r := e.dev()
		for _, s := range []biz.DevRuleSetting{
			{OrgID: 1, OrgPath: "/1/", Key: biz.RuleObjectAfter, Value: 18, SetBy: 5},
			{OrgID: 1, OrgPath: "/1/", Key: biz.RuleObjectAfter, Value: 24, SetBy: 5},
			{OrgID: 2, OrgPath: "/1/2/", Key: biz.RuleNoticeObject, Value: 7, SetBy: 6},
			{OrgID: 3, OrgPath: "/3/", Key: biz.RuleNoticeObject, Value: 9, SetBy: 6},
		} {
			if err := r.SaveRule(e.ctx, s); err != nil {
				e.fatalf("SaveRule: %v", err)
			}
		}
		got, err := r.Rules(e.ctx, []string{"/1/", "/1/2/"})
		if err != nil || len(got) != 2 || biz.DevRuleSet(got).Effective("/1/2/", biz.RuleObjectAfter) != 24 {
			e.fatalf("Rules = %+v, %v", got, err)
		}
		if err := r.SaveRule(e.ctx, biz.DevRuleSetting{OrgID: 1, OrgPath: "/1/", Key: biz.RuleObjectAfter}); err != nil {
			e.fatalf("clear: %v", err)
		}
		if got, _ := r.Rules(e.ctx, []string{"/1/"}); len(got) != 0 {
			e.fatalf("after clearing: %+v", got)
		}
	}},
	{"a year's holidays are replaced, other years kept", func(e *env) {
		r := e.dev()
		if err := r.ReplaceHolidays(e.ctx, 2025, []biz.Holiday{{Date: date(e, "2025-10-01"), Name: "国庆节"}}); err != nil {
			e.fatalf("ReplaceHolidays: %v", err)
		}
		in := []biz.Holiday{{Date: date(e, "2026-09-27"), Workday: true, Name: "调休"}, {Date: date(e, "2026-10-01"), Name: "国庆节"}}
		if err := r.ReplaceHolidays(e.ctx, 2026, []biz.Holiday{{Date: date(e, "2026-05-01")}}); err != nil {
			e.fatalf("ReplaceHolidays: %v", err)
		}
		if err := r.ReplaceHolidays(e.ctx, 2026, in); err != nil {
			e.fatalf("ReplaceHolidays: %v", err)
		}
		got, err := r.Holidays(e.ctx, 2026)
		if err != nil || !cmp.Equal(got, in) {
			e.fatalf("Holidays(2026) = %+v, %v", got, err)
		}
		if all, _ := r.Holidays(e.ctx, 0); len(all) != 3 {
			e.fatalf("all holidays = %+v", all)
		}
	}},
}
