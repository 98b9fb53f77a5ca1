package data

import (
	"context"
	"testing"

	"github.com/vanguard/vanguard/pkg/testdb"
)

// The repositories' behaviour is the contract in biz/biztest, run by contract_test.go; the
// tests of this package cover what is particular to ent and the databases: migrations, text
// limits (limits_test.go) and benchmarks (bench_test.go).

func open(t testing.TB, driver, dsn string) *Data {
	t.Helper()
	d, err := Open(driver, dsn)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { d.Close() })
	if err := d.Migrate(context.Background()); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return d
}

// Every start migrates: migrating a migrated database changes nothing and does not fail.
func TestMigrateIsRepeatable(t *testing.T) {
	testdb.Each(t, func(t *testing.T, driver, dsn string) {
		d := open(t, driver, dsn)
		if err := d.Migrate(context.Background()); err != nil {
			t.Fatalf("second migrate: %v", err)
		}
		d.Close()
		if err := open(t, driver, dsn).Ping(context.Background()); err != nil {
			t.Fatalf("reopen: %v", err)
		}
	})
}
