package data

import (
	"context"

	"github.com/vanguard/vanguard/app/quiz/internal/biz"
	"github.com/vanguard/vanguard/pkg/audit"
	"github.com/vanguard/vanguard/pkg/audit/spool"
)

// SpoolDB is the quiz database as pkg/audit/spool reaches it.
func (d *Data) SpoolDB() spool.DB { return spool.FromEnt(d.Ent) }

type auditLog struct{ spool *spool.Spool }

var _ biz.AuditLog = auditLog{}

// NewAuditLog records quiz's staff actions in its audit spool (pkg/audit/spool), which delivers
// them to org's audit log after the commit.
func NewAuditLog(s *spool.Spool) biz.AuditLog { return auditLog{spool: s} }

func (a auditLog) Record(ctx context.Context, entries ...biz.AuditEntry) error {
	out := make([]audit.Entry, len(entries))
	for i, e := range entries {
		out[i] = audit.Entry{
			Key: e.Key, ActorID: e.ActorID, ActorName: e.ActorName, ActorOrgPath: e.ActorOrgPath,
			Action: e.Action, TargetType: e.TargetType, TargetID: e.TargetID, OrgPath: e.OrgPath,
			Summary: e.Summary, Before: e.Before, After: e.After,
		}
	}
	return a.spool.Add(ctx, out...)
}
