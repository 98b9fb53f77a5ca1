package data

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/vanguard/vanguard/app/org/internal/biz"
	"github.com/vanguard/vanguard/app/org/internal/data/ent"
	"github.com/vanguard/vanguard/pkg/auth"
	"github.com/vanguard/vanguard/pkg/clock"
)

// BenchmarkWorklist10k is the development worklist of a committee with 10,000 members in
// development over 100 branches (each member 1–24 steps recorded, dates spread over three years),
// as the worklist page asks for it: the counts and the first page of 50 due this month, names
// included, through the real use case. Beside it, in the same run: the physical baseline (the
// database counting the subtree's active summaries) and, once, the recompute of every summary
// after the committee tightens a rule.
func BenchmarkWorklist10k(b *testing.B) {
	benchDBs(b, func(b *testing.B, driver string, newDSN func() string) {
		ctx := context.Background()
		d := benchOpen(b, driver, newDSN())
		defer d.Close()
		orgs, accounts, repo := NewOrgRepo(d), NewAccountRepo(d), NewDevelopmentRepo(d)
		start := time.Now()
		roots, err := orgs.Create(ctx, []biz.NewOrg{{Name: "中共先锋委员会", Code: "ROOT", Type: biz.OrgCommittee}})
		if err != nil {
			b.Fatal(err)
		}
		root := roots[0]
		var in []biz.NewOrg
		for i := range benchMemberOrgs {
			in = append(in, biz.NewOrg{ParentID: root.ID, Name: fmt.Sprintf("第%d支部", i+1), Code: fmt.Sprintf("B%03d", i), Type: biz.OrgBranch})
		}
		branches, err := orgs.Create(ctx, in)
		if err != nil {
			b.Fatal(err)
		}
		var people []*biz.Account
		for i := range benchMemberTotal {
			o := branches[i%len(branches)]
			people = append(people, &biz.Account{Username: fmt.Sprintf("dev%05d", i), DisplayName: fmt.Sprintf("党员%05d", i),
				PasswordHash: "x", Roles: []string{auth.RoleMember}, OrgID: o.ID, OrgPath: o.Path, Status: biz.StatusActive,
				Profile: biz.Profile{Stage: biz.StageApplicant, BirthDate: "1995-01-01"}})
		}
		for chunk := range slices.Chunk(people, 1000) {
			if _, err := accounts.Create(ctx, chunk); err != nil {
				b.Fatal(err)
			}
		}
		created, _, err := accounts.List(ctx, biz.AccountFilter{PathPrefix: root.Path, Limit: benchMemberTotal + 1})
		if err != nil || len(created) != benchMemberTotal {
			b.Fatalf("accounts: %d, %v", len(created), err)
		}
		// Steps: member i has 1 + i%24 steps, a month apart, the last one recent enough that
		// many are due and some overdue.
		today := biz.Date{Year: 2026, Month: 12, Day: 2}
		var bulk []*ent.DevStepCreate
		steps := 0
		flush := func() {
			if err := d.db.DevStep.CreateBulk(bulk...).Exec(ctx); err != nil {
				b.Fatal(err)
			}
			bulk = bulk[:0]
		}
		ids := make([]int64, len(created))
		for i, a := range created {
			ids[i] = a.ID
			n := 1 + i%24
			first := today.AddDays(-(i % 400)).AddMonths(-n)
			for k := range n {
				bulk = append(bulk, d.db.DevStep.Create().SetMemberID(a.ID).SetCode(biz.Steps[k].Code).SetSeq(1).
					SetDate(first.AddMonths(k).String()).SetOrgID(a.OrgID).SetOrgPath(a.OrgPath).SetRecordedBy(1).
					SetOutcome(map[bool]string{true: biz.OutcomeOnTime}[biz.Steps[k].Outcome]))
				steps++
				if len(bulk) == 1000 { // 22 columns: within SQLite's 32,766 bind parameters
					flush()
				}
			}
		}
		flush()
		// Summaries as recording the steps would have left them: one pass over every member.
		if err := repo.SaveSummaries(ctx, func() []biz.DevSummary {
			out := make([]biz.DevSummary, len(created))
			for i, a := range created {
				out[i] = biz.DevSummary{MemberID: a.ID, OrgID: a.OrgID, OrgPath: a.OrgPath, Status: biz.DevActive}
			}
			return out
		}()); err != nil {
			b.Fatal(err)
		}
		clk := clock.NewFake(time.Date(2026, 12, 2, 4, 0, 0, 0, time.UTC))
		uc := biz.NewDevelopment(biz.DevelopmentConfig{}, repo, NewPlanRepo(d), accounts, orgs, biz.NewAuditor(NewAuditRepo(d), orgs, clk), d, clk)
		staff := auth.NewContext(ctx, &auth.Principal{UserID: 1, Username: "staff", Roles: []string{auth.RoleStaff}, OrgID: root.ID, OrgPath: root.Path})
		b.Logf("%s: setup %d members, %d steps in %s", driver, len(created), steps, time.Since(start).Round(time.Millisecond))
		// Tightening a rule at the committee recomputes all 10,000 summaries from their steps.
		t0 := time.Now()
		if _, err := uc.SetRule(staff, root.ID, biz.RuleObjectAfter, 18); err != nil {
			b.Fatal(err)
		}
		recompute := time.Since(t0)
		first, err := uc.Worklist(staff, root.ID, "due", "", 0, 50)
		if err != nil || first.Counts.Total != benchMemberTotal || first.Counts.Due == 0 || first.Counts.Overdue == 0 || len(first.Entries) != 50 {
			b.Fatalf("worklist: %+v, %v", first.Counts, err)
		}
		b.Logf("%s: recompute %s; counts %+v", driver, recompute.Round(time.Millisecond), first.Counts)

		var lat, base []time.Duration
		b.ResetTimer()
		for range b.N {
			t := time.Now()
			w, err := uc.Worklist(staff, root.ID, "due", "", 0, 50)
			lat = append(lat, time.Since(t))
			if err != nil || len(w.Entries) != 50 || w.Entries[0].DisplayName == "" {
				b.Fatalf("worklist: %v", err)
			}
			b.StopTimer()
			t = time.Now()
			n, err := d.db.DevSummary.Query().Where().Count(ctx)
			base = append(base, time.Since(t))
			if err != nil || n != benchMemberTotal {
				b.Fatalf("baseline count: %d, %v", n, err)
			}
			b.StartTimer()
		}
		b.StopTimer()
		slices.Sort(lat)
		slices.Sort(base)
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(lat[len(lat)*95/100].Microseconds())/1000, "p95-ms")
		b.ReportMetric(float64(base[len(base)/2].Microseconds())/1000, "count-all-p50-ms")
		b.ReportMetric(float64(recompute.Milliseconds()), "recompute-10k-ms")
		b.ReportMetric(float64(len(ids)), "members")
	})
}
