// Package schema holds the ent schema of the audit spool table (pkg/audit/spool). Every service
// that audits staff actions embeds it in its own ent schema package, so its one migration creates
// the table:
//
//	type AuditSpool struct{ schema.Spool }
//
// pkg/audit/spool reads and writes the table with plain SQL through the service's ent client, so
// the spool is written once for every service. Times are Unix milliseconds (UTC), which compare
// the same way on SQLite and PostgreSQL.
package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/vanguard/vanguard/pkg/entx"
)

// Table is the spool's table name, used by pkg/audit/spool's SQL.
const Table = "audit_spool"

// Column limits, in characters.
const (
	MaxKey       = 128 // audit.MaxKey: org's limit for an idempotency key
	MaxLastError = 256
)

// Spool is one audit entry not yet confirmed by org's audit log: written in the same transaction
// as the staff action it records, deleted once org has stored it.
type Spool struct{ ent.Schema }

// Fields of the Spool.
func (Spool) Fields() []ent.Field {
	return []ent.Field{
		field.Int64("id"),
		// key is the entry's idempotency key ("quiz:regrade:42"): one row per key.
		entx.Chars(field.String("key"), MaxKey),
		// entry is the audit.Entry as JSON, with Before and After kept as the JSON they encoded to.
		field.Text("entry"),
		field.Int64("created_ms"),
		// attempts counts the deliveries tried.
		field.Int32("attempts").Default(0),
		// not_before_ms is when the entry may next be delivered: 0 for now; set ahead while a
		// process delivers it (its claim), or after org refused it.
		field.Int64("not_before_ms").Default(0),
		// last_error is why the last delivery failed (a short message, never the entry's data).
		entx.Chars(field.String("last_error"), MaxLastError).Default(""),
	}
}

// Indexes of the Spool.
func (Spool) Indexes() []ent.Index {
	return []ent.Index{index.Fields("key").Unique(), index.Fields("not_before_ms")}
}

// Annotations of the Spool.
func (Spool) Annotations() []schema.Annotation {
	return []schema.Annotation{entsql.Annotation{Table: Table}}
}
