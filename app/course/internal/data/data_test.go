package data

import (
	"context"
	"testing"

	"github.com/vanguard/vanguard/app/course/internal/biz/biztest"
	"github.com/vanguard/vanguard/pkg/testdb"
)

// open connects to a database and migrates it.
func open(t *testing.T, driver, dsn string) *Data {
	t.Helper()
	d, err := Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	if err := d.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return d
}

// freshDSN returns a new, empty database of the driver's kind.
func freshDSN(t *testing.T, driver string) string {
	t.Helper()
	if driver == "postgres" {
		return testdb.Postgres(t)
	}
	return testdb.SQLite(t)
}

// The ent repositories keep the contract the biz use cases (and the biz tests' fakes) rely on:
// biztest's suite, on SQLite and PostgreSQL, each subtest on a fresh, migrated database.
func TestRepoContract(t *testing.T) {
	testdb.Each(t, func(t *testing.T, driver, _ string) {
		biztest.RunRepoSuite(t, func(t *testing.T) biztest.Repos {
			d := open(t, driver, freshDSN(t, driver))
			return biztest.Repos{
				Courses: NewCourseRepo(d), Assignments: NewAssignmentRepo(d), Uploads: NewUploadRepo(d), Plans: NewPlanRepo(d), News: NewNewsRepo(d), Tx: d,
			}
		})
	})
}
