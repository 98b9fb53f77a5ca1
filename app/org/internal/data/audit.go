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
	_, err := r.create(r.data.client(ctx), a).Save(ctx)
	return mapErr("auditRepo.Add", err, nil)
}

func (r *auditRepo) create(c *ent.Client, a *biz.AuditRecord) *ent.AuditLogCreate {
	service := a.Service
	if service == "" {
		service = biz.AuditServiceOrg
	}
	b := c.AuditLog.Create().
		SetActorID(a.ActorID).SetActorName(a.ActorName).SetActorOrgPath(a.ActorOrgPath).SetAction(a.Action).
		SetTargetType(a.TargetType).SetTargetID(a.TargetID).SetOrgPath(a.OrgPath).SetSummary(a.Summary).
		SetBefore(a.Before).SetAfter(a.After).SetCreatedAt(a.CreatedAt).SetService(service)
	if a.Key != "" {
		b.SetIdempotencyKey(a.Key)
	}
	return b
}

// AddOnce inserts the records whose key is new in one INSERT … ON CONFLICT (idempotency_key) DO
// NOTHING, so it is atomic and a concurrent append of the same key cannot fail it. The count of
// new records comes from a look-up just before: under such a race it may count an entry the
// other append wrote, which only affects the reply, never what is stored.
func (r *auditRepo) AddOnce(ctx context.Context, rs []*biz.AuditRecord) (int, error) {
	if len(rs) == 0 {
		return 0, nil
	}
	c := r.data.client(ctx)
	keys := make([]string, len(rs))
	for i, a := range rs {
		if a.Key == "" {
			return 0, fmt.Errorf("auditRepo.AddOnce: record %d has no key", i)
		}
		keys[i] = a.Key
	}
	stored, err := c.AuditLog.Query().Where(auditlog.IdempotencyKeyIn(keys...)).Select(auditlog.FieldIdempotencyKey).Strings(ctx)
	if err != nil {
		return 0, fmt.Errorf("auditRepo.AddOnce: %w", err)
	}
	known := make(map[string]bool, len(stored))
	for _, k := range stored {
		known[k] = true
	}
	var builders []*ent.AuditLogCreate
	for _, a := range rs {
		if !known[a.Key] {
			known[a.Key] = true
			builders = append(builders, r.create(c, a))
		}
	}
	if len(builders) == 0 {
		return 0, nil
	}
	err = c.AuditLog.CreateBulk(builders...).OnConflictColumns(auditlog.FieldIdempotencyKey).DoNothing().Exec(ctx)
	if err != nil {
		return 0, mapErr("auditRepo.AddOnce", err, nil)
	}
	return len(builders), nil
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
		out[i] = &biz.AuditRecord{ID: a.ID, ActorID: a.ActorID, ActorName: a.ActorName, ActorOrgPath: a.ActorOrgPath, Action: a.Action,
			TargetType: a.TargetType, TargetID: a.TargetID, OrgPath: a.OrgPath, Summary: a.Summary, Before: a.Before, After: a.After,
			CreatedAt: a.CreatedAt, Service: a.Service}
		if a.IdempotencyKey != nil {
			out[i].Key = *a.IdempotencyKey
		}
	}
	return out, nil
}
