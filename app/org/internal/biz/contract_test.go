package biz_test

import (
	"testing"

	"github.com/vanguard/vanguard/app/org/internal/biz"
	"github.com/vanguard/vanguard/app/org/internal/biz/biztest"
)

// TestRepoContract runs the repository contract on the fakes the biz tests use; the data
// package runs the same suite on the ent repositories (SQLite and PostgreSQL), so a fake that
// drifts from the database fails here.
func TestRepoContract(t *testing.T) {
	biztest.RunRepoSuite(t, func(*testing.T) biztest.Repos {
		orgs, accounts, tokens, failures, audit, tx := biz.NewFakeRepos()
		return biztest.Repos{Orgs: orgs, Accounts: accounts, Tokens: tokens, Failures: failures, Audit: audit, Tx: tx}
	})
}
