package data

import (
	"context"
	"fmt"

	"github.com/vanguard/vanguard/app/org/internal/biz"
	"github.com/vanguard/vanguard/app/org/internal/data/ent"
	"github.com/vanguard/vanguard/app/org/internal/data/ent/auditlog"
	"github.com/vanguard/vanguard/app/org/internal/data/ent/predicate"
)

type auditRepo struct{ data *Data }

var _ biz.AuditRepo = (*auditRepo)(nil)

// NewAuditRepo returns the ent-backed audit log.
func NewAuditRepo(d *Data) biz.AuditRepo { return &auditRepo{data: d} }

func (r *auditRepo) Add(ctx context.Context, a *biz.AuditRecord) error {
	_, err := r.data.client(ctx).AuditLog.Create().
		SetActorID(a.ActorID).SetActorName(a.ActorName).SetAction(a.Action).SetTargetType(a.TargetType).
		SetTargetID(a.TargetID).SetOrgPath(a.OrgPath).SetSummary(a.Summary).SetBefore(a.Before).SetAfter(a.After).
		SetCreatedAt(a.CreatedAt).Save(ctx)
	return mapErr("auditRepo.Add", err, nil)
}

func (r *auditRepo) List(ctx context.Context, f biz.AuditFilter) ([]*biz.AuditRecord, error) {
	q := r.data.client(ctx).AuditLog.Query()
	if f.PathPrefix != "" {
		q = q.Where(predicate.AuditLog(pathPrefix(auditlog.FieldOrgPath, f.PathPrefix)))
	}
	if f.ActorID != 0 {
		q = q.Where(auditlog.ActorID(f.ActorID))
	}
	if f.Action != "" {
		q = q.Where(auditlog.Action(f.Action))
	}
	if f.BeforeID > 0 {
		q = q.Where(auditlog.IDLT(f.BeforeID))
	}
	rows, err := q.Order(ent.Desc(auditlog.FieldID)).Limit(f.Limit).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("auditRepo.List: %w", err)
	}
	out := make([]*biz.AuditRecord, len(rows))
	for i, a := range rows {
		out[i] = &biz.AuditRecord{ID: a.ID, ActorID: a.ActorID, ActorName: a.ActorName, Action: a.Action, TargetType: a.TargetType,
			TargetID: a.TargetID, OrgPath: a.OrgPath, Summary: a.Summary, Before: a.Before, After: a.After, CreatedAt: a.CreatedAt}
	}
	return out, nil
}
