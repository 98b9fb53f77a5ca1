package biz

import (
	"context"
	"fmt"
	"time"

	"github.com/vanguard/vanguard/pkg/auth"
)

// StudyPlan is an org's yearly plan for its theory study group (理论学习中心组).
type StudyPlan struct {
	ID        int64
	OrgID     int64
	OrgPath   string
	Year      int
	Title     string
	CreatedBy int64
	Items     []*PlanItem
}

// PlanItem is one topic of a plan: what to study between two dates, pointing at courses.
type PlanItem struct {
	ID        int64
	PlanID    int64
	Title     string
	TopicID   int64
	StartsOn  string
	EndsOn    string
	CourseIDs []int64
}

// PlanRepo stores study plans.
type PlanRepo interface {
	Create(ctx context.Context, p *StudyPlan) (*StudyPlan, error)
	// List returns plans of the orgs with the given paths (and year, when non-zero), with items.
	List(ctx context.Context, orgPaths []string, year int) ([]*StudyPlan, error)
	// Get returns one plan with its items (ErrPlanNotFound if missing).
	Get(ctx context.Context, id int64) (*StudyPlan, error)
	// Update writes the plan's year and title and replaces its items in one transaction: an
	// item with a non-zero ID is rewritten in place (it must be one of the plan's), one with
	// ID 0 is created, and the plan's other items are deleted. ErrPlanNotFound if missing.
	Update(ctx context.Context, p *StudyPlan) (*StudyPlan, error)
	// Delete removes a plan and its items (ErrPlanNotFound if missing).
	Delete(ctx context.Context, id int64) error
}

// PlanUsecase manages study plans.
type PlanUsecase struct {
	plans   PlanRepo
	courses CourseRepo
	orgs    OrgDirectory
	clock   interface{ Now() time.Time }
}

// NewPlanUsecase wires a PlanUsecase.
func NewPlanUsecase(plans PlanRepo, courses CourseRepo, orgs OrgDirectory, clk interface{ Now() time.Time }) *PlanUsecase {
	return &PlanUsecase{plans: plans, courses: courses, orgs: orgs, clock: clk}
}

// Create adds a plan for an org the caller manages. Every item needs valid dates in order and
// existing courses.
func (uc *PlanUsecase) Create(ctx context.Context, plan *StudyPlan) (*StudyPlan, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	plan.Title = trim(plan.Title)
	if plan.Title == "" {
		return nil, Invalid("title", "计划名称不能为空")
	}
	org, err := uc.orgs.GetOrg(ctx, plan.OrgID)
	if err != nil {
		return nil, err
	}
	if !p.CanManageOrg(org.Path) {
		return nil, deny("无权为该组织制定学习计划")
	}
	if err := uc.checkItems(ctx, plan.Items); err != nil {
		return nil, err
	}
	plan.OrgPath, plan.CreatedBy = org.Path, p.UserID
	return uc.plans.Create(ctx, plan)
}

// checkItems trims item titles and checks dates (valid, in order) and courses (existing).
func (uc *PlanUsecase) checkItems(ctx context.Context, items []*PlanItem) error {
	for i, it := range items {
		field := fmt.Sprintf("items[%d]", i)
		it.Title = trim(it.Title)
		switch {
		case it.Title == "":
			return Invalid(field+".title", "学习内容不能为空")
		case !validDate(it.StartsOn):
			return Invalid(field+".starts_on", "日期格式应为 YYYY-MM-DD")
		case !validDate(it.EndsOn):
			return Invalid(field+".ends_on", "日期格式应为 YYYY-MM-DD")
		case it.EndsOn < it.StartsOn:
			return Invalid(field+".ends_on", "结束日期不能早于开始日期")
		}
		if len(it.CourseIDs) > 0 {
			found, err := uc.courses.GetCourses(ctx, it.CourseIDs)
			if err != nil {
				return err
			}
			if len(found) != len(dedupeIDs(it.CourseIDs)) {
				return Invalid(field+".course_ids", "包含不存在的课程")
			}
		}
	}
	return nil
}

// Update replaces a plan's year, title and items, for those who manage its org. An item that
// names an ID must be one of the plan's own.
func (uc *PlanUsecase) Update(ctx context.Context, plan *StudyPlan) (*StudyPlan, error) {
	old, err := uc.managed(ctx, plan.ID)
	if err != nil {
		return nil, err
	}
	plan.Title = trim(plan.Title)
	if plan.Title == "" {
		return nil, Invalid("title", "计划名称不能为空")
	}
	own := map[int64]bool{}
	for _, it := range old.Items {
		own[it.ID] = true
	}
	for i, it := range plan.Items {
		if it.ID != 0 && !own[it.ID] {
			return nil, Invalid(fmt.Sprintf("items[%d].id", i), "不是本计划的学习内容")
		}
		own[it.ID] = false // an ID twice is refused the second time
	}
	if err := uc.checkItems(ctx, plan.Items); err != nil {
		return nil, err
	}
	plan.OrgID, plan.OrgPath, plan.CreatedBy = old.OrgID, old.OrgPath, old.CreatedBy
	return uc.plans.Update(ctx, plan)
}

// Delete removes a plan, for those who manage its org.
func (uc *PlanUsecase) Delete(ctx context.Context, id int64) error {
	if _, err := uc.managed(ctx, id); err != nil {
		return err
	}
	return uc.plans.Delete(ctx, id)
}

// managed loads a plan the caller may change: those who see it but do not manage its org (its
// members, staff below it) are refused; anyone else is told it does not exist.
func (uc *PlanUsecase) managed(ctx context.Context, id int64) (*StudyPlan, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	plan, err := uc.plans.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	switch {
	case p.CanManageOrg(plan.OrgPath):
		return plan, nil
	case p.InAncestry(plan.OrgPath):
		return nil, deny("无权修改该组织的学习计划")
	default:
		return nil, ErrPlanNotFound
	}
}

// List returns the plans of one org: for those who manage it, and for members of it or its
// subtree (they study by it).
func (uc *PlanUsecase) List(ctx context.Context, orgID int64, year int) ([]*StudyPlan, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	org, err := uc.orgs.GetOrg(ctx, orgID)
	if err != nil {
		return nil, err
	}
	if !p.CanManageOrg(org.Path) && !p.InAncestry(org.Path) {
		return nil, ErrOrgNotFound
	}
	return uc.plans.List(ctx, []string{org.Path}, year)
}

// MyItem is a plan item with the plan it belongs to.
type MyItem struct {
	Item      *PlanItem
	PlanID    int64
	OrgID     int64
	PlanTitle string
}

// MyItems answers "what must my branch study this month": items of the plans of the caller's
// org and its ancestors that overlap the month (YYYY-MM; "" = the current month).
func (uc *PlanUsecase) MyItems(ctx context.Context, month string) ([]*MyItem, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	var start time.Time
	if month == "" {
		now := uc.clock.Now()
		start = time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	} else if start, err = time.Parse("2006-01", month); err != nil {
		return nil, Invalid("month", "月份格式应为 YYYY-MM")
	}
	first, last := start.Format("2006-01-02"), start.AddDate(0, 1, -1).Format("2006-01-02")
	plans, err := uc.plans.List(ctx, p.AncestorPaths(), 0)
	if err != nil {
		return nil, err
	}
	var out []*MyItem
	for _, pl := range plans {
		for _, it := range pl.Items {
			if it.StartsOn <= last && it.EndsOn >= first {
				out = append(out, &MyItem{Item: it, PlanID: pl.ID, OrgID: pl.OrgID, PlanTitle: pl.Title})
			}
		}
	}
	return out, nil
}

func dedupeIDs(ids []int64) []int64 {
	seen := map[int64]bool{}
	var out []int64
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}
