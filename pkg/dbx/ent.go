package dbx

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
)

// Ent is the plumbing every service's data layer shares around its own generated ent client C
// (transaction type T): transactions carried by the context, the client bound to the context's
// transaction, ping and dialect. A service's Data embeds it and adds its migration and its
// repositories.
type Ent[C any, T Tx] struct {
	root     C
	sqlDB    *sql.DB
	dialect  string
	begin    func(context.Context) (T, error)
	txClient func(T) C
	// reader, when set (SQLite's read-only pool, OpenReader), serves Reader outside transactions.
	reader    C
	hasReader bool
	// closers close what OpenEnt opened, reader first.
	closers []func() error
}

// OpenEnt opens a service's database (Open) and, on SQLite, its read-only pool (OpenReader),
// builds the generated ent client on each with newClient (ent.NewClient(ent.Driver(d))), and
// returns the plumbing with Reader served by the pool. begin is the client's Tx method
// ((*ent.Client).Tx), txClient a transaction's client ((*ent.Tx).Client). Close closes both.
func OpenEnt[C interface{ Close() error }, T Tx](driver, dsn string, newClient func(dialect.Driver) C,
	begin func(C, context.Context) (T, error), txClient func(T) C) (*Ent[C, T], error) {
	db, dia, err := Open(driver, dsn)
	if err != nil {
		return nil, err
	}
	root := newClient(entsql.OpenDB(dia, db))
	e := NewEnt(root, db, dia, func(ctx context.Context) (T, error) { return begin(root, ctx) }, txClient)
	e.closers = []func() error{root.Close}
	rdb, err := OpenReader(driver, dsn)
	if err != nil {
		_ = root.Close()
		return nil, err
	}
	if rdb != nil {
		reader := newClient(entsql.OpenDB(dia, rdb))
		e.UseReader(reader)
		e.closers = append([]func() error{reader.Close}, e.closers...)
	}
	return e, nil
}

// Close closes what OpenEnt opened.
func (e *Ent[C, T]) Close() error {
	var errs []error
	for _, c := range e.closers {
		errs = append(errs, c())
	}
	return errors.Join(errs...)
}

// UseReader makes Reader return reader outside transactions (a client over OpenReader's pool).
func (e *Ent[C, T]) UseReader(reader C) { e.reader, e.hasReader = reader, true }

// Reader returns the client for a read: the transaction's when ctx carries one (so a
// transaction reads its own writes), else the read-only pool's when there is one, else the root.
func (e *Ent[C, T]) Reader(ctx context.Context) C {
	if tx, ok := TxFrom[T](ctx); ok {
		return e.txClient(tx)
	}
	if e.hasReader {
		return e.reader
	}
	return e.root
}

// NewEnt wraps root (opened on sqlDB with dialect); begin is root.Tx and txClient returns a
// transaction's client (func(tx *ent.Tx) *ent.Client { return tx.Client() }).
func NewEnt[C any, T Tx](root C, sqlDB *sql.DB, dialect string, begin func(context.Context) (T, error), txClient func(T) C) *Ent[C, T] {
	return &Ent[C, T]{root: root, sqlDB: sqlDB, dialect: dialect, begin: begin, txClient: txClient}
}

// InTx runs fn in a transaction carried by ctx; a nested call joins the outer transaction.
func (e *Ent[C, T]) InTx(ctx context.Context, fn func(ctx context.Context) error) error {
	return InTx(ctx, e.begin, fn)
}

// Client returns the client of the transaction ctx carries, or the root client.
func (e *Ent[C, T]) Client(ctx context.Context) C {
	if tx, ok := TxFrom[T](ctx); ok {
		return e.txClient(tx)
	}
	return e.root
}

// Root is the client outside any transaction.
func (e *Ent[C, T]) Root() C { return e.root }

// Ping checks the database connection (readiness).
func (e *Ent[C, T]) Ping(ctx context.Context) error { return e.sqlDB.PingContext(ctx) }

// Dialect is ent's dialect name: "sqlite3" or "postgres".
func (e *Ent[C, T]) Dialect() string { return e.dialect }

// EntErrors tells MapErr how to recognise a generated ent package's errors.
type EntErrors struct {
	IsNotFound   func(error) bool
	IsConstraint func(error) bool
	// Invalid returns the field a failed field validator named, if err is one.
	Invalid func(error) (field string, ok bool)
	// AlreadyExists is the service's biz error for a unique-constraint violation.
	AlreadyExists error
	// InvalidArgument builds the service's invalid-argument error naming field.
	InvalidArgument func(field string, cause error) error
}

// MapErr turns ent errors into biz errors: not found → notFound (when given; an unexpected error
// never becomes not found), constraint → AlreadyExists, a failed field validator → the
// invalid-argument error naming the field (a 400, never a 500), anything else wrapped with the
// operation name.
func (k EntErrors) MapErr(op string, err error, notFound error) error {
	switch {
	case err == nil:
		return nil
	case notFound != nil && k.IsNotFound(err):
		return notFound
	case k.IsConstraint(err):
		return fmt.Errorf("%s: %w", op, k.AlreadyExists)
	}
	if field, ok := k.Invalid(err); ok {
		return fmt.Errorf("%s: %w", op, k.InvalidArgument(field, err))
	}
	return fmt.Errorf("%s: %w", op, err)
}

// migrations serialises schema migrations in the process: ent's migration writes package-level
// state of the generated code (each table's foreign keys), so two migrations running at once
// race. Production migrates once at start; tests migrate many databases in parallel.
var migrations sync.Mutex

// Migrate runs create (a generated client's Schema.Create) under the process-wide migration lock.
func Migrate(ctx context.Context, create func(context.Context) error) error {
	migrations.Lock()
	defer migrations.Unlock()
	return create(ctx)
}
