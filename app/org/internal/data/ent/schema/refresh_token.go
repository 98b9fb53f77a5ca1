package schema

import (
	"time"

	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/vanguard/vanguard/app/org/internal/biz"
	"github.com/vanguard/vanguard/pkg/entx"
)

// RefreshToken is one issued refresh token, stored only as its SHA-256 hash. Tokens issued by
// rotation share a family; presenting a used token revokes the family (theft detection).
type RefreshToken struct {
	ent.Schema
}

// Fields of the RefreshToken.
func (RefreshToken) Fields() []ent.Field {
	return []ent.Field{
		field.Int64("id"),
		entx.Chars(field.String("token_hash"), biz.MaxHash).Unique().Sensitive(),
		entx.Chars(field.String("family"), biz.MaxHash),
		field.Int64("account_id"),
		field.Time("expires_at"),
		field.Time("used_at").Optional().Nillable(),
		field.Time("revoked_at").Optional().Nillable(),
		field.Time("created_at").Default(time.Now).Immutable(),
	}
}

// Indexes of the RefreshToken.
func (RefreshToken) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("family"),
		index.Fields("account_id"),
	}
}
