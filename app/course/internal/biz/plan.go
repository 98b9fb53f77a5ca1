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

	for i, it := range plan.Items {
		field := fmt.Sprintf("items[%d]", i)
		it.Title = trim(it.Title)
		switch {
		case it.Title == "":
			return nil, Invalid(field+".title", "学习内容不能为空")
		case !validDate(it.StartsOn):
			return nil, Invalid(field+".starts_on", "日期格式应为 YYYY-MM-DD")
		case !validDate(it.EndsOn):
			return nil, Invalid(field+".ends_on", "日期格式应为 YYYY-MM-DD")
		case it.EndsOn < it.StartsOn:
			return nil, Invalid(field+".ends_on", "结束日期不能早于开始日期")
		}
		if len(it.CourseIDs) > 0 {
			found, err := uc.courses.GetCourses(ctx, it.CourseIDs)
			if err != nil {
				return nil, err
			}
			if len(found) != len(dedupeIDs(it.CourseIDs)) {
				return nil, Invalid(field+".course_ids", "包含不存在的课程")
			}
		}
	}
	plan.OrgPath, plan.CreatedBy = org.Path, p.UserID
	return uc.plans.Create(ctx, plan)
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
