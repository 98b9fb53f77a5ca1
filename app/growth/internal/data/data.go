// Package data implements the growth service's repositories on ent, over SQLite (standalone) or
// PostgreSQL (distributed).
package data

import (
	"context"
	"errors"
	"fmt"

	"entgo.io/ent/dialect"

	"github.com/vanguard/vanguard/app/growth/internal/biz"
	"github.com/vanguard/vanguard/app/growth/internal/data/ent"
	"github.com/vanguard/vanguard/app/growth/internal/data/ent/migrate"
	"github.com/vanguard/vanguard/pkg/dbx"
	"github.com/vanguard/vanguard/pkg/entx"
	"github.com/vanguard/vanguard/pkg/outbox"
)

// Data owns the growth service's database connection.
type Data struct {
	*dbx.Ent[*ent.Client, *ent.Tx]
	db *ent.Client
}

var _ biz.Transaction = (*Data)(nil)

// Open connects to the database ("sqlite" with a file path, or "postgres" with a URL).
func Open(driver, dsn string) (*Data, error) {
	e, err := dbx.OpenEnt(driver, dsn, func(d dialect.Driver) *ent.Client { return ent.NewClient(ent.Driver(d)) },
		(*ent.Client).Tx, (*ent.Tx).Client)
	if err != nil {
		return nil, err
	}
	return &Data{Ent: e, db: e.Root()}, nil
}

// Migrate creates or updates the schema.
func (d *Data) Migrate(ctx context.Context) error {
	if err := dbx.Migrate(ctx, func(ctx context.Context) error { return d.db.Schema.Create(ctx, migrate.WithDropIndex(true)) }); err != nil {
		return fmt.Errorf("growth data.Migrate: %w", err)
	}
	return nil
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

// mapErr turns ent errors into biz errors (see dbx.EntErrors.MapErr).
func mapErr(op string, err error, notFound error) error { return entErrors.MapErr(op, err, notFound) }

// OutboxDB is the growth database as pkg/outbox reaches it (its event inbox).
func (d *Data) OutboxDB() outbox.DB { return outbox.FromEnt(d.Ent) }
