// Package schema holds the growth service's ent schemas.
package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

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
