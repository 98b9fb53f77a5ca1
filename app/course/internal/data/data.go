// Package data implements the course service's repositories on ent (SQLite or PostgreSQL), its
// org directory over the org service's gRPC API, and its task queue on Asynq.
package data

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	entsql "entgo.io/ent/dialect/sql"

	"github.com/vanguard/vanguard/app/course/internal/biz"
	"github.com/vanguard/vanguard/app/course/internal/data/ent"
	"github.com/vanguard/vanguard/app/course/internal/data/ent/migrate"
	"github.com/vanguard/vanguard/pkg/dbx"
	"github.com/vanguard/vanguard/pkg/entx"
)

// Data owns the course service's database connection.
type Data struct {
	db      *ent.Client
	sqlDB   *sql.DB
	dialect string
}

var _ biz.Transaction = (*Data)(nil)

// Open connects to the database ("sqlite" with a file path, or "postgres" with a URL).
func Open(driver, dsn string) (*Data, error) {
	db, dia, err := dbx.Open(driver, dsn)
	if err != nil {
		return nil, err
	}
	return &Data{db: ent.NewClient(ent.Driver(entsql.OpenDB(dia, db))), sqlDB: db, dialect: dia}, nil
}

// Migrate creates or updates the schema.
func (d *Data) Migrate(ctx context.Context) error {
	if err := d.db.Schema.Create(ctx, migrate.WithDropIndex(true)); err != nil {
		return fmt.Errorf("course data.Migrate: %w", err)
	}
	return nil
}

// Ping checks the connection.
func (d *Data) Ping(ctx context.Context) error { return d.sqlDB.PingContext(ctx) }

// Close closes the database.
func (d *Data) Close() error { return d.db.Close() }

// InTx runs fn in a transaction carried by ctx.
func (d *Data) InTx(ctx context.Context, fn func(ctx context.Context) error) error {
	return dbx.InTx(ctx, d.db.Tx, fn)
}

func (d *Data) client(ctx context.Context) *ent.Client {
	if tx, ok := dbx.TxFrom[*ent.Tx](ctx); ok {
		return tx.Client()
	}
	return d.db
}

// mapErr turns ent errors into biz errors: not found → notFound, constraint → ErrAlreadyExists,
// a failed field validator → the invalid-argument error naming the field (a 400, never a 500),
// anything else wrapped with the operation name.
func mapErr(op string, err error, notFound error) error {
	var ve *ent.ValidationError
	switch {
	case err == nil:
		return nil
	case ent.IsNotFound(err) && notFound != nil:
		return notFound
	case ent.IsConstraintError(err):
		return fmt.Errorf("%s: %w", op, biz.ErrAlreadyExists)
	case errors.As(err, &ve):
		return fmt.Errorf("%s: %w", op, entx.Invalid(ve.Name, err))
	}
	return fmt.Errorf("%s: %w", op, err)
}
