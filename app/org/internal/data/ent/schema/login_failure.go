package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/vanguard/vanguard/app/org/internal/biz"
	"github.com/vanguard/vanguard/pkg/entx"
)

// LoginFailure records one failed sign-in for a username (whether or not it exists), so the
// brute-force limit holds across replicas and restarts.
type LoginFailure struct {
	ent.Schema
}

// Fields of the LoginFailure.
func (LoginFailure) Fields() []ent.Field {
	return []ent.Field{
		field.Int64("id"),
		entx.Chars(field.String("username"), biz.MaxUsername),
		field.Time("at"),
	}
}

// Indexes of the LoginFailure.
func (LoginFailure) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("username", "at"),
	}
}
