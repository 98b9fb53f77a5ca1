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
		// A temporary branch (临时党支部) runs from starts_on to ends_on (YYYY-MM-DD).
		field.Bool("temporary").Default(false),
		entx.Chars(field.String("starts_on"), biz.MaxDate).Default(""),
		entx.Chars(field.String("ends_on"), biz.MaxDate).Default(""),
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

// TempMember is an account's membership of a temporary branch (临时党支部), besides its home
// branch; staff memberships manage what is recorded in the temporary branch.
type TempMember struct {
	ent.Schema
}

// Fields of the TempMember.
func (TempMember) Fields() []ent.Field {
	return []ent.Field{
		field.Int64("id"),
		field.Int64("org_id"),
		entx.Chars(field.String("org_path"), biz.MaxPath),
		field.Int64("account_id"),
		field.Bool("staff").Default(false),
		field.Int64("added_by"),
		field.Time("added_at").Default(time.Now),
	}
}

// Indexes of the TempMember.
func (TempMember) Indexes() []ent.Index {
	return []ent.Index{index.Fields("org_id", "account_id").Unique(), index.Fields("account_id")}
}
