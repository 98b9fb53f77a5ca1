package dbx_test

import (
	"path/filepath"
	"testing"

	"github.com/vanguard/vanguard/pkg/dbx"
)

// SQLite's read-only pool sees what the writer committed, even while the writer holds an open
// transaction (WAL), and refuses to write; PostgreSQL has none.
func TestOpenReader(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.db")
	w, _, err := dbx.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if _, err := w.Exec(`CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t (id, v) VALUES (1, 'a')`); err != nil {
		t.Fatal(err)
	}
	r, err := dbx.OpenReader("sqlite", path)
	if err != nil || r == nil {
		t.Fatalf("OpenReader = %v, %v", r, err)
	}
	defer r.Close()
	tx, err := w.Begin()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(`UPDATE t SET v = 'b' WHERE id = 1`); err != nil {
		t.Fatal(err)
	}
	var v string
	if err := r.QueryRow(`SELECT v FROM t WHERE id = 1`).Scan(&v); err != nil || v != "a" {
		t.Fatalf("read during the writer's transaction = %q, %v; want the committed 'a' without waiting", v, err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := r.QueryRow(`SELECT v FROM t WHERE id = 1`).Scan(&v); err != nil || v != "b" {
		t.Fatalf("read after the commit = %q, %v; want 'b'", v, err)
	}
	if _, err := r.Exec(`UPDATE t SET v = 'c' WHERE id = 1`); err == nil {
		t.Fatal("the read-only pool wrote")
	}
	if pg, err := dbx.OpenReader("postgres", "postgres://unused"); pg != nil || err != nil {
		t.Fatalf("OpenReader(postgres) = %v, %v; want none", pg, err)
	}
}

// A "file:" DSN without parameters gets the read-only pragma as its first parameter, not glued to
// the file name (which would open another, empty database).
func TestOpenReaderFileDSNWithoutParams(t *testing.T) {
	path := filepath.Join(t.TempDir(), "plain.db")
	w, _, err := dbx.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if _, err := w.Exec(`CREATE TABLE t (id INTEGER PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	r, err := dbx.OpenReader("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var n int
	if err := r.QueryRow(`SELECT count(*) FROM t`).Scan(&n); err != nil {
		t.Fatalf("reader on file:%s does not see the writer's table: %v", path, err)
	}
	if _, err := r.Exec(`INSERT INTO t (id) VALUES (1)`); err == nil {
		t.Fatal("the read-only pool wrote")
	}
}
