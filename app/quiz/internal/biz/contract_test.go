package biz_test

import (
	"testing"

	"github.com/vanguard/vanguard/app/quiz/internal/biz"
	"github.com/vanguard/vanguard/app/quiz/internal/biz/biztest"
)

// The fakes the use-case tests run on pass the repository contract suite that the ent
// repositories pass on SQLite and PostgreSQL (app/quiz/internal/data), so what the use-case tests
// prove holds against the database.
func TestRepoContract(t *testing.T) {
	biztest.RunRepoSuite(t, func(*testing.T) biztest.Repos { return biztest.Repos(biz.NewFakeRepos()) })
}
