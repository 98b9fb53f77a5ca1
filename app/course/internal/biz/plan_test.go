package biz

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func planItem(title, starts, ends string, courses ...int64) *PlanItem {
	return &PlanItem{Title: title, StartsOn: starts, EndsOn: ends, CourseIDs: courses}
}

func TestPlanCreateValidation(t *testing.T) {
	tests := []struct {
		name  string
		items func(c int64) []*PlanItem
		title string
		want  any
		msg   string
	}{
		{"ok", func(c int64) []*PlanItem {
			return []*PlanItem{planItem(" 党章学习 ", "2025-01-01", "2025-01-31", c, c), planItem("一天", "2025-02-01", "2025-02-01")}
		}, "2025年学习计划", nil, ""},
		{"no items", func(int64) []*PlanItem { return nil }, "空计划", nil, ""},
		{"empty title", func(int64) []*PlanItem { return nil }, "  ", &FieldError{Field: "title"}, ""},
		{"item without title", func(int64) []*PlanItem {
			return []*PlanItem{planItem(" ", "2025-01-01", "2025-01-31")}
		}, "计划", &FieldError{Field: "items[0].title"}, ""},
		{"bad start", func(int64) []*PlanItem {
			return []*PlanItem{planItem("a", "2025-01-01", "2025-01-31"), planItem("b", "2025-1-01", "2025-01-31")}
		}, "计划", &FieldError{Field: "items[1].starts_on"}, "YYYY-MM-DD"},
		{"impossible start", func(int64) []*PlanItem {
			return []*PlanItem{planItem("a", "2025-02-30", "2025-03-31")}
		}, "计划", &FieldError{Field: "items[0].starts_on"}, ""},
		{"bad end", func(int64) []*PlanItem {
			return []*PlanItem{planItem("a", "2025-01-01", "2025/03/31")}
		}, "计划", &FieldError{Field: "items[0].ends_on"}, "YYYY-MM-DD"},
		{"missing end", func(int64) []*PlanItem {
			return []*PlanItem{planItem("a", "2025-01-01", "")}
		}, "计划", &FieldError{Field: "items[0].ends_on"}, ""},
		{"end before start", func(int64) []*PlanItem {
			return []*PlanItem{planItem("a", "2025-01-01", "2025-01-31"), planItem("b", "2025-03-01", "2025-02-28")}
		}, "计划", &FieldError{Field: "items[1].ends_on"}, "早于"},
		{"unknown course", func(c int64) []*PlanItem {
			return []*PlanItem{planItem("a", "2025-01-01", "2025-01-31", c, 9999)}
		}, "计划", &FieldError{Field: "items[0].course_ids"}, "不存在"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t)
			c := e.seedCourse("党章", "G", "staffG", StatusPublished)
			before := e.db.snapshot()
			in := &StudyPlan{OrgID: testOrgs["G"].ID, Year: 2025, Title: tt.title, Items: tt.items(c.ID)}
			got, err := e.plans.Create(e.as("staffG"), in)
			wantErrKind(t, err, tt.want)
			if tt.want != nil {
				if !strings.Contains(err.Error(), tt.msg) {
					t.Errorf("message %q does not say %q", err, tt.msg)
				}
				if diff := cmp.Diff(before, e.db.snapshot()); diff != "" {
					t.Errorf("refused plan changed the store:\n%s", diff)
				}
				return
			}
			if got.ID == 0 || got.OrgPath != testOrgs["G"].Path || got.CreatedBy != 21 || got.Title != strings.TrimSpace(tt.title) {
				t.Errorf("plan = %+v", got)
			}
			if len(got.Items) > 0 && got.Items[0].Title != "党章学习" {
				t.Errorf("item title %q not trimmed", got.Items[0].Title)
			}
			if diff := cmp.Diff(e.db.snapshot().Plans[got.ID], got); diff != "" {
				t.Errorf("returned plan differs from stored:\n%s", diff)
			}
		})
	}
}

func TestPlanCreatePermissions(t *testing.T) {
	tests := []struct {
		as   string
		org  string
		want any
	}{
		{"staffG", "G", nil},
		{"staffG", "A", nil},
		{"admin", "B", nil},
		{"staffA", "A", nil},
		{"staffA", "G", &PermissionError{}}, // visible (an ancestor) but not managed
		{"staffB", "A", ErrOrgNotFound},     // a sibling subtree is not even visible
		{"staffB", "G", ErrOrgNotFound},
		{"trainerG", "G", &PermissionError{}},
		{"memberA", "A", &PermissionError{}},
		{"staffG", "NOPE", ErrOrgNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.as+" for "+tt.org, func(t *testing.T) {
			e := newTestEnv(t)
			orgID := int64(999)
			if o := testOrgs[tt.org]; o != nil {
				orgID = o.ID
			}
			before := e.db.snapshot()
			got, err := e.plans.Create(e.as(tt.as), &StudyPlan{OrgID: orgID, Year: 2025, Title: "计划",
				Items: []*PlanItem{planItem("a", "2025-01-01", "2025-01-31")}})
			wantErrKind(t, err, tt.want)
			if tt.want != nil {
				if diff := cmp.Diff(before, e.db.snapshot()); diff != "" {
					t.Errorf("refused plan changed the store:\n%s", diff)
				}
				return
			}
			if got.OrgPath != testOrgs[tt.org].Path {
				t.Errorf("OrgPath = %q", got.OrgPath)
			}
		})
	}
}

func TestPlanList(t *testing.T) {
	e := newTestEnv(t)
	mk := func(as, org string, year int) *StudyPlan {
		p, err := e.plans.Create(e.as(as), &StudyPlan{OrgID: testOrgs[org].ID, Year: year, Title: org + " plan"})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	g25, g24 := mk("staffG", "G", 2025), mk("staffG", "G", 2024)
	a25 := mk("staffA", "A", 2025)
	tests := []struct {
		as   string
		org  string
		year int
		want []int64
		err  any
	}{
		{"staffG", "G", 0, []int64{g25.ID, g24.ID}, nil},
		{"staffG", "G", 2024, []int64{g24.ID}, nil},
		{"memberA", "G", 2025, []int64{g25.ID}, nil}, // members study by their ancestors' plans
		{"memberG", "G", 2025, []int64{g25.ID}, nil},
		{"memberB", "G", 2025, nil, ErrOrgNotFound},
		{"staffB", "G", 2025, nil, ErrOrgNotFound},
		{"trainerB", "A", 0, nil, ErrOrgNotFound},
		{"trainerG", "A", 0, nil, ErrOrgNotFound}, // visible to a trainer above it, but not theirs to study
		{"admin", "A", 2025, []int64{a25.ID}, nil},
	}
	for _, tt := range tests {
		got, err := e.plans.List(e.as(tt.as), testOrgs[tt.org].ID, tt.year)
		wantErrKind(t, err, tt.err)
		var ids []int64
		for _, p := range got {
			ids = append(ids, p.ID)
		}
		if diff := cmp.Diff(tt.want, ids, cmpopts.SortSlices(func(a, b int64) bool { return a < b })); diff != "" {
			t.Errorf("%s lists %s/%d (-want +got):\n%s", tt.as, tt.org, tt.year, diff)
		}
	}
}

// MyItems: items of the caller's org's and its ancestors' plans that overlap the month.
func TestPlanMyItems(t *testing.T) {
	e := newTestEnv(t)
	create := func(as, org string, items ...*PlanItem) {
		if _, err := e.plans.Create(e.as(as), &StudyPlan{OrgID: testOrgs[org].ID, Year: 2025, Title: org + " 计划", Items: items}); err != nil {
			t.Fatal(err)
		}
	}
	create("staffG", "G",
		planItem("一季度", "2025-01-10", "2025-03-20"),
		planItem("四月", "2025-04-01", "2025-04-30"),
		planItem("一月底结束", "2025-01-01", "2025-01-31"),
		planItem("二月最后一天", "2025-02-28", "2025-03-05"),
		planItem("二月第一天", "2024-12-01", "2025-02-01"),
	)
	create("admin", "ROOT", planItem("全年", "2025-01-01", "2025-12-31"))
	create("staffA", "A", planItem("支部二月", "2025-02-03", "2025-02-07"))
	create("staffB", "B", planItem("兄弟支部二月", "2025-02-01", "2025-02-28"))

	titles := func(as, month string) []string {
		t.Helper()
		got, err := e.plans.MyItems(e.as(as), month)
		if err != nil {
			t.Fatalf("MyItems(%q): %v", month, err)
		}
		var out []string
		for _, it := range got {
			out = append(out, it.Item.Title)
			if it.PlanID == 0 || it.OrgID == 0 || !strings.HasSuffix(it.PlanTitle, "计划") {
				t.Errorf("item %q without its plan: %+v", it.Item.Title, it)
			}
		}
		return out
	}
	sorted := cmpopts.SortSlices(func(a, b string) bool { return a < b })
	feb := []string{"一季度", "二月最后一天", "二月第一天", "全年", "支部二月"}
	if diff := cmp.Diff(feb, titles("memberA", "2025-02"), sorted); diff != "" {
		t.Errorf("February for memberA (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(feb, titles("memberA", ""), sorted); diff != "" { // the fake clock is in February 2025
		t.Errorf("current month for memberA (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"四月", "全年"}, titles("memberA", "2025-04"), sorted); diff != "" {
		t.Errorf("April (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"一季度", "二月最后一天", "全年"}, titles("memberA", "2025-03"), sorted); diff != "" {
		t.Errorf("March (-want +got):\n%s", diff)
	}
	if got := titles("memberA", "2026-02"); len(got) != 0 {
		t.Errorf("February 2026: %q", got)
	}
	if diff := cmp.Diff([]string{"一季度", "二月最后一天", "二月第一天", "全年"}, titles("memberG", "2025-02"), sorted); diff != "" {
		t.Errorf("February for memberG (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"全年", "兄弟支部二月"}, titles("memberB", "2025-02"), sorted); diff != "" {
		t.Errorf("February for memberB (-want +got):\n%s", diff)
	}

	e.clk.Set(time.Date(2025, 4, 30, 23, 0, 0, 0, time.UTC))
	if diff := cmp.Diff([]string{"四月", "全年"}, titles("memberA", ""), sorted); diff != "" {
		t.Errorf("current month in April (-want +got):\n%s", diff)
	}

	for _, bad := range []string{"2025-2", "2025-13", "feb", "2025-02-01", "202502"} {
		_, err := e.plans.MyItems(e.as("memberA"), bad)
		wantErrKind(t, err, &FieldError{Field: "month"})
	}
}

// Update and Delete: those who manage the plan's org change it; those who see it without
// managing it (members, staff of an org below it) are refused; others are told it does not
// exist. Nothing changes on a refusal.
func TestPlanUpdateDeletePermissions(t *testing.T) {
	tests := []struct {
		as   string
		org  string
		want any
	}{
		{"staffG", "G", nil},
		{"staffG", "A", nil}, // staff above manage the subtree's plans
		{"admin", "B", nil},
		{"staffA", "A", nil},
		{"staffA", "G", &PermissionError{}}, // an ancestor's plan: seen, not theirs
		{"memberA", "A", &PermissionError{}},
		{"memberG", "G", &PermissionError{}},
		{"staffB", "A", ErrPlanNotFound}, // another subtree is not even told it exists
		{"memberB", "G", ErrPlanNotFound},
		{"trainerG", "A", ErrPlanNotFound},
		{"trainerG", "G", &PermissionError{}},
	}
	for _, tt := range tests {
		t.Run(tt.as+" on "+tt.org, func(t *testing.T) {
			e := newTestEnv(t)
			owner := map[string]string{"G": "staffG", "A": "staffA", "B": "admin"}[tt.org]
			p, err := e.plans.Create(e.as(owner), &StudyPlan{OrgID: testOrgs[tt.org].ID, Year: 2025, Title: "计划",
				Items: []*PlanItem{planItem("a", "2025-01-01", "2025-01-31")}})
			if err != nil {
				t.Fatal(err)
			}
			before := e.db.snapshot()
			up, err := e.plans.Update(e.as(tt.as), &StudyPlan{ID: p.ID, Year: 2026, Title: "改",
				Items: []*PlanItem{{ID: p.Items[0].ID, Title: "b", StartsOn: "2026-01-01", EndsOn: "2026-01-02"}}})
			wantErrKind(t, err, tt.want)
			if tt.want != nil {
				wantErrKind(t, e.plans.Delete(e.as(tt.as), p.ID), tt.want)
				if diff := cmp.Diff(before, e.db.snapshot()); diff != "" {
					t.Errorf("refused change touched the store:\n%s", diff)
				}
				return
			}
			if up.Title != "改" || up.Year != 2026 || up.OrgPath != p.OrgPath || up.CreatedBy != p.CreatedBy || len(up.Items) != 1 || up.Items[0].ID != p.Items[0].ID {
				t.Errorf("updated plan = %+v", up)
			}
			if err := e.plans.Delete(e.as(tt.as), p.ID); err != nil {
				t.Fatalf("Delete: %v", err)
			}
			if _, ok := e.db.snapshot().Plans[p.ID]; ok {
				t.Error("plan still stored after Delete")
			}
		})
	}
	e := newTestEnv(t)
	_, err := e.plans.Update(e.as("admin"), &StudyPlan{ID: 4242, Year: 2026, Title: "x"})
	wantErrKind(t, err, ErrPlanNotFound)
	wantErrKind(t, e.plans.Delete(e.as("admin"), 4242), ErrPlanNotFound)
}

// Update checks what Create checks, and that every item it keeps is the plan's own (once).
func TestPlanUpdateValidation(t *testing.T) {
	e := newTestEnv(t)
	c := e.seedCourse("党章", "G", "staffG", StatusPublished)
	mk := func() *StudyPlan {
		p, err := e.plans.Create(e.as("staffG"), &StudyPlan{OrgID: testOrgs["G"].ID, Year: 2025, Title: "计划",
			Items: []*PlanItem{planItem("一", "2025-01-01", "2025-01-31"), planItem("二", "2025-02-01", "2025-02-28")}})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	p, other := mk(), mk()
	item := func(id int64, title, starts, ends string, courses ...int64) *PlanItem {
		return &PlanItem{ID: id, Title: title, StartsOn: starts, EndsOn: ends, CourseIDs: courses}
	}
	tests := []struct {
		name  string
		title string
		items []*PlanItem
		field string
	}{
		{"empty title", " ", []*PlanItem{item(0, "a", "2025-01-01", "2025-01-02")}, "title"},
		{"another plan's item", "计划", []*PlanItem{item(p.Items[0].ID, "a", "2025-01-01", "2025-01-02"), item(other.Items[0].ID, "b", "2025-01-01", "2025-01-02")}, "items[1].id"},
		{"an item twice", "计划", []*PlanItem{item(p.Items[0].ID, "a", "2025-01-01", "2025-01-02"), item(p.Items[0].ID, "b", "2025-01-01", "2025-01-02")}, "items[1].id"},
		{"end before start", "计划", []*PlanItem{item(p.Items[0].ID, "a", "2025-01-05", "2025-01-02")}, "items[0].ends_on"},
		{"unknown course", "计划", []*PlanItem{item(0, "a", "2025-01-01", "2025-01-02", c.ID, 9999)}, "items[0].course_ids"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := e.db.snapshot()
			_, err := e.plans.Update(e.as("staffG"), &StudyPlan{ID: p.ID, Year: 2025, Title: tt.title, Items: tt.items})
			wantErrKind(t, err, &FieldError{Field: tt.field})
			if diff := cmp.Diff(before, e.db.snapshot()); diff != "" {
				t.Errorf("refused update changed the store:\n%s", diff)
			}
		})
	}
	// A valid update keeps the first item's id, drops the second, adds one.
	got, err := e.plans.Update(e.as("staffG"), &StudyPlan{ID: p.ID, Year: 2025, Title: " 新计划 ", OrgID: testOrgs["A"].ID,
		Items: []*PlanItem{item(p.Items[0].ID, " 一（改） ", "2025-01-01", "2025-01-10", c.ID), item(0, "三", "2025-03-01", "2025-03-31")}})
	if err != nil {
		t.Fatal(err)
	}
	if got.Title != "新计划" || got.OrgID != testOrgs["G"].ID || len(got.Items) != 2 || got.Items[0].ID != p.Items[0].ID ||
		got.Items[0].Title != "一（改）" || got.Items[1].ID == p.Items[1].ID || got.Items[1].ID == 0 {
		t.Errorf("updated plan = %+v (items %+v)", got, got.Items)
	}
}
