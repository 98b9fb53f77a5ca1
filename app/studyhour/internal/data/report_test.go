package data

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/vanguard/vanguard/app/studyhour/internal/biz"
	"github.com/vanguard/vanguard/pkg/auth"
	"github.com/vanguard/vanguard/pkg/clock"
	"github.com/vanguard/vanguard/pkg/testdb"
)

// tree is org's organisations as the tests need them: anyone may see any.
type tree []biz.Org

func (t tree) Org(_ context.Context, id int64) (*biz.Org, error) {
	for _, o := range t {
		if o.ID == id {
			return &o, nil
		}
	}
	return nil, biz.ErrNotFound
}

func (t tree) Subtree(ctx context.Context, id int64) ([]biz.Org, error) {
	root, err := t.Org(ctx, id)
	if err != nil {
		return nil, err
	}
	var out []biz.Org
	for _, o := range t {
		if strings.HasPrefix(o.Path, root.Path) {
			out = append(out, o)
		}
	}
	return out, nil
}

func (t tree) Member(context.Context, int64) (*biz.Person, error) { return nil, biz.ErrNotFound }

var orgTree = tree{
	{ID: 1, Name: "市委", Path: "/1/"},
	{ID: 2, Name: "第一党支部", Path: "/1/2/", Branch: true},
	{ID: 3, Name: "第二党支部", Path: "/1/3/", Branch: true},
}

func staffOf(path string) context.Context {
	return auth.NewContext(context.Background(), &auth.Principal{UserID: 900, Roles: []string{auth.RoleStaff}, OrgPath: path})
}

// The org report holds every member to the target in force for their org and role: the national
// 32 学时 (members) and 56 (staff), a branch's tighter 40; a subtree may only tighten; members
// below target come most-missing first with their refused heartbeats.
func TestOrgReportAgainstTargets(t *testing.T) {
	testdb.Each(t, func(t *testing.T, driver, dsn string) {
		d := open(t, driver, dsn)
		clk := clock.NewFake(time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC))
		dir := people{
			{ID: 1, Name: "甲", OrgID: 2, OrgPath: "/1/2/"},              // 33 h: met (32)
			{ID: 2, Name: "乙", OrgID: 2, OrgPath: "/1/2/"},              // 10 h
			{ID: 3, Name: "丙", OrgID: 2, OrgPath: "/1/2/", Staff: true}, // 40 h: below the staff 56
			{ID: 4, Name: "丁", OrgID: 3, OrgPath: "/1/3/"},              // 35 h: below branch 3's 40
			{ID: 5, Name: "戊", OrgID: 3, OrgPath: "/1/3/"},              // nothing
		}
		uc, _ := newStudyOf(t, d, clk, biz.Config{}, dir)
		credit := map[int64]int64{1: 33, 2: 10, 3: 40, 4: 35}
		passed := true
		for id, h := range credit {
			if err := d.InTx(context.Background(), func(ctx context.Context) error {
				return uc.ApplyGraded(ctx, biz.Graded{AttemptID: id, ExamID: id, MemberID: id, Passed: &passed, GradedAt: clk.Now(), CreditSeconds: h * 3600})
			}); err != nil {
				t.Fatal(err)
			}
		}
		// Last year's credit does not count this year.
		if err := d.InTx(context.Background(), func(ctx context.Context) error {
			return uc.ApplyGraded(ctx, biz.Graded{AttemptID: 99, ExamID: 99, MemberID: 5, Passed: &passed, GradedAt: clk.Now().AddDate(-1, 0, 0), CreditSeconds: 50 * 3600})
		}); err != nil {
			t.Fatal(err)
		}
		if err := NewStore(d).CountRefusal(context.Background(), 2, biz.RefusedParallel, clk.Now()); err != nil {
			t.Fatal(err)
		}
		rules := biz.NewRules(uc, orgTree)

		if _, err := rules.Set(staffOf("/1/3/"), 3, biz.RuleTargetMember, 40*3600); err != nil {
			t.Fatal(err)
		}
		// Branch 2's staff may not loosen below the national 32, nor act on branch 3.
		var fe *biz.FieldError
		if _, err := rules.Set(staffOf("/1/2/"), 2, biz.RuleTargetMember, 30*3600); !errors.As(err, &fe) || fe.Field != "value" {
			t.Fatalf("loosening: %v", err)
		}
		var pe *biz.PermissionError
		if _, err := rules.Set(staffOf("/1/2/"), 3, biz.RuleTargetMember, 50*3600); !errors.As(err, &pe) {
			t.Fatalf("another branch: %v", err)
		}
		if _, err := rules.Report(auth.NewContext(context.Background(), &auth.Principal{UserID: 1, Roles: []string{auth.RoleMember}, OrgPath: "/1/2/"}), 1, 2026); !errors.As(err, &pe) {
			t.Fatalf("a member read the report: %v", err)
		}

		r, err := rules.Report(staffOf("/1/"), 1, 2026)
		if err != nil {
			t.Fatal(err)
		}
		if r.Members != 5 || r.Met != 1 || len(r.Units) != 2 {
			t.Fatalf("report: members %d met %d units %d", r.Members, r.Met, len(r.Units))
		}
		if u := r.Units[0]; u.Org.ID != 2 || u.Members != 3 || u.Met != 1 || u.TotalSeconds != 83*3600 {
			t.Fatalf("branch 2: %+v", u)
		}
		if u := r.Units[1]; u.Org.ID != 3 || u.Members != 2 || u.Met != 0 || u.TotalSeconds != 35*3600 {
			t.Fatalf("branch 3: %+v", u)
		}
		// Most missing first: 戊 40, 乙 22, 丙 16, 丁 5.
		want := []struct {
			id, target int64
		}{{5, 40}, {2, 32}, {3, 56}, {4, 40}}
		if len(r.Below) != len(want) {
			t.Fatalf("below: %+v", r.Below)
		}
		for i, w := range want {
			if b := r.Below[i]; b.ID != w.id || b.Target != w.target*3600 {
				t.Fatalf("below[%d] = %+v, want member %d target %d h", i, b, w.id, w.target)
			}
		}
		if r.Below[1].Refusals != 1 || r.Below[0].Refusals != 0 {
			t.Fatalf("refusals: %+v", r.Below)
		}
		// Last year's report reads the month sums (member 5 was credited this year since).
		last, err := rules.Report(staffOf("/1/"), 1, 2025)
		if err != nil || last.Met != 1 || len(last.Below) != 4 || last.Units[1].TotalSeconds != 50*3600 {
			t.Fatalf("last year: %+v %v", last, err)
		}
		// The member's own summary shows the target in force for them.
		sum, err := uc.MemberHours(staffOf("/1/"), 4, 2026)
		if err != nil || sum.Target != 40*time.Hour {
			t.Fatalf("member 4's target: %v %v", sum, err)
		}
		book := r.Workbook()
		if len(book.Sheets) != 2 || len(book.Sheets[1].Rows) != 5 || book.Sheets[1].Rows[1][0] != "戊" {
			t.Fatalf("workbook: %+v", book.Sheets)
		}
		if err := book.Validate(); err != nil {
			t.Fatal(err)
		}
		// Clearing the branch's target returns it to the national default.
		views, err := rules.Set(staffOf("/1/3/"), 3, biz.RuleTargetMember, 0)
		if err != nil || views[0].Effective != 32*3600 || views[0].Here != 0 {
			t.Fatalf("cleared: %+v %v", views, err)
		}
	})
}

// Chain heads written before they kept the year's credit get it from the month sums at the next
// migration; heads that have it are left alone.
func TestMigrateFillsTheHeadsYear(t *testing.T) {
	testdb.Each(t, func(t *testing.T, driver, dsn string) {
		d := open(t, driver, dsn)
		ctx := context.Background()
		c := d.client(ctx)
		c.MemberState.Create().SetMemberID(1).SetHeadSeq(3).ExecX(ctx)
		c.MemberState.Create().SetMemberID(2).SetHeadSeq(1).SetYear(2026).SetYearSeconds(60).ExecX(ctx)
		for _, m := range []struct {
			member      int64
			year, month int
			seconds     int64
		}{{1, 2025, 12, 100}, {1, 2026, 1, 200}, {1, 2026, 2, 300}, {2, 2026, 1, 999}} {
			c.HoursMonth.Create().SetMemberID(m.member).SetYear(m.year).SetMonth(m.month).SetSource(biz.SourceExam).SetSeconds(m.seconds).ExecX(ctx)
		}
		if err := d.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		got, err := NewStore(d).YearTotals(ctx, []int64{1, 2}, 2026)
		if err != nil || got[1] != 500 || got[2] != 60 {
			t.Fatalf("totals after migration: %v %v", got, err)
		}
	})
}
