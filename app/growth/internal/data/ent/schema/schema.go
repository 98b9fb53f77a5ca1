// Package schema holds the growth service's ent schemas.
package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	spoolschema "github.com/vanguard/vanguard/pkg/audit/spool/schema"
	"github.com/vanguard/vanguard/pkg/entx"
	outboxschema "github.com/vanguard/vanguard/pkg/outbox/schema"
)

// GrowthFile is a member's growth file: the latest version and the review's state. One row per
// member, updated only together with a new version or a review.
type GrowthFile struct{ ent.Schema }

// Fields of the GrowthFile.
func (GrowthFile) Fields() []ent.Field {
	return []ent.Field{
		field.Int64("id"),
		field.Int64("member_id").Unique(),
		entx.Chars(field.String("org_path"), 512),
		// member_name and org_name: the latest version's, for the review queue.
		entx.Chars(field.String("member_name"), 64).Default(""),
		entx.Chars(field.String("org_name"), 100).Default(""),
		field.Int("latest"),
		entx.Chars(field.String("hash"), 64),
		entx.Chars(field.String("status"), 16),
		field.Int("approved").Default(0),
		field.Time("updated_at"),
	}
}

// Indexes of the GrowthFile: the review queue of a subtree.
func (GrowthFile) Indexes() []ent.Index {
	return []ent.Index{index.Fields("status", "org_path", "updated_at", "member_id")}
}

// FileVersion is one immutable compiled version of a member's file.
type FileVersion struct{ ent.Schema }

// Fields of the FileVersion.
func (FileVersion) Fields() []ent.Field {
	return []ent.Field{
		field.Int64("id"),
		field.Int64("member_id").Immutable(),
		field.Int("no").Immutable(),
		entx.Chars(field.String("hash"), 64).Immutable(),
		field.Bytes("content").Immutable(),
		field.Bytes("changes").Optional().Immutable(), // JSON list of biz.Change
		entx.Chars(field.String("trigger"), 64).Immutable(),
		field.Time("compiled_at").Immutable(),
	}
}

// Indexes of the FileVersion: one row per member and number.
func (FileVersion) Indexes() []ent.Index {
	return []ent.Index{index.Fields("member_id", "no").Unique()}
}

// FileReview is staff's decision on a version.
type FileReview struct{ ent.Schema }

// Fields of the FileReview.
func (FileReview) Fields() []ent.Field {
	return []ent.Field{
		field.Int64("id"),
		field.Int64("member_id"),
		field.Int("version_no"),
		entx.Chars(field.String("decision"), 16),
		entx.Chars(field.Text("comment"), 2000).Default(""),
		field.Int64("reviewer_id"),
		entx.Chars(field.String("reviewer_name"), 64),
		field.Time("created_at"),
	}
}

// Indexes of the FileReview.
func (FileReview) Indexes() []ent.Index {
	return []ent.Index{index.Fields("member_id", "id")}
}

// Inbox is pkg/outbox's record of the events growth applied.
type Inbox struct{ outboxschema.Inbox }

// GrowthRecord is an award, an evaluation (e.g. 民主评议) or a discipline staff recorded for a
// member's file. A removed record keeps its row (removed_at) for the audit; files leave it out.
type GrowthRecord struct{ ent.Schema }

// Fields of the GrowthRecord.
func (GrowthRecord) Fields() []ent.Field {
	return []ent.Field{
		field.Int64("id"),
		field.Int64("member_id").Immutable(),
		entx.Chars(field.String("org_path"), 512).Immutable(),
		entx.Chars(field.String("kind"), 16).Immutable(),
		entx.Chars(field.String("title"), 100).Immutable(),
		entx.Chars(field.String("outcome"), 100).Default("").Immutable(),
		entx.Chars(field.String("date"), 10).Immutable(),
		entx.Chars(field.Text("note"), 500).Default("").Immutable(),
		field.Int64("recorded_by").Immutable(),
		entx.Chars(field.String("recorded_by_name"), 64).Immutable(),
		field.Time("created_at").Immutable(),
		field.Time("removed_at").Optional().Nillable(),
	}
}

// Indexes of the GrowthRecord.
func (GrowthRecord) Indexes() []ent.Index {
	return []ent.Index{index.Fields("member_id", "id")}
}

// CompileMark says a member's file must be compiled at due_at: the debounce of a burst of
// events (one row per member; each event bumps gen, the compile clears the row only if gen did
// not move meanwhile). The reconciler re-enqueues rows whose task was lost.
type CompileMark struct{ ent.Schema }

// Fields of the CompileMark.
func (CompileMark) Fields() []ent.Field {
	return []ent.Field{
		field.Int64("id"),
		field.Int64("member_id").Unique(),
		field.Int64("gen"),
		field.Time("due_at"),
		entx.Chars(field.String("trigger"), 64),
	}
}

// Indexes of the CompileMark.
func (CompileMark) Indexes() []ent.Index {
	return []ent.Index{index.Fields("due_at")}
}

// NightlyRun claims a day's full compile (one process runs it, once).
type NightlyRun struct{ ent.Schema }

// Fields of the NightlyRun.
func (NightlyRun) Fields() []ent.Field {
	return []ent.Field{
		field.Int64("id"),
		entx.Chars(field.String("day"), 10).Unique(),
		field.Int("members").Default(0),
		field.Time("started_at"),
	}
}

// AuditSpool is pkg/audit/spool's table: the views, reviews, exports and records of staff, on
// their way to org's audit log.
type AuditSpool struct{ spoolschema.Spool }
