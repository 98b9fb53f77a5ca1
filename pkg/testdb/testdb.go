// Package testdb gives tests fresh real databases: a SQLite file in a temp dir, or a new
// PostgreSQL database (created from VANGUARD_TEST_PG, default postgres@127.0.0.1:5432) that is
// dropped when the test ends.
package testdb

import (
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // driver "pgx"
)

// DefaultPG is the administrative connection used to create test databases.
const DefaultPG = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// SQLite returns the path of a new SQLite database file.
func SQLite(t testing.TB) string {
	t.Helper()
	return filepath.Join(t.TempDir(), "test.db")
}

// Postgres creates a fresh database and returns its DSN. When PostgreSQL is unreachable the test
// is skipped, unless VANGUARD_TEST_REQUIRE_SERVICES=1 (as `make test` sets), where it fails.
func Postgres(t testing.TB) string {
	t.Helper()
	admin := os.Getenv("VANGUARD_TEST_PG")
	if admin == "" {
		admin = DefaultPG
	}
	db, err := sql.Open("pgx", admin)
	if err == nil {
		err = db.Ping()
	}
	if err != nil {
		if os.Getenv("VANGUARD_TEST_REQUIRE_SERVICES") == "1" {
			t.Fatalf("PostgreSQL is required but unreachable at %s: %v", admin, err)
		}
		t.Skipf("PostgreSQL unreachable (%v); run `make deps`", err)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "vg_test_" + hex.EncodeToString(b)
	if _, err := db.Exec("CREATE DATABASE " + name); err != nil {
		db.Close()
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		_, _ = db.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
		db.Close()
	})
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatalf("parse VANGUARD_TEST_PG: %v", err)
	}
	u.Path = "/" + name
	return u.String()
}

// Each runs fn once per database kind ("sqlite", "postgres") as subtests, with a fresh DSN.
func Each(t *testing.T, fn func(t *testing.T, driver, dsn string)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, "sqlite", SQLite(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, "postgres", Postgres(t)) })
}

// Fresh returns a new database of the kind ("sqlite" or "postgres"), for tests that need more
// than Each's one.
func Fresh(t testing.TB, driver string) string {
	t.Helper()
	if driver == "postgres" {
		return Postgres(t)
	}
	return SQLite(t)
}
