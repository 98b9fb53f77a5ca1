package data

import (
	"time"

	entsql "entgo.io/ent/dialect/sql"
	"entgo.io/ent/dialect/sql/sqljson"

	"github.com/vanguard/vanguard/app/org/internal/data/ent/account"
	"github.com/vanguard/vanguard/app/org/internal/data/ent/loginfailure"
	"github.com/vanguard/vanguard/app/org/internal/data/ent/predicate"
)

type entsqlSelector = entsql.Selector

// likeRole matches accounts whose JSON roles array contains role (json_each on SQLite, @> on
// PostgreSQL).
func likeRole(s *entsql.Selector, role string) *entsql.Predicate {
	return sqljson.ValueContains(s.C(account.FieldRoles), role)
}

func loginFailureWhere(username string, since time.Time) []predicate.LoginFailure {
	return []predicate.LoginFailure{loginfailure.Username(username), loginfailure.AtGTE(since)}
}

// usernameFoldIn selects accounts whose lower-cased username is one of lower (lower-case values).
func usernameFoldIn(lower []string) predicate.Account {
	args := make([]any, len(lower))
	for i, v := range lower {
		args[i] = v
	}
	return predicate.Account(func(s *entsql.Selector) {
		s.Where(entsql.In(entsql.Lower(s.C(account.FieldUsername)), args...))
	})
}
