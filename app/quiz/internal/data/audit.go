package data

import (
	"context"
	"time"

	"github.com/go-kratos/kratos/v2/log"

	"github.com/vanguard/vanguard/app/quiz/internal/biz"
	"github.com/vanguard/vanguard/pkg/audit"
)

// auditTimeout bounds one delivery to org's audit log, retries included; it runs after the
// change committed and outlives a caller that hung up.
const auditTimeout = 5 * time.Second

type auditLog struct {
	client audit.Appender
	log    *log.Helper
}

var _ biz.AuditLog = (*auditLog)(nil)

// NewAuditLog adapts the shared audit client (pkg/audit, over org's gRPC API as the quiz service)
// to biz.AuditLog.
func NewAuditLog(client audit.Appender, logger log.Logger) biz.AuditLog {
	return &auditLog{client: client, log: log.NewHelper(log.With(logger, "module", "quiz/audit"))}
}

// Append delivers entries, logging (keys and action only, never before/after) what could not be
// delivered.
func (a *auditLog) Append(ctx context.Context, entries ...biz.AuditEntry) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), auditTimeout)
	defer cancel()
	out := make([]audit.Entry, len(entries))
	keys := make([]string, len(entries))
	for i, e := range entries {
		out[i] = audit.Entry{
			Key: e.Key, ActorID: e.ActorID, ActorName: e.ActorName, ActorOrgPath: e.ActorOrgPath,
			Action: e.Action, TargetType: e.TargetType, TargetID: e.TargetID, OrgPath: e.OrgPath,
			Summary: e.Summary, Before: e.Before, After: e.After,
		}
		keys[i] = e.Key
	}
	err := a.client.Append(ctx, out...)
	if err != nil {
		a.log.WithContext(ctx).Errorw("msg", "audit entries not delivered", "keys", keys, "err", err)
	}
	return err
}
