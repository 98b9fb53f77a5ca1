// Package attachschema is the ent schema of pkg/attach's files, shared by the services that keep
// them (each in its own database).
package attachschema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"entgo.io/ent/schema/mixin"

	"github.com/vanguard/vanguard/pkg/attach"
	"github.com/vanguard/vanguard/pkg/entx"
)

// Mixin holds the columns of an attach.File; a service's schema embeds it:
//
//	type Attachment struct{ ent.Schema }
//	func (Attachment) Mixin() []ent.Mixin { return []ent.Mixin{attachschema.Mixin{}} }
type Mixin struct{ mixin.Schema }

// Fields of a file.
func (Mixin) Fields() []ent.Field {
	return []ent.Field{
		field.Int64("id"),
		entx.Chars(field.String("purpose"), 16),
		field.Int64("ref_id").Default(0),
		entx.Chars(field.String("org_path"), 512),
		field.Int64("uploaded_by"),
		entx.Chars(field.String("file_name"), attach.MaxFileName),
		field.Int64("size"),
		entx.Chars(field.String("content_type"), 128),
		entx.Chars(field.String("object_key"), 300),
		entx.Chars(field.String("upload_id"), 200).Sensitive(),
		entx.Chars(field.String("status"), 16),
		field.Time("created_at"),
	}
}

// Indexes of a file: by its record.
func (Mixin) Indexes() []ent.Index {
	return []ent.Index{index.Fields("purpose", "ref_id")}
}
