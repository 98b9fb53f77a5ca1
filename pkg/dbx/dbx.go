// Package dbx opens the databases every service uses (SQLite in standalone mode, PostgreSQL in
// distributed mode) and runs transactions carried by the context, for any service's ent client.
package dbx

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"entgo.io/ent/dialect"
	_ "github.com/jackc/pgx/v5/stdlib" // PostgreSQL driver "pgx"
	_ "modernc.org/sqlite"             // pure-Go SQLite driver "sqlite"
)

// Open connects to a database. driver is "sqlite" (dsn: a file path) or "postgres" (dsn: a
// PostgreSQL URL). It returns the connection and its ent dialect.
func Open(driver, dsn string) (*sql.DB, string, error) {
	switch driver {
	case "sqlite":
		db, err := sql.Open("sqlite", sqliteDSN(dsn))
		if err != nil {
			return nil, "", fmt.Errorf("dbx.Open: %w", err)
		}
		// SQLite has one writer; one connection serialises writes and keeps transactions simple.
		db.SetMaxOpenConns(1)
		if err := db.Ping(); err != nil {
			db.Close()
			return nil, "", fmt.Errorf("dbx.Open: ping sqlite: %w", err)
		}
		return db, dialect.SQLite, nil
	case "postgres", "pgx":
		db, err := sql.Open("pgx", dsn)
		if err != nil {
			return nil, "", fmt.Errorf("dbx.Open: %w", err)
		}
		db.SetMaxOpenConns(20)
		db.SetMaxIdleConns(10)
		if err := db.Ping(); err != nil {
			db.Close()
			return nil, "", fmt.Errorf("dbx.Open: ping postgres: %w", err)
		}
		return db, dialect.Postgres, nil
	}
	return nil, "", fmt.Errorf("dbx.Open: unknown database driver %q (want sqlite or postgres)", driver)
}

// readerConns is the size of SQLite's read-only pool.
const readerConns = 4

// OpenReader opens a read-only pool beside Open's for SQLite: in WAL mode readers run while the
// one writer writes, so reads outside transactions need not queue behind writes on Open's
// single connection. Each read sees what was committed when it began. For PostgreSQL it returns
// nil: its pool serves reads and writes alike.
func OpenReader(driver, dsn string) (*sql.DB, error) {
	if driver != "sqlite" {
		return nil, nil
	}
	dsn = sqliteDSN(dsn)
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	db, err := sql.Open("sqlite", dsn+sep+"_pragma=query_only(1)")
	if err != nil {
		return nil, fmt.Errorf("dbx.OpenReader: %w", err)
	}
	db.SetMaxOpenConns(readerConns)
	db.SetMaxIdleConns(readerConns)
	if err := db.Ping(); err != nil {
		db.Close()
		return nil, fmt.Errorf("dbx.OpenReader: ping sqlite: %w", err)
	}
	return db, nil
}

func sqliteDSN(path string) string {
	if strings.HasPrefix(path, "file:") {
		return path
	}
	return "file:" + path + "?_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)&_pragma=busy_timeout(5000)&_pragma=synchronous(NORMAL)"
}

// Tx is an ent transaction.
type Tx interface {
	Commit() error
	Rollback() error
}

type txKey struct{}

type hooksKey struct{}

// commitHooks collects the functions to run after the outermost transaction commits.
type commitHooks struct {
	mu  sync.Mutex
	fns []func()
}

// InTx runs fn in a transaction begun by begin and carried by the context; a nested call joins
// the outer transaction. A panic or error rolls back. Functions registered with AfterCommit
// inside fn run after a successful commit, never after a rollback.
func InTx[T Tx](ctx context.Context, begin func(context.Context) (T, error), fn func(ctx context.Context) error) (err error) {
	if _, ok := ctx.Value(txKey{}).(T); ok {
		return fn(ctx)
	}
	tx, err := begin(ctx)
	if err != nil {
		return fmt.Errorf("dbx.InTx: begin: %w", err)
	}
	defer func() {
		if r := recover(); r != nil {
			_ = tx.Rollback()
			panic(r)
		}
	}()
	hooks := &commitHooks{}
	if err := fn(context.WithValue(context.WithValue(ctx, txKey{}, tx), hooksKey{}, hooks)); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("dbx.InTx: commit: %w", err)
	}
	hooks.mu.Lock()
	fns := hooks.fns
	hooks.mu.Unlock()
	for _, f := range fns {
		f()
	}
	return nil
}

// AfterCommit runs f once the transaction ctx carries has committed (the outbox uses it to nudge
// its relay right after the event row is durable). Outside a transaction f runs at once. f must
// be quick and must not fail: it runs after the caller's work is already committed.
func AfterCommit(ctx context.Context, f func()) {
	hooks, ok := ctx.Value(hooksKey{}).(*commitHooks)
	if !ok {
		f()
		return
	}
	hooks.mu.Lock()
	hooks.fns = append(hooks.fns, f)
	hooks.mu.Unlock()
}

// Detach returns ctx without its transaction and commit hooks, keeping its values, deadline and
// cancellation: for work an AfterCommit function does on the database after the commit (the
// closed transaction's context would make it fail).
func Detach(ctx context.Context) context.Context {
	return context.WithValue(context.WithValue(ctx, txKey{}, nil), hooksKey{}, nil)
}

// TxFrom returns the transaction ctx carries, if any.
func TxFrom[T Tx](ctx context.Context) (T, bool) {
	tx, ok := ctx.Value(txKey{}).(T)
	return tx, ok
}

// PostgresDatabase returns the DSN of database name on the server of baseURL (any database
// path in baseURL is replaced), creating the database first if it does not exist. Standalone
// mode uses it to give each service its own database on one PostgreSQL server.
func PostgresDatabase(ctx context.Context, baseURL, name string) (string, error) {
	u, err := url.Parse(baseURL)
	if err != nil {
		return "", fmt.Errorf("dbx.PostgresDatabase: bad URL: %w", err)
	}
	admin := *u
	admin.Path = "/postgres"
	db, err := sql.Open("pgx", admin.String())
	if err != nil {
		return "", fmt.Errorf("dbx.PostgresDatabase: %w", err)
	}
	defer db.Close()
	var exists bool
	if err := db.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return "", fmt.Errorf("dbx.PostgresDatabase: %w", err)
	}
	if !exists {
		// Database names cannot be bound as parameters; name comes from our code, not from users.
		if _, err := db.ExecContext(ctx, `CREATE DATABASE "`+strings.ReplaceAll(name, `"`, ``)+`"`); err != nil {
			return "", fmt.Errorf("dbx.PostgresDatabase: create %s: %w", name, err)
		}
	}
	u.Path = "/" + name
	return u.String(), nil
}

// Rebind turns a query's ? placeholders into PostgreSQL's $1, $2 … (dialect "postgres");
// other dialects take the query as written. For hand-written SQL shared by both databases.
func Rebind(dialect, q string) string {
	if dialect != "postgres" {
		return q
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}

// Placeholders returns n comma-separated ? placeholders (for IN lists and VALUES rows).
func Placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}
