package data

import (
	"testing"

	"github.com/vanguard/vanguard/app/org/internal/biz/biztest"
	"github.com/vanguard/vanguard/pkg/testdb"
)

// TestRepoContract runs the repository contract (biztest) on the ent repositories, on SQLite
// and PostgreSQL; the biz package runs the same suite on its fakes. Every subtest gets a fresh,
// migrated database of its own.
func TestRepoContract(t *testing.T) {
	fresh := map[string]func(testing.TB) string{"sqlite": testdb.SQLite, "postgres": testdb.Postgres}
	// Each's database only decides whether the driver runs (PostgreSQL may be skipped); the
	// suite's subtests open their own.
	testdb.Each(t, func(t *testing.T, driver, _ string) {
		biztest.RunRepoSuite(t, func(t *testing.T) biztest.Repos {
			d := open(t, driver, fresh[driver](t))
			return biztest.Repos{
				Orgs: NewOrgRepo(d), Accounts: NewAccountRepo(d), Tokens: NewTokenRepo(d),
				Failures: NewLoginFailureRepo(d), Audit: NewAuditRepo(d), Tx: d,
				Development: NewDevelopmentRepo(d),
			}
		})
	})
}
