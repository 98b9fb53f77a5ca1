package backup

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"time"

	"modernc.org/sqlite"
)

// sqliteURI is a file: URI for path with the given query parameters; mode=rw means the file
// must exist (a backup never creates a missing database).
func sqliteURI(path string, params ...string) string {
	u := url.URL{Scheme: "file", Opaque: (&url.URL{Path: path}).EscapedPath()}
	q := "mode=rw"
	for _, p := range params {
		q += "&" + p
	}
	return u.String() + "?" + q
}

// source is one database being snapshotted: a read connection holding the snapshot's read
// transaction open.
type source struct {
	path string
	db   *sql.DB
	conn *sql.Conn
}

func (s *source) close() {
	if s.conn != nil {
		_, _ = s.conn.ExecContext(context.Background(), "ROLLBACK")
		s.conn.Close()
	}
	if s.db != nil {
		s.db.Close()
	}
}

// snapshotDatabases copies every database in paths to the file of the same index in dsts. It
// first opens a read connection to each, then begins a read transaction on each, back to back
// (a fraction of a millisecond for them all: spread is how long it took), and only then copies
// each with SQLite's online backup API from its read transaction. The process keeps writing
// meanwhile (WAL), and each copy shows its database as of its snapshot, consistent in itself.
//
// It takes no write lock: the services' transactions read before they write, and SQLite fails
// such a transaction at once (SQLITE_BUSY, no waiting) when another connection holds the write
// lock, so freezing the writers for an exact common instant would fail requests instead.
func snapshotDatabases(ctx context.Context, paths, dsts []string) (at time.Time, spread time.Duration, err error) {
	var sources []*source
	defer func() {
		for _, s := range sources {
			s.close()
		}
	}()
	for _, p := range paths {
		if fi, err := os.Stat(p); errors.Is(err, os.ErrNotExist) {
			return at, 0, fmt.Errorf("%w: %s", ErrNoDatabase, p)
		} else if err != nil {
			return at, 0, fmt.Errorf("database %s: %w", p, err)
		} else if !fi.Mode().IsRegular() {
			return at, 0, fmt.Errorf("database %s is not a regular file", p)
		}
		s, err := openConn(ctx, sqliteURI(p, "_pragma=busy_timeout(5000)", "_pragma=query_only(1)"))
		if err != nil {
			return at, 0, fmt.Errorf("database %s: %w", p, err)
		}
		s.path = p
		sources = append(sources, s)
		var n int // opens the file and reads the schema, outside the snapshot's timing
		if err := s.conn.QueryRowContext(ctx, firstRead).Scan(&n); err != nil {
			return at, 0, fmt.Errorf("database %s: %w", p, err)
		}
	}
	start := time.Now()
	for _, s := range sources {
		// A deferred transaction takes its snapshot at its first read.
		if _, err := s.conn.ExecContext(ctx, "BEGIN"); err != nil {
			return at, 0, fmt.Errorf("database %s: %w", s.path, err)
		}
		var n int
		if err := s.conn.QueryRowContext(ctx, firstRead).Scan(&n); err != nil {
			return at, 0, fmt.Errorf("database %s: %w", s.path, err)
		}
	}
	spread = time.Since(start)
	for i, s := range sources {
		if err := copyDatabase(ctx, s, dsts[i]); err != nil {
			return at, 0, err
		}
	}
	return start, spread, nil
}

// ErrNoDatabase means a database of the layout is missing from the data dir.
var ErrNoDatabase = errors.New("no such database")

// firstRead is the cheap read that starts a read transaction.
const firstRead = "SELECT count(*) FROM sqlite_master"

func openConn(ctx context.Context, uri string) (*source, error) {
	db, err := sql.Open("sqlite", uri)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	conn, err := db.Conn(ctx)
	if err != nil {
		db.Close()
		return nil, err
	}
	return &source{db: db, conn: conn}, nil
}

// backuper is what modernc.org/sqlite's connection offers for the online backup API.
type backuper interface {
	NewBackup(dstURI string) (*sqlite.Backup, error)
}

// copyDatabase writes s's snapshot to dst (which must not exist) with the online backup API,
// turns the copy into a self-contained file (rollback journal instead of WAL: no -wal file
// belongs to it) and checks its integrity.
func copyDatabase(ctx context.Context, s *source, dst string) error {
	err := s.conn.Raw(func(dc any) error {
		b, ok := dc.(backuper)
		if !ok {
			return errors.New("the sqlite driver offers no backup API")
		}
		bk, err := b.NewBackup(dst)
		if err != nil {
			return err
		}
		if _, err := bk.Step(-1); err != nil {
			_ = bk.Finish()
			return err
		}
		return bk.Finish()
	})
	if err != nil {
		return fmt.Errorf("snapshot %s: %w", s.path, err)
	}
	return checkDatabase(ctx, dst, true)
}

// checkDatabase runs SQLite's integrity check on the database file path (quick_check unless
// full); with full it also switches the file to a rollback journal, so the file alone is the
// whole database.
func checkDatabase(ctx context.Context, path string, full bool) error {
	c, err := openConn(ctx, sqliteURI(path))
	if err != nil {
		return fmt.Errorf("check %s: %w", path, err)
	}
	defer c.close()
	if full {
		var mode string
		if err := c.conn.QueryRowContext(ctx, "PRAGMA journal_mode=DELETE").Scan(&mode); err != nil {
			return fmt.Errorf("check %s: %w", path, err)
		}
	}
	check := "PRAGMA quick_check"
	if full {
		check = "PRAGMA integrity_check"
	}
	var res string
	if err := c.conn.QueryRowContext(ctx, check).Scan(&res); err != nil {
		return fmt.Errorf("check %s: %w", path, err)
	}
	if res != "ok" {
		return fmt.Errorf("check %s: database is damaged: %s", path, res)
	}
	return nil
}
