package data

import (
	"testing"

	"github.com/vanguard/vanguard/app/quiz/internal/biz/biztest"
	"github.com/vanguard/vanguard/pkg/testdb"
)

// The ent repositories pass the repository contract suite on SQLite and PostgreSQL, the suite
// the biz tests' fakes pass too (app/quiz/internal/biz/contract_test.go). Every subtest gets a
// fresh, migrated database.
//
// The repositories' documented behaviour is tested there only; this package's other tests cover
// what only the ent implementation has: the concurrent-insert race on the unique index, the text
// limits of the schema's validators, and the publisher's outbox wiring.
func TestRepoContract(t *testing.T) {
	testdb.Each(t, func(t *testing.T, driver, _ string) {
		biztest.RunRepoSuite(t, func(t *testing.T) biztest.Repos {
			d := open(t, driver, freshDSN(t, driver))
			return biztest.Repos{Banks: NewBankRepo(d), Papers: NewPaperRepo(d), Exams: NewExamRepo(d), Attempts: NewAttemptRepo(d),
				Regrades: NewRegradeRepo(d), Practice: NewPracticeRepo(d), Tx: d}
		})
	})
}

// freshDSN returns a new, empty database of the driver's kind, dropped when t ends.
func freshDSN(t *testing.T, driver string) string {
	t.Helper()
	if driver == "postgres" {
		return testdb.Postgres(t)
	}
	return testdb.SQLite(t)
}
