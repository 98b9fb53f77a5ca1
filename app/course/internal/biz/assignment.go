package biz

import (
	"context"
	"sort"
	"time"

	"github.com/vanguard/vanguard/pkg/auth"
)

// Assignment assigns a course to an org and its whole subtree.
type Assignment struct {
	ID         int64
	CourseID   int64
	OrgID      int64
	OrgPath    string
	Required   bool
	DueDate    string // YYYY-MM-DD or ""
	AssignedBy int64
	CreatedAt  time.Time
}

// AssignmentRepo stores assignments.
type AssignmentRepo interface {
	// Upsert creates or updates the assignment of a course to an org (one per pair).
	Upsert(ctx context.Context, a *Assignment) (*Assignment, error)
	Get(ctx context.Context, id int64) (*Assignment, error)
	Delete(ctx context.Context, id int64) error
	ListByCourse(ctx context.Context, courseID int64) ([]*Assignment, error)
	// ListForPaths lists assignments made to any of the given org paths.
	ListForPaths(ctx context.Context, paths []string) ([]*Assignment, error)
	// AppliesTo reports whether the course is assigned to any of the given org paths.
	AppliesTo(ctx context.Context, courseID int64, paths []string) (bool, error)
}

// MyCourse is one course that applies to a member, with the strongest assignment.
type MyCourse struct {
	Course   *Course
	Required bool
	DueDate  string
}

// Assign assigns a published course to orgs the caller manages (staff: their subtree; admins:
// any). Re-assigning updates required and due date: safe to retry.
func (uc *CourseUsecase) Assign(ctx context.Context, courseID int64, orgIDs []int64, required bool, due string) ([]*Assignment, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	if due != "" && !validDate(due) {
		return nil, Invalid("due_date", "截止日期格式应为 YYYY-MM-DD")
	}
	if !p.IsAdmin() && !p.IsStaff() {
		return nil, deny("只有组织管理员可以分配课程")
	}
	var c *Course
	err = uc.tx.InTx(ctx, func(ctx context.Context) error {
		if c, err = uc.repo.GetCourse(ctx, courseID, false); err != nil {
			return err
		}
		if err := uc.viewable(ctx, p, c); err != nil {
			return err
		}
		if c.Status != StatusPublished {
			return &StateError{Msg: "只有已发布的课程可以分配"}
		}
		for _, id := range orgIDs {
			org, err := uc.orgs.GetOrg(ctx, id)
			if err != nil {
				return err
			}
			if !p.CanManageOrg(org.Path) {
				return deny("无权向组织“" + org.Name + "”分配课程")
			}
			a, err := uc.assignments.Upsert(ctx, &Assignment{
				CourseID: courseID, OrgID: org.ID, OrgPath: org.Path, Required: required, DueDate: due, AssignedBy: p.UserID,
			})
			if err != nil {
				return err
			}
			if err := uc.events.Publish(ctx, AssignmentChanged{Assignment: *a}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	all, err := uc.assignments.ListByCourse(ctx, courseID)
	if err != nil {
		return nil, err
	}
	return visibleAssignments(p, c, all), nil
}

// visibleAssignments are the assignments of c that p sees: all with the management view, else
// those within the orgs p manages (their subtree, or their temporary branch).
func visibleAssignments(p *auth.Principal, c *Course, all []*Assignment) []*Assignment {
	if canManageView(p, c) {
		return all
	}
	var mine []*Assignment
	for _, a := range all {
		if p.CanManageOrg(a.OrgPath) {
			mine = append(mine, a)
		}
	}
	return mine
}

// ListAssignments lists a course's assignments for those with the management view.
func (uc *CourseUsecase) ListAssignments(ctx context.Context, courseID int64) ([]*Assignment, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	c, err := uc.repo.GetCourse(ctx, courseID, false)
	if err != nil {
		return nil, err
	}
	if !canManageView(p, c) && !p.IsStaff() {
		if err := uc.viewable(ctx, p, c); err != nil {
			return nil, err
		}
		return nil, deny("无权查看课程分配")
	}
	all, err := uc.assignments.ListByCourse(ctx, courseID)
	if err != nil {
		return nil, err
	}
	mine := visibleAssignments(p, c, all)
	if len(mine) == 0 && !canManageView(p, c) {
		if err := uc.viewable(ctx, p, c); err != nil {
			return nil, err
		}
	}
	return mine, nil
}

// Unassign removes an assignment made to an org the caller manages.
func (uc *CourseUsecase) Unassign(ctx context.Context, id int64) error {
	p, err := auth.Require(ctx)
	if err != nil {
		return err
	}
	return uc.tx.InTx(ctx, func(ctx context.Context) error {
		a, err := uc.assignments.Get(ctx, id)
		if err != nil {
			return err
		}
		if !p.CanManageOrg(a.OrgPath) {
			return ErrCourseNotFound
		}
		if err := uc.assignments.Delete(ctx, id); err != nil {
			return err
		}
		return uc.events.Publish(ctx, AssignmentChanged{Assignment: *a, Removed: true})
	})
}

// MyCourses lists the published courses assigned to the caller's org or any ancestor, each once
// with its strongest assignment (required beats elective, earlier due date beats later), ordered
// required first, then by due date (none last), then title.
func (uc *CourseUsecase) MyCourses(ctx context.Context) ([]*MyCourse, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	as, err := uc.assignments.ListForPaths(ctx, p.AncestorPaths())
	if err != nil {
		return nil, err
	}
	best := map[int64]*MyCourse{}
	var ids []int64
	for _, a := range as {
		m := best[a.CourseID]
		if m == nil {
			m = &MyCourse{Required: a.Required, DueDate: a.DueDate}
			best[a.CourseID] = m
			ids = append(ids, a.CourseID)
			continue
		}
		if a.Required && !m.Required {
			m.Required, m.DueDate = true, a.DueDate
		} else if a.Required == m.Required && a.DueDate != "" && (m.DueDate == "" || a.DueDate < m.DueDate) {
			m.DueDate = a.DueDate
		}
	}
	courses, err := uc.repo.GetCourses(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]*MyCourse, 0, len(courses))
	for _, c := range courses {
		if c.Status != StatusPublished {
			continue
		}
		m := best[c.ID]
		m.Course = c
		out = append(out, m)
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Required != b.Required {
			return a.Required
		}
		if (a.DueDate == "") != (b.DueDate == "") {
			return a.DueDate != ""
		}
		if a.DueDate != b.DueDate {
			return a.DueDate < b.DueDate
		}
		return a.Course.Title < b.Course.Title
	})
	return out, nil
}
