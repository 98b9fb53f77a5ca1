// Package data implements the org service's repositories on ent, over SQLite (standalone) or
// PostgreSQL (distributed).
package data

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	_ "github.com/jackc/pgx/v5/stdlib" // PostgreSQL driver "pgx"
	_ "modernc.org/sqlite"             // pure-Go SQLite driver "sqlite"

	"github.com/vanguard/vanguard/app/org/internal/biz"
	"github.com/vanguard/vanguard/app/org/internal/data/ent"
	"github.com/vanguard/vanguard/app/org/internal/data/ent/migrate"
)

// Data owns the database connection of the org service.
type Data struct {
	db      *ent.Client
	sqlDB   *sql.DB
	dialect string
}

var _ biz.Transaction = (*Data)(nil)

// Open connects to the database. driver is "sqlite" (dsn: a file path) or "postgres" (dsn: a
// PostgreSQL connection string).
func Open(driver, dsn string) (*Data, error) {
	var (
		db  *sql.DB
		err error
		dia string
	)
	switch driver {
	case "sqlite":
		db, err = sql.Open("sqlite", sqliteDSN(dsn))
		if err != nil {
			return nil, fmt.Errorf("data.Open: %w", err)
		}
		// SQLite has one writer; one connection serialises writes and keeps transactions simple.
		db.SetMaxOpenConns(1)
		dia = dialect.SQLite
	case "postgres", "pgx":
		db, err = sql.Open("pgx", dsn)
		if err != nil {
			return nil, fmt.Errorf("data.Open: %w", err)
		}
		db.SetMaxOpenConns(20)
		db.SetMaxIdleConns(10)
		dia = dialect.Postgres
	default:
		return nil, fmt.Errorf("data.Open: unknown database driver %q (want sqlite or postgres)", driver)
	}
	if err := db.Ping(); err != nil {
		db.Close()
		return nil, fmt.Errorf("data.Open: ping %s: %w", driver, err)
	}
	drv := entsql.OpenDB(dia, db)
	return &Data{db: ent.NewClient(ent.Driver(drv)), sqlDB: db, dialect: dia}, nil
}

func sqliteDSN(path string) string {
	if strings.HasPrefix(path, "file:") {
		return path
	}
	return "file:" + path + "?_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)&_pragma=busy_timeout(5000)&_pragma=synchronous(NORMAL)"
}

// Migrate creates or updates the schema.
func (d *Data) Migrate(ctx context.Context) error {
	if err := d.db.Schema.Create(ctx, migrate.WithDropIndex(true)); err != nil {
		return fmt.Errorf("data.Migrate: %w", err)
	}
	return nil
}

// Close closes the database.
func (d *Data) Close() error { return d.db.Close() }

// Dialect returns "sqlite3" or "postgres".
func (d *Data) Dialect() string { return d.dialect }

type txKey struct{}

// InTx runs fn in a transaction carried by ctx; nested calls join the outer transaction.
func (d *Data) InTx(ctx context.Context, fn func(ctx context.Context) error) (err error) {
	if _, ok := ctx.Value(txKey{}).(*ent.Tx); ok {
		return fn(ctx)
	}
	tx, err := d.db.Tx(ctx)
	if err != nil {
		return fmt.Errorf("data.InTx: begin: %w", err)
	}
	defer func() {
		if r := recover(); r != nil {
			_ = tx.Rollback()
			panic(r)
		}
	}()
	if err := fn(context.WithValue(ctx, txKey{}, tx)); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("data.InTx: commit: %w", err)
	}
	return nil
}

// client returns the transaction's client when ctx carries one.
func (d *Data) client(ctx context.Context) *ent.Client {
	if tx, ok := ctx.Value(txKey{}).(*ent.Tx); ok {
		return tx.Client()
	}
	return d.db
}

// mapErr turns ent errors into biz errors: not found → notFound, constraint → ErrAlreadyExists,
// anything else wrapped with the operation name.
func mapErr(op string, err error, notFound error) error {
	switch {
	case err == nil:
		return nil
	case ent.IsNotFound(err) && notFound != nil:
		return notFound
	case ent.IsConstraintError(err):
		return fmt.Errorf("%s: %w", op, biz.ErrAlreadyExists)
	}
	return fmt.Errorf("%s: %w", op, err)
}

// Ping checks the database connection.
func (d *Data) Ping(ctx context.Context) error { return d.sqlDB.PingContext(ctx) }
