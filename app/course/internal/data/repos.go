package data

import (
	"context"
	"fmt"
	"time"

	"github.com/vanguard/vanguard/app/course/internal/biz"
	"github.com/vanguard/vanguard/app/course/internal/data/ent"
	"github.com/vanguard/vanguard/app/course/internal/data/ent/assignment"
	"github.com/vanguard/vanguard/app/course/internal/data/ent/studyplan"
	"github.com/vanguard/vanguard/app/course/internal/data/ent/studyplanitem"
	"github.com/vanguard/vanguard/app/course/internal/data/ent/upload"
)

type uploadRepo struct{ data *Data }

var _ biz.UploadRepo = (*uploadRepo)(nil)

// NewUploadRepo returns the ent-backed upload repository.
func NewUploadRepo(d *Data) biz.UploadRepo { return &uploadRepo{data: d} }

func uploadToBiz(u *ent.Upload) *biz.Upload {
	return &biz.Upload{
		ID: u.ID, LessonID: u.LessonID, CreatedBy: u.CreatedBy, ObjectKey: u.ObjectKey, StoreUploadID: u.StoreUploadID,
		FileName: u.FileName, Size: u.Size, DeclaredType: u.DeclaredType, PartSize: u.PartSize, PartCount: u.PartCount,
		Status: string(u.Status), Reason: u.Reason, ExpiresAt: u.ExpiresAt, CreatedAt: u.CreatedAt,
	}
}

// Expiry times are stored and compared in UTC: SQLite keeps times as text (with the zone) and
// compares them as text, so an expiry and a "now" in different zones (or offsets) would compare
// wrongly, and Expired would miss expired uploads or list live ones.
func (r *uploadRepo) Create(ctx context.Context, u *biz.Upload) (*biz.Upload, error) {
	row, err := r.data.client(ctx).Upload.Create().
		SetLessonID(u.LessonID).SetCreatedBy(u.CreatedBy).SetObjectKey(u.ObjectKey).SetStoreUploadID(u.StoreUploadID).
		SetFileName(u.FileName).SetSize(u.Size).SetDeclaredType(u.DeclaredType).SetPartSize(u.PartSize).
		SetPartCount(u.PartCount).SetStatus(upload.Status(u.Status)).SetExpiresAt(u.ExpiresAt.UTC()).Save(ctx)
	if err != nil {
		return nil, mapErr("uploadRepo.Create", err, nil)
	}
	return uploadToBiz(row), nil
}

func (r *uploadRepo) Get(ctx context.Context, id int64) (*biz.Upload, error) {
	row, err := r.data.Reader(ctx).Upload.Get(ctx, id)
	if err != nil {
		return nil, mapErr("uploadRepo.Get", err, biz.ErrUploadNotFound)
	}
	return uploadToBiz(row), nil
}

func (r *uploadRepo) SetStatus(ctx context.Context, id int64, status, reason string) error {
	err := r.data.client(ctx).Upload.UpdateOneID(id).SetStatus(upload.Status(status)).SetReason(reason).Exec(ctx)
	return mapErr("uploadRepo.SetStatus", err, biz.ErrUploadNotFound)
}

func (r *uploadRepo) Expired(ctx context.Context, now time.Time, limit int) ([]*biz.Upload, error) {
	rows, err := r.data.Reader(ctx).Upload.Query().
		Where(upload.StatusEQ(upload.StatusPending), upload.ExpiresAtLT(now.UTC())).Limit(limit).All(ctx)
	if err != nil {
		return nil, mapErr("uploadRepo.Expired", err, nil)
	}
	out := make([]*biz.Upload, len(rows))
	for i, u := range rows {
		out[i] = uploadToBiz(u)
	}
	return out, nil
}

type assignmentRepo struct{ data *Data }

var _ biz.AssignmentRepo = (*assignmentRepo)(nil)

// NewAssignmentRepo returns the ent-backed assignment repository.
func NewAssignmentRepo(d *Data) biz.AssignmentRepo { return &assignmentRepo{data: d} }

func assignmentToBiz(a *ent.Assignment) *biz.Assignment {
	return &biz.Assignment{ID: a.ID, CourseID: a.CourseID, OrgID: a.OrgID, OrgPath: a.OrgPath, Required: a.Required,
		DueDate: a.DueDate, AssignedBy: a.AssignedBy, CreatedAt: a.CreatedAt}
}

func (r *assignmentRepo) Upsert(ctx context.Context, a *biz.Assignment) (*biz.Assignment, error) {
	c := r.data.client(ctx)
	id, err := c.Assignment.Create().SetCourseID(a.CourseID).SetOrgID(a.OrgID).SetOrgPath(a.OrgPath).
		SetRequired(a.Required).SetDueDate(a.DueDate).SetAssignedBy(a.AssignedBy).
		OnConflictColumns(assignment.FieldCourseID, assignment.FieldOrgID).
		Update(func(u *ent.AssignmentUpsert) {
			u.UpdateRequired().UpdateDueDate().UpdateAssignedBy().UpdateOrgPath()
		}).ID(ctx)
	if err != nil {
		return nil, mapErr("assignmentRepo.Upsert", err, nil)
	}
	row, err := c.Assignment.Get(ctx, id)
	if err != nil {
		return nil, mapErr("assignmentRepo.Upsert: reload", err, nil)
	}
	return assignmentToBiz(row), nil
}

func (r *assignmentRepo) Get(ctx context.Context, id int64) (*biz.Assignment, error) {
	row, err := r.data.Reader(ctx).Assignment.Get(ctx, id)
	if err != nil {
		return nil, mapErr("assignmentRepo.Get", err, biz.ErrCourseNotFound)
	}
	return assignmentToBiz(row), nil
}

func (r *assignmentRepo) Delete(ctx context.Context, id int64) error {
	return mapErr("assignmentRepo.Delete", r.data.client(ctx).Assignment.DeleteOneID(id).Exec(ctx), biz.ErrCourseNotFound)
}

func (r *assignmentRepo) list(ctx context.Context, preds ...func(*ent.AssignmentQuery) *ent.AssignmentQuery) ([]*biz.Assignment, error) {
	q := r.data.Reader(ctx).Assignment.Query()
	for _, p := range preds {
		q = p(q)
	}
	rows, err := q.Order(ent.Asc(assignment.FieldID)).All(ctx)
	if err != nil {
		return nil, mapErr("assignmentRepo.list", err, nil)
	}
	out := make([]*biz.Assignment, len(rows))
	for i, a := range rows {
		out[i] = assignmentToBiz(a)
	}
	return out, nil
}

func (r *assignmentRepo) ListByCourse(ctx context.Context, courseID int64) ([]*biz.Assignment, error) {
	return r.list(ctx, func(q *ent.AssignmentQuery) *ent.AssignmentQuery { return q.Where(assignment.CourseID(courseID)) })
}

func (r *assignmentRepo) ListForPaths(ctx context.Context, paths []string) ([]*biz.Assignment, error) {
	if len(paths) == 0 {
		return nil, nil
	}
	return r.list(ctx, func(q *ent.AssignmentQuery) *ent.AssignmentQuery { return q.Where(assignment.OrgPathIn(paths...)) })
}

func (r *assignmentRepo) AppliesTo(ctx context.Context, courseID int64, paths []string) (bool, error) {
	if len(paths) == 0 {
		return false, nil
	}
	ok, err := r.data.Reader(ctx).Assignment.Query().Where(assignment.CourseID(courseID), assignment.OrgPathIn(paths...)).Exist(ctx)
	return ok, mapErr("assignmentRepo.AppliesTo", err, nil)
}

type planRepo struct{ data *Data }

var _ biz.PlanRepo = (*planRepo)(nil)

// NewPlanRepo returns the ent-backed study plan repository.
func NewPlanRepo(d *Data) biz.PlanRepo { return &planRepo{data: d} }

func (r *planRepo) Create(ctx context.Context, p *biz.StudyPlan) (*biz.StudyPlan, error) {
	var out *biz.StudyPlan
	err := r.data.InTx(ctx, func(ctx context.Context) error {
		c := r.data.client(ctx)
		row, err := c.StudyPlan.Create().SetOrgID(p.OrgID).SetOrgPath(p.OrgPath).SetYear(p.Year).SetTitle(p.Title).
			SetCreatedBy(p.CreatedBy).Save(ctx)
		if err != nil {
			return err
		}
		out = planToBiz(row)
		for _, it := range p.Items {
			ids := it.CourseIDs
			if ids == nil {
				ids = []int64{}
			}
			item, err := c.StudyPlanItem.Create().SetPlanID(row.ID).SetTitle(it.Title).SetTopicID(it.TopicID).
				SetStartsOn(it.StartsOn).SetEndsOn(it.EndsOn).SetCourseIds(ids).Save(ctx)
			if err != nil {
				return err
			}
			out.Items = append(out.Items, itemToBiz(item))
		}
		return nil
	})
	return out, mapErr("planRepo.Create", err, nil)
}

func (r *planRepo) Get(ctx context.Context, id int64) (*biz.StudyPlan, error) {
	c := r.data.client(ctx)
	row, err := c.StudyPlan.Get(ctx, id)
	if err != nil {
		return nil, mapErr("planRepo.Get", err, biz.ErrPlanNotFound)
	}
	out := []*biz.StudyPlan{planToBiz(row)}
	if err := withItems(ctx, c, out); err != nil {
		return nil, mapErr("planRepo.Get: items", err, nil)
	}
	return out[0], nil
}

func (r *planRepo) Update(ctx context.Context, p *biz.StudyPlan) (*biz.StudyPlan, error) {
	err := r.data.InTx(ctx, func(ctx context.Context) error {
		c := r.data.client(ctx)
		if err := c.StudyPlan.UpdateOneID(p.ID).SetYear(p.Year).SetTitle(p.Title).Exec(ctx); err != nil {
			return mapErr("planRepo.Update", err, biz.ErrPlanNotFound)
		}
		var keep []int64
		for _, it := range p.Items {
			if it.ID != 0 {
				keep = append(keep, it.ID)
			}
		}
		if _, err := c.StudyPlanItem.Delete().Where(studyplanitem.PlanID(p.ID), studyplanitem.IDNotIn(keep...)).Exec(ctx); err != nil {
			return mapErr("planRepo.Update: delete items", err, nil)
		}
		for _, it := range p.Items {
			ids := it.CourseIDs
			if ids == nil {
				ids = []int64{}
			}
			if it.ID == 0 {
				err := c.StudyPlanItem.Create().SetPlanID(p.ID).SetTitle(it.Title).SetTopicID(it.TopicID).
					SetStartsOn(it.StartsOn).SetEndsOn(it.EndsOn).SetCourseIds(ids).Exec(ctx)
				if err != nil {
					return mapErr("planRepo.Update: create item", err, nil)
				}
				continue
			}
			// The plan ID in the condition keeps another plan's item out of reach.
			n, err := c.StudyPlanItem.Update().Where(studyplanitem.ID(it.ID), studyplanitem.PlanID(p.ID)).SetTitle(it.Title).
				SetTopicID(it.TopicID).SetStartsOn(it.StartsOn).SetEndsOn(it.EndsOn).SetCourseIds(ids).Save(ctx)
			if err != nil {
				return mapErr("planRepo.Update: item", err, nil)
			}
			if n == 0 {
				return fmt.Errorf("planRepo.Update: item %d is not in plan %d: %w", it.ID, p.ID, biz.ErrPlanNotFound)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return r.Get(ctx, p.ID)
}

func (r *planRepo) Delete(ctx context.Context, id int64) error {
	return r.data.InTx(ctx, func(ctx context.Context) error {
		c := r.data.client(ctx)
		if _, err := c.StudyPlanItem.Delete().Where(studyplanitem.PlanID(id)).Exec(ctx); err != nil {
			return mapErr("planRepo.Delete: items", err, nil)
		}
		return mapErr("planRepo.Delete", c.StudyPlan.DeleteOneID(id).Exec(ctx), biz.ErrPlanNotFound)
	})
}

func itemToBiz(i *ent.StudyPlanItem) *biz.PlanItem {
	return &biz.PlanItem{ID: i.ID, PlanID: i.PlanID, Title: i.Title, TopicID: i.TopicID, StartsOn: i.StartsOn, EndsOn: i.EndsOn, CourseIDs: i.CourseIds}
}

func (r *planRepo) List(ctx context.Context, orgPaths []string, year int) ([]*biz.StudyPlan, error) {
	if len(orgPaths) == 0 {
		return nil, nil
	}
	c := r.data.client(ctx)
	q := c.StudyPlan.Query().Where(studyplan.OrgPathIn(orgPaths...))
	if year != 0 {
		q = q.Where(studyplan.Year(year))
	}
	rows, err := q.Order(ent.Asc(studyplan.FieldID)).All(ctx)
	if err != nil {
		return nil, mapErr("planRepo.List", err, nil)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	out := make([]*biz.StudyPlan, len(rows))
	for i, p := range rows {
		out[i] = planToBiz(p)
	}
	if err := withItems(ctx, c, out); err != nil {
		return nil, mapErr("planRepo.List: items", err, nil)
	}
	return out, nil
}

func planToBiz(p *ent.StudyPlan) *biz.StudyPlan {
	return &biz.StudyPlan{ID: p.ID, OrgID: p.OrgID, OrgPath: p.OrgPath, Year: p.Year, Title: p.Title, CreatedBy: p.CreatedBy}
}

// withItems loads the plans' items in one query, by start date, then id.
func withItems(ctx context.Context, c *ent.Client, plans []*biz.StudyPlan) error {
	ids := make([]int64, len(plans))
	byID := make(map[int64]*biz.StudyPlan, len(plans))
	for i, p := range plans {
		ids[i], byID[p.ID] = p.ID, p
	}
	items, err := c.StudyPlanItem.Query().Where(studyplanitem.PlanIDIn(ids...)).
		Order(ent.Asc(studyplanitem.FieldStartsOn), ent.Asc(studyplanitem.FieldID)).All(ctx)
	if err != nil {
		return err
	}
	for _, it := range items {
		byID[it.PlanID].Items = append(byID[it.PlanID].Items, itemToBiz(it))
	}
	return nil
}
