package schema

import (
	"time"

	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Account is a person who can sign in, with the member profile a growth file needs.
// The national ID number is stored only encrypted, plus a keyed hash for uniqueness and a mask
// for listings, so listings never decrypt anything.
type Account struct {
	ent.Schema
}

// Fields of the Account.
func (Account) Fields() []ent.Field {
	return []ent.Field{
		field.Int64("id"),
		field.String("username").MaxLen(64).Unique(),
		field.String("phone").MaxLen(20).Optional().Nillable().Unique(),
		field.String("display_name").MaxLen(64),
		field.String("password_hash").Sensitive(),
		field.Bool("must_change_password").Default(false),
		field.Strings("roles"),
		field.Int64("org_id"),
		field.String("org_path").MaxLen(512),
		field.Enum("status").Values("active", "disabled").Default("active"),
		field.Enum("gender").Values("unspecified", "male", "female").Default("unspecified"),
		field.String("birth_date").MaxLen(10).Default(""),
		field.String("ethnicity").MaxLen(32).Default(""),
		field.String("education").MaxLen(32).Default(""),
		field.Bytes("national_id_enc").Optional().Sensitive(),
		field.String("national_id_hash").MaxLen(64).Optional().Nillable().Unique(),
		field.String("national_id_mask").MaxLen(18).Default(""),
		field.String("application_date").MaxLen(10).Default(""),
		field.String("joined_date").MaxLen(10).Default(""),
		field.String("full_member_date").MaxLen(10).Default(""),
		field.Enum("stage").Values("none", "applicant", "activist", "candidate", "probationary", "full_member").Default("none"),
		field.Time("created_at").Default(time.Now).Immutable(),
		field.Time("updated_at").Default(time.Now).UpdateDefault(time.Now),
	}
}

// Indexes of the Account.
func (Account) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("org_path"),
		index.Fields("org_id"),
	}
}
