package schema

import (
	"time"

	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/vanguard/vanguard/app/org/internal/biz"
	"github.com/vanguard/vanguard/pkg/entx"
)

// Org is one node of the organisation tree. The tree is stored as a materialised path of ids
// ("/1/4/9/") so that a subtree is a single indexed prefix scan, whatever its depth.
type Org struct {
	ent.Schema
}

// Fields of the Org.
func (Org) Fields() []ent.Field {
	return []ent.Field{
		field.Int64("id"),
		field.Int64("parent_id").Optional().Nillable(),
		entx.Chars(field.String("name"), biz.MaxOrgName),
		entx.Chars(field.String("code"), biz.MaxOrgCode).Unique(),
		field.Enum("type").Values("committee", "general_branch", "branch"),
		entx.Chars(field.String("path"), biz.MaxPath).Unique(),
		field.Int("depth"),
		field.Time("created_at").Default(time.Now).Immutable(),
		field.Time("updated_at").Default(time.Now).UpdateDefault(time.Now),
	}
}

// Indexes of the Org.
func (Org) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("parent_id"),
	}
}
