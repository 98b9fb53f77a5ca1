package schema

import (
	"time"

	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/vanguard/vanguard/app/org/internal/biz"
	"github.com/vanguard/vanguard/pkg/entx"
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
		entx.Chars(field.String("username"), biz.MaxUsername).Unique(),
		entx.Chars(field.String("phone"), biz.MaxPhone).Optional().Nillable().Unique(),
		entx.Chars(field.String("display_name"), biz.MaxDisplayName),
		field.String("password_hash").Sensitive(),
		field.Bool("must_change_password").Default(false),
		field.Strings("roles"),
		field.Int64("org_id"),
		entx.Chars(field.String("org_path"), biz.MaxPath),
		field.Enum("status").Values("active", "disabled").Default("active"),
		field.Enum("gender").Values("unspecified", "male", "female").Default("unspecified"),
		entx.Chars(field.String("birth_date"), biz.MaxDate).Default(""),
		entx.Chars(field.String("ethnicity"), biz.MaxEthnicity).Default(""),
		entx.Chars(field.String("education"), biz.MaxEducation).Default(""),
		field.Bytes("national_id_enc").Optional().Sensitive(),
		entx.Chars(field.String("national_id_hash"), biz.MaxHash).Optional().Nillable().Unique(),
		entx.Chars(field.String("national_id_mask"), biz.MaxNationalID).Default(""),
		entx.Chars(field.String("application_date"), biz.MaxDate).Default(""),
		entx.Chars(field.String("joined_date"), biz.MaxDate).Default(""),
		entx.Chars(field.String("full_member_date"), biz.MaxDate).Default(""),
		field.Enum("stage").Values("none", "applicant", "activist", "candidate", "probationary", "full_member").Default("none"),
		// session_version is raised whenever the account's sessions end (password reset or
		// change, disabled, roles or primary org changed); access tokens carry the version they
		// were signed with and older ones are refused once the revocation is broadcast.
		field.Int64("session_version").Default(0),
		// sessions_revoked_at is when the version was last raised, so org can republish the
		// revocations still within an access token's lifetime.
		field.Time("sessions_revoked_at").Optional().Nillable(),
		field.Time("created_at").Default(time.Now).Immutable(),
		field.Time("updated_at").Default(time.Now).UpdateDefault(time.Now),
	}
}

// Indexes of the Account.
func (Account) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("org_path"),
		index.Fields("org_id"),
		index.Fields("sessions_revoked_at"),
	}
}
