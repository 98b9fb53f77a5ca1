// Package data implements the studyhour service's store on ent (SQLite or PostgreSQL), and its
// views of course and org over their gRPC APIs.
package data

import (
	"context"
	"errors"
	"fmt"

	"entgo.io/ent/dialect"
	"github.com/vanguard/vanguard/app/studyhour/internal/biz"
	"github.com/vanguard/vanguard/app/studyhour/internal/data/ent"
	"github.com/vanguard/vanguard/app/studyhour/internal/data/ent/migrate"
	"github.com/vanguard/vanguard/pkg/dbx"
	"github.com/vanguard/vanguard/pkg/entx"
)

// Data owns the studyhour service's database connection.
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
		return fmt.Errorf("studyhour data.Migrate: %w", err)
	}
	// Chain heads written before they kept the year's credit get it from the month sums (once:
	// a head with a year is never touched again).
	if _, err := d.db.ExecContext(ctx, `UPDATE member_states SET
		year = (SELECT max(h.year) FROM hours_months h WHERE h.member_id = member_states.member_id),
		year_seconds = (SELECT sum(h.seconds) FROM hours_months h WHERE h.member_id = member_states.member_id
			AND h.year = (SELECT max(h2.year) FROM hours_months h2 WHERE h2.member_id = member_states.member_id))
		WHERE year = 0 AND head_seq > 0 AND EXISTS (SELECT 1 FROM hours_months h WHERE h.member_id = member_states.member_id)`); err != nil {
		return fmt.Errorf("studyhour data.Migrate: chain heads' year: %w", err)
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

// mapErr turns ent errors into biz errors (see dbx.EntErrors.MapErr): not found → notFound,
// constraint → ErrAlreadyExists, a failed field validator → the invalid-argument error naming
// the field, anything else wrapped with the operation name.
func mapErr(op string, err error, notFound error) error { return entErrors.MapErr(op, err, notFound) }
