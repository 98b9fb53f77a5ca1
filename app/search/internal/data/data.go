package data

import (
	"context"
	"fmt"

	"entgo.io/ent/dialect"

	"github.com/vanguard/vanguard/app/search/internal/data/ent"
	"github.com/vanguard/vanguard/app/search/internal/data/ent/migrate"
	"github.com/vanguard/vanguard/pkg/dbx"
	"github.com/vanguard/vanguard/pkg/outbox"
)

// Data owns the search service's database connection: the pending syncs, what the index holds of
// each item, the index's state, and the event inbox.
type Data struct {
	*dbx.Ent[*ent.Client, *ent.Tx]
	db *ent.Client
}

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
		return fmt.Errorf("search data.Migrate: %w", err)
	}
	return nil
}

// OutboxDB is the search database as pkg/outbox reaches it (its event inbox).
func (d *Data) OutboxDB() outbox.DB { return outbox.FromEnt(d.Ent) }
