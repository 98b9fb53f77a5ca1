package schema

import (
	"time"

	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/vanguard/vanguard/app/org/internal/biz"
	"github.com/vanguard/vanguard/pkg/entx"
)

// AuditLog records one change made by staff or an admin, in org or in another service: who,
// what, when, and a before/after summary. org_path is the scope of the target so staff can list
// their subtree's entries.
type AuditLog struct {
	ent.Schema
}

// Fields of the AuditLog.
func (AuditLog) Fields() []ent.Field {
	return []ent.Field{
		field.Int64("id"),
		field.Int64("actor_id"),
		entx.Chars(field.String("actor_name"), biz.MaxUsername),
		entx.Chars(field.String("action"), biz.MaxAuditAction),
		entx.Chars(field.String("target_type"), biz.MaxAuditTargetType),
		field.Int64("target_id"),
		entx.Chars(field.String("org_path"), biz.MaxPath),
		entx.Chars(field.String("summary"), biz.MaxAuditSummary),
		field.Text("before").Default(""),
		field.Text("after").Default(""),
		field.Time("created_at").Default(time.Now).Immutable(),
		// service recorded the entry: "org" for org's own, the caller's name for entries other
		// services append (api/org/v1 Audit).
		entx.Chars(field.String("service"), biz.MaxServiceName).Default(biz.AuditServiceOrg),
		entx.Chars(field.String("actor_org_path"), biz.MaxPath).Default(""),
		// idempotency_key ("<service>:<op>:<id>") makes a retried append a no-op; org's own
		// entries, written in the transaction of their change, have none.
		entx.Chars(field.String("idempotency_key"), biz.MaxAuditKey).Optional().Nillable().Unique(),
	}
}

// Indexes of the AuditLog.
func (AuditLog) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("org_path"),
		index.Fields("actor_id"),
		index.Fields("created_at"),
	}
}
