package schema

import (
	"time"

	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// AuditLog records one change made by staff or an admin: who, what, when, and a before/after
// summary. org_path is the scope of the target so staff can list their subtree's entries.
type AuditLog struct {
	ent.Schema
}

// Fields of the AuditLog.
func (AuditLog) Fields() []ent.Field {
	return []ent.Field{
		field.Int64("id"),
		field.Int64("actor_id"),
		field.String("actor_name").MaxLen(64),
		field.String("action").MaxLen(64),
		field.String("target_type").MaxLen(32),
		field.Int64("target_id"),
		field.String("org_path").MaxLen(512),
		field.String("summary").MaxLen(512),
		field.Text("before").Default(""),
		field.Text("after").Default(""),
		field.Time("created_at").Default(time.Now).Immutable(),
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
