package biztest

import (
	"github.com/vanguard/vanguard/app/course/internal/biz"
)

var assignmentCases = []testCase{
	{"Upsert", testUpsert},
	{"GetDelete", testAssignmentGetDelete},
	{"ListByCourse", testListByCourse},
	{"ListForPathsAppliesTo", testListForPaths},
}

var planCases = []testCase{
	{"CreateList", testPlanCreateList},
	{"ListFilters", testPlanListFilters},
	{"GetUpdateDelete", testPlanGetUpdateDelete},
}

// Upsert keeps one assignment per (course, org): the first creates it (id, creation time), the
// next update required, due date, assigner and org path in place, keeping id and creation time.
func testUpsert(f *fx) {
	in := &biz.Assignment{CourseID: 5, OrgID: 2, OrgPath: "/1/2/", Required: false, DueDate: "", AssignedBy: 1}
	a1 := res(f.r.Assignments.Upsert(f.ctx, in)).must(f, "Upsert")
	if a1.ID <= 0 || a1.CreatedAt.IsZero() {
		f.Fatalf("Upsert = id %d created %v", a1.ID, a1.CreatedAt)
	}
	want := *in
	want.ID = a1.ID
	f.same("created assignment", &want, a1, ignoreStamps)

	again := &biz.Assignment{CourseID: 5, OrgID: 2, OrgPath: "/1/9/2/", Required: true, DueDate: "2026-12-31", AssignedBy: 7}
	a2 := res(f.r.Assignments.Upsert(f.ctx, again)).must(f, "Upsert again")
	want = *again
	want.ID, want.CreatedAt = a1.ID, a1.CreatedAt
	f.same("upserted assignment", &want, a2)
	f.same("Get after the upsert", &want, res(f.r.Assignments.Get(f.ctx, a1.ID)).must(f, "Get"))
	// Back to elective without a due date.
	want.Required, want.DueDate = false, ""
	f.same("upserted back", &want, res(f.r.Assignments.Upsert(f.ctx, &biz.Assignment{CourseID: 5, OrgID: 2, OrgPath: "/1/9/2/",
		AssignedBy: 7})).must(f, "Upsert back"))
	f.same("assignments of the course", []int64{a1.ID}, idsOf(res(f.r.Assignments.ListByCourse(f.ctx, 5)).must(f, "ListByCourse"), assignmentID))

	otherOrg := f.assign(5, 3, "/1/3/", true, "")
	otherCourse := f.assign(6, 2, "/1/2/", true, "")
	if otherOrg.ID == a1.ID || otherCourse.ID == a1.ID || otherOrg.ID == otherCourse.ID {
		f.Errorf("ids %d %d %d, want three distinct", a1.ID, otherOrg.ID, otherCourse.ID)
	}
}

// Get returns an assignment; Delete removes it. A missing one is ErrCourseNotFound for both
// (the use cases answer "not found" for a course they will not reveal either).
func testAssignmentGetDelete(f *fx) {
	a := f.assign(5, 2, "/1/2/", true, "2026-06-30")
	b := f.assign(5, 3, "/1/3/", false, "")
	f.same("Get", a, res(f.r.Assignments.Get(f.ctx, a.ID)).must(f, "Get"))
	f.noErr("Delete", f.r.Assignments.Delete(f.ctx, a.ID))
	_, err := f.r.Assignments.Get(f.ctx, a.ID)
	f.wantErr("Get of a deleted assignment", err, biz.ErrCourseNotFound)
	f.wantErr("second Delete", f.r.Assignments.Delete(f.ctx, a.ID), biz.ErrCourseNotFound)
	_, err = f.r.Assignments.Get(f.ctx, missing)
	f.wantErr("Get of a missing assignment", err, biz.ErrCourseNotFound)
	f.wantErr("Delete of a missing assignment", f.r.Assignments.Delete(f.ctx, missing), biz.ErrCourseNotFound)
	f.same("the other assignment", []*biz.Assignment{b}, res(f.r.Assignments.ListByCourse(f.ctx, 5)).must(f, "ListByCourse"))
	if ok := res(f.r.Assignments.AppliesTo(f.ctx, 5, []string{"/1/2/"})).must(f, "AppliesTo"); ok {
		f.Error("AppliesTo a deleted assignment's org = true")
	}
	// The pair can be assigned afresh.
	if c := f.assign(5, 2, "/1/2/", false, ""); c.ID == a.ID {
		f.Errorf("re-created assignment reused id %d", c.ID)
	}
}

// ListByCourse lists a course's assignments by id. (Pinned: by id, as the ent repository does.)
func testListByCourse(f *fx) {
	a := f.assign(5, 4, "/1/4/", true, "2026-01-31")
	f.assign(6, 2, "/1/2/", true, "")
	b := f.assign(5, 2, "/1/2/", false, "")
	c := f.assign(5, 1, "/1/", true, "")
	f.assign(5, 4, "/1/4/", false, "") // updates a in place
	a.Required, a.DueDate = false, ""
	f.same("ListByCourse", []*biz.Assignment{a, b, c}, res(f.r.Assignments.ListByCourse(f.ctx, 5)).must(f, "ListByCourse"), ignoreStamps)
	f.same("ListByCourse of an unassigned course", []*biz.Assignment(nil), res(f.r.Assignments.ListByCourse(f.ctx, missing)).must(f, "ListByCourse"))
}

// ListForPaths lists the assignments made to any of the paths, by id (pinned), and AppliesTo
// says whether a course has one: exact org paths, never subtrees (biz passes a member's
// ancestor paths, so an assignment to an org reaches its whole subtree).
func testListForPaths(f *fx) {
	root := f.assign(5, 1, "/1/", false, "")
	branch := f.assign(6, 3, "/1/2/3/", true, "2026-05-01")
	general := f.assign(5, 2, "/1/2/", true, "2026-04-01")
	other := f.assign(7, 4, "/1/4/", true, "")
	ten := f.assign(8, 10, "/10/", true, "")
	branch5 := f.assign(5, 3, "/1/2/3/", false, "")

	memberOf3 := []string{"/1/", "/1/2/", "/1/2/3/"}
	list := func(paths []string) []*biz.Assignment {
		f.Helper()
		return res(f.r.Assignments.ListForPaths(f.ctx, paths)).must(f, "ListForPaths")
	}
	f.same("ListForPaths(member of /1/2/3/)", []*biz.Assignment{root, branch, general, branch5}, list(memberOf3), ignoreStamps)
	f.same("ListForPaths(/1/4/, /10/)", []int64{other.ID, ten.ID}, idsOf(list([]string{"/10/", "/1/4/"}), assignmentID))
	f.same("ListForPaths(/1/2/) is not its subtree", []int64{general.ID}, idsOf(list([]string{"/1/2/"}), assignmentID))
	f.same("ListForPaths(/1/) is not /10/", []int64{root.ID}, idsOf(list([]string{"/1/"}), assignmentID))
	f.same("ListForPaths(none)", []int64(nil), idsOf(list(nil), assignmentID))
	f.same("ListForPaths(unknown)", []int64(nil), idsOf(list([]string{"/9/"}), assignmentID))

	for _, tt := range []struct {
		course int64
		paths  []string
		want   bool
	}{
		{5, memberOf3, true},
		{6, memberOf3, true},
		{6, []string{"/1/", "/1/2/"}, false}, // assigned below, not to an ancestor
		{7, memberOf3, false},
		{7, []string{"/1/", "/1/4/"}, true},
		{8, []string{"/1/"}, false},
		{5, nil, false},
		{missing, memberOf3, false},
	} {
		if got := res(f.r.Assignments.AppliesTo(f.ctx, tt.course, tt.paths)).must(f, "AppliesTo"); got != tt.want {
			f.Errorf("AppliesTo(%d, %q) = %v, want %v", tt.course, tt.paths, got, tt.want)
		}
	}
}

// Create stores a plan with its items (ids, plan id), returning the items as given; List returns
// the plans with their items ordered by start date, then id (pinned: the ent repository's order;
// biz's "my items" keep it).
func testPlanCreateList(f *fx) {
	in := &biz.StudyPlan{OrgID: 2, OrgPath: "/1/2/", Year: 2026, Title: "2026年度理论学习中心组学习计划", CreatedBy: 20, Items: []*biz.PlanItem{
		{Title: "二月：党章", TopicID: 3, StartsOn: "2026-02-01", EndsOn: "2026-02-28", CourseIDs: []int64{11, 12}},
		{Title: "一月：党史", StartsOn: "2026-01-01", EndsOn: "2026-01-31"},
		{Title: "一月：专题", StartsOn: "2026-01-01", EndsOn: "2026-01-15", CourseIDs: []int64{13}},
	}}
	p := res(f.r.Plans.Create(f.ctx, in)).must(f, "Plans.Create")
	if p.ID <= 0 || len(p.Items) != 3 {
		f.Fatalf("Plans.Create = id %d with %d items", p.ID, len(p.Items))
	}
	want := *in
	want.ID, want.Items = p.ID, nil
	seen := map[int64]bool{}
	for i, it := range in.Items {
		got := p.Items[i]
		if got.ID <= 0 || seen[got.ID] {
			f.Errorf("item %d id = %d", i, got.ID)
		}
		seen[got.ID] = true
		w := *it
		w.ID, w.PlanID = got.ID, p.ID
		want.Items = append(want.Items, &w)
	}
	f.same("created plan", &want, p)

	listed := res(f.r.Plans.List(f.ctx, []string{"/1/2/"}, 2026)).must(f, "Plans.List")
	wantListed := want
	wantListed.Items = []*biz.PlanItem{want.Items[1], want.Items[2], want.Items[0]}
	f.same("listed plan", []*biz.StudyPlan{&wantListed}, listed)

	empty := res(f.r.Plans.Create(f.ctx, &biz.StudyPlan{OrgID: 2, OrgPath: "/1/2/", Year: 2026, Title: "空计划", CreatedBy: 20})).must(f, "Plans.Create(no items)")
	if len(empty.Items) != 0 || empty.ID == p.ID {
		f.Errorf("plan without items = id %d items %d", empty.ID, len(empty.Items))
	}
	listed = res(f.r.Plans.List(f.ctx, []string{"/1/2/"}, 2026)).must(f, "Plans.List")
	f.same("plans by id", []int64{p.ID, empty.ID}, idsOf(listed, planID))
	if len(listed) == 2 && len(listed[1].Items) != 0 {
		f.Errorf("plan without items listed with %d items", len(listed[1].Items))
	}
}

// List selects plans by exact org path (any of several; none given: none) and by year when
// non-zero, by id.
func testPlanListFilters(f *fx) {
	mk := func(orgID int64, path string, year int) *biz.StudyPlan {
		f.Helper()
		return res(f.r.Plans.Create(f.ctx, &biz.StudyPlan{OrgID: orgID, OrgPath: path, Year: year, Title: "计划", CreatedBy: 1,
			Items: []*biz.PlanItem{{Title: "学习", StartsOn: "2026-01-01", EndsOn: "2026-12-31"}}})).must(f, "Plans.Create")
	}
	g26 := mk(2, "/1/2/", 2026)
	root26 := mk(1, "/1/", 2026)
	g25 := mk(2, "/1/2/", 2025)
	b26 := mk(3, "/1/2/3/", 2026)
	ten26 := mk(10, "/10/", 2026)
	list := func(paths []string, year int) []int64 {
		f.Helper()
		return idsOf(res(f.r.Plans.List(f.ctx, paths, year)).must(f, "Plans.List"), planID)
	}
	f.same("/1/2/ any year", []int64{g26.ID, g25.ID}, list([]string{"/1/2/"}, 0))
	f.same("/1/2/ in 2025", []int64{g25.ID}, list([]string{"/1/2/"}, 2025))
	f.same("/1/2/ in 2024", []int64(nil), list([]string{"/1/2/"}, 2024))
	f.same("ancestors of /1/2/3/ in 2026", []int64{g26.ID, root26.ID, b26.ID}, list([]string{"/1/", "/1/2/", "/1/2/3/"}, 2026))
	f.same("/1/ is not its subtree", []int64{root26.ID}, list([]string{"/1/"}, 0))
	f.same("/10/", []int64{ten26.ID}, list([]string{"/10/"}, 0))
	f.same("no paths", []int64(nil), list(nil, 0))
	f.same("unknown path", []int64(nil), list([]string{"/9/"}, 0))
}

// Get returns a plan with its items in list order; Update rewrites year and title, keeps the
// items it names (rewritten in place, same id), creates those without an id and deletes the
// rest, leaving other plans alone; an item of another plan is refused (ErrPlanNotFound) without
// a change; Delete removes the plan and its items; missing plans are ErrPlanNotFound.
func testPlanGetUpdateDelete(f *fx) {
	mk := func(title string, items ...*biz.PlanItem) *biz.StudyPlan {
		return res(f.r.Plans.Create(f.ctx, &biz.StudyPlan{OrgID: 2, OrgPath: "/1/2/", Year: 2026, Title: title, CreatedBy: 20, Items: items})).must(f, "Plans.Create")
	}
	p := mk("计划", &biz.PlanItem{Title: "二月", StartsOn: "2026-02-01", EndsOn: "2026-02-28", CourseIDs: []int64{11}},
		&biz.PlanItem{Title: "一月", StartsOn: "2026-01-01", EndsOn: "2026-01-31"},
		&biz.PlanItem{Title: "三月", StartsOn: "2026-03-01", EndsOn: "2026-03-31"})
	other := mk("另一个计划", &biz.PlanItem{Title: "其他", StartsOn: "2026-05-01", EndsOn: "2026-05-31"})

	got := res(f.r.Plans.Get(f.ctx, p.ID)).must(f, "Plans.Get")
	want := *p
	want.Items = []*biz.PlanItem{p.Items[1], p.Items[0], p.Items[2]}
	f.same("got plan", &want, got)

	feb, jan := p.Items[0], p.Items[1]
	up := &biz.StudyPlan{ID: p.ID, OrgID: 2, OrgPath: "/1/2/", Year: 2027, Title: "新计划", CreatedBy: 20, Items: []*biz.PlanItem{
		{ID: feb.ID, Title: "二月（改）", TopicID: 4, StartsOn: "2027-02-01", EndsOn: "2027-02-20", CourseIDs: []int64{12, 13}},
		{Title: "新增", StartsOn: "2027-01-05", EndsOn: "2027-01-06"},
		{ID: jan.ID, Title: "一月", StartsOn: "2027-01-01", EndsOn: "2027-01-31"},
	}}
	updated := res(f.r.Plans.Update(f.ctx, up)).must(f, "Plans.Update")
	if len(updated.Items) != 3 {
		f.Fatalf("updated plan has %d items", len(updated.Items))
	}
	added := updated.Items[1]
	if added.ID <= 0 || added.ID == feb.ID || added.ID == jan.ID || added.ID == p.Items[2].ID {
		f.Errorf("new item id = %d", added.ID)
	}
	wantUp := biz.StudyPlan{ID: p.ID, OrgID: 2, OrgPath: "/1/2/", Year: 2027, Title: "新计划", CreatedBy: 20, Items: []*biz.PlanItem{
		{ID: jan.ID, PlanID: p.ID, Title: "一月", StartsOn: "2027-01-01", EndsOn: "2027-01-31"},
		{ID: added.ID, PlanID: p.ID, Title: "新增", StartsOn: "2027-01-05", EndsOn: "2027-01-06"},
		{ID: feb.ID, PlanID: p.ID, Title: "二月（改）", TopicID: 4, StartsOn: "2027-02-01", EndsOn: "2027-02-20", CourseIDs: []int64{12, 13}},
	}}
	f.same("updated plan", &wantUp, updated)
	f.same("stored plan", &wantUp, res(f.r.Plans.Get(f.ctx, p.ID)).must(f, "Plans.Get after update"))
	f.same("other plan untouched", other, res(f.r.Plans.Get(f.ctx, other.ID)).must(f, "Plans.Get other"))

	steal := &biz.StudyPlan{ID: p.ID, Year: 2027, Title: "偷梁换柱", Items: []*biz.PlanItem{{ID: other.Items[0].ID, Title: "x", StartsOn: "2027-01-01", EndsOn: "2027-01-01"}}}
	_, err := f.r.Plans.Update(f.ctx, steal)
	f.wantErr("Update with another plan's item", err, biz.ErrPlanNotFound)
	f.same("plan after refused update", &wantUp, res(f.r.Plans.Get(f.ctx, p.ID)).must(f, "Plans.Get after refusal"))
	f.same("other plan after refused update", other, res(f.r.Plans.Get(f.ctx, other.ID)).must(f, "Plans.Get other after refusal"))

	_, err = f.r.Plans.Update(f.ctx, &biz.StudyPlan{ID: 1 << 40, Year: 2027, Title: "x"})
	f.wantErr("Update of a missing plan", err, biz.ErrPlanNotFound)
	_, err = f.r.Plans.Get(f.ctx, 1<<40)
	f.wantErr("Get of a missing plan", err, biz.ErrPlanNotFound)

	if err := f.r.Plans.Delete(f.ctx, p.ID); err != nil {
		f.Fatalf("Plans.Delete: %v", err)
	}
	_, err = f.r.Plans.Get(f.ctx, p.ID)
	f.wantErr("Get of a deleted plan", err, biz.ErrPlanNotFound)
	f.wantErr("Delete again", f.r.Plans.Delete(f.ctx, p.ID), biz.ErrPlanNotFound)
	listed := res(f.r.Plans.List(f.ctx, []string{"/1/2/"}, 0)).must(f, "Plans.List after delete")
	f.same("plans left", []int64{other.ID}, idsOf(listed, planID))
}
