package biz

import (
	"context"
	"encoding/json"
	"time"

	"github.com/vanguard/vanguard/pkg/auth"
	"github.com/vanguard/vanguard/pkg/clock"
)

// AuditEntry is one recorded change. Before and After are any JSON-encodable summary.
type AuditEntry struct {
	ID         int64
	ActorID    int64
	ActorName  string
	Action     string
	TargetType string
	TargetID   int64
	OrgPath    string
	Summary    string
	Before     any
	After      any
	CreatedAt  time.Time
}

// AuditRecord is a stored audit entry with its summaries as JSON text.
type AuditRecord struct {
	ID         int64
	ActorID    int64
	ActorName  string
	Action     string
	TargetType string
	TargetID   int64
	OrgPath    string
	Summary    string
	Before     string
	After      string
	CreatedAt  time.Time
}

// AuditFilter selects audit records.
type AuditFilter struct {
	PathPrefix string
	ActorID    int64
	Action     string
	BeforeID   int64 // page cursor: entries with smaller ids (newest first)
	Limit      int
}

// AuditRepo stores the audit log.
type AuditRepo interface {
	Add(ctx context.Context, r *AuditRecord) error
	List(ctx context.Context, f AuditFilter) ([]*AuditRecord, error)
}

// Auditor writes audit entries inside the caller's transaction, stamped with the principal.
type Auditor struct {
	repo  AuditRepo
	orgs  OrgRepo
	clock clock.Clock
}

// NewAuditor wires an Auditor.
func NewAuditor(repo AuditRepo, orgs OrgRepo, clk clock.Clock) *Auditor {
	return &Auditor{repo: repo, orgs: orgs, clock: clk}
}

// Record stores e with the actor taken from the context.
func (a *Auditor) Record(ctx context.Context, e AuditEntry) error {
	r := &AuditRecord{
		Action: e.Action, TargetType: e.TargetType, TargetID: e.TargetID, OrgPath: e.OrgPath,
		Summary: truncate(e.Summary, MaxAuditSummary), CreatedAt: a.clock.Now(),
	}
	if p, ok := auth.FromContext(ctx); ok {
		r.ActorID, r.ActorName = p.UserID, p.Username
	} else {
		r.ActorName = "system"
	}
	for _, s := range []struct {
		v   any
		dst *string
	}{{e.Before, &r.Before}, {e.After, &r.After}} {
		if s.v == nil {
			continue
		}
		b, err := json.Marshal(s.v)
		if err != nil {
			return err
		}
		*s.dst = string(b)
	}
	return a.repo.Add(ctx, r)
}

// List returns audit entries newest first: admins see all, staff their subtree only.
func (a *Auditor) List(ctx context.Context, orgID int64, f AuditFilter) ([]*AuditRecord, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	if !p.IsAdmin() && !p.HasRole(auth.RoleStaff) {
		return nil, deny("无权查看审计日志")
	}
	f.PathPrefix = ""
	if !p.IsAdmin() {
		f.PathPrefix = p.OrgPath
	}
	if orgID != 0 {
		org, err := a.orgs.Get(ctx, orgID)
		if err != nil {
			return nil, err
		}
		if !p.CanManageOrg(org.Path) {
			if canSeeOrg(p, org.Path) {
				return nil, deny("无权查看该组织的审计日志")
			}
			return nil, ErrOrgNotFound
		}
		f.PathPrefix = org.Path
	}
	f.Limit = clampLimit(f.Limit, 50, 500)
	return a.repo.List(ctx, f)
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}
