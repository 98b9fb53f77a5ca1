// Package data implements the org service's repositories on ent, over SQLite (standalone) or
// PostgreSQL (distributed).
package data

import (
	"context"
	"errors"
	"fmt"

	entsql "entgo.io/ent/dialect/sql"

	"github.com/vanguard/vanguard/app/org/internal/biz"
	"github.com/vanguard/vanguard/app/org/internal/data/ent"
	"github.com/vanguard/vanguard/app/org/internal/data/ent/migrate"
	"github.com/vanguard/vanguard/pkg/dbx"
	"github.com/vanguard/vanguard/pkg/entx"
)

// Data owns the database connection of the org service.
type Data struct {
	*dbx.Ent[*ent.Client, *ent.Tx]
	db *ent.Client
	// reader is SQLite's read-only pool (nil on PostgreSQL).
	reader *ent.Client
}

var _ biz.Transaction = (*Data)(nil)

// Open connects to the database. driver is "sqlite" (dsn: a file path) or "postgres" (dsn: a
// PostgreSQL connection string).
func Open(driver, dsn string) (*Data, error) {
	db, dia, err := dbx.Open(driver, dsn)
	if err != nil {
		return nil, err
	}
	client := ent.NewClient(ent.Driver(entsql.OpenDB(dia, db)))
	d := &Data{Ent: dbx.NewEnt(client, db, dia, client.Tx, (*ent.Tx).Client), db: client}
	rdb, err := dbx.OpenReader(driver, dsn)
	if err != nil {
		client.Close()
		return nil, err
	}
	if rdb != nil {
		d.reader = ent.NewClient(ent.Driver(entsql.OpenDB(dia, rdb)))
		d.UseReader(d.reader)
	}
	return d, nil
}

// Migrate creates or updates the schema.
func (d *Data) Migrate(ctx context.Context) error {
	if err := dbx.Migrate(ctx, func(ctx context.Context) error { return d.db.Schema.Create(ctx, migrate.WithDropIndex(true)) }); err != nil {
		return fmt.Errorf("data.Migrate: %w", err)
	}
	return nil
}

// Close closes the database.
func (d *Data) Close() error {
	if d.reader != nil {
		_ = d.reader.Close()
	}
	return d.db.Close()
}

// client returns the transaction's client when ctx carries one.
func (d *Data) client(ctx context.Context) *ent.Client { return d.Client(ctx) }

// entErrors recognises this service's ent errors for dbx's shared mapping.
var entErrors = dbx.EntErrors{
	IsNotFound:   ent.IsNotFound,
	IsConstraint: ent.IsConstraintError,
	Invalid: func(err error) (string, bool) {
		var ve *ent.ValidationError
		if errors.As(err, &ve) {
			return ve.Name, true
		}
		return "", false
	},
	AlreadyExists:   biz.ErrAlreadyExists,
	InvalidArgument: entx.Invalid,
}

// mapErr turns ent errors into biz errors (see dbx.EntErrors.MapErr): not found → notFound,
// constraint → ErrAlreadyExists, a failed field validator → the invalid-argument error naming
// the field, anything else wrapped with the operation name.
func mapErr(op string, err error, notFound error) error { return entErrors.MapErr(op, err, notFound) }
