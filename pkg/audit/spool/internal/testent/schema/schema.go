// Package schema is the test schema of pkg/audit/spool.
package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/field"

	spoolschema "github.com/vanguard/vanguard/pkg/audit/spool/schema"
)

// AuditSpool is the shared spool table.
type AuditSpool struct{ spoolschema.Spool }

// Action is a staff action a test records in the transaction that spools its audit entry.
type Action struct{ ent.Schema }

// Fields of the Action.
func (Action) Fields() []ent.Field {
	return []ent.Field{field.String("name")}
}
