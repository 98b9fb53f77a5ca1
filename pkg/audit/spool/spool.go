// Package spool makes a service's audit entries durable: an entry is written to the service's
// own database in the transaction of the staff action it records, and delivered to org's audit
// log (through an audit.Appender) after the commit, so it is never lost to an org outage or a
// crash, and never exists for an action that rolled back.
//
// The mechanism, end to end:
//
//  1. The service embeds schema.Spool in its ent schema (its migration creates the audit_spool
//     table) and builds one Spool over its database (FromEnt) and its audit.Client.
//  2. In the action's transaction it calls Spool.Add with the entry: one row per idempotency key
//     (adding a key already waiting is a no-op).
//  3. Right after the commit, Add's commit hook delivers the transaction's entries, in the
//     caller's goroutine and bounded by Config.Timeout, so an entry is normally in org's log when
//     the request returns. Org confirmed an entry: its row is deleted. Org unreachable: the row
//     stays, and the action has succeeded all the same.
//  4. The service's reconciler pass calls Spool.Deliver, the safety net after an outage or a
//     crash between commit and delivery: it delivers every waiting entry in batches.
//
// A delivery first claims its rows (one UPDATE setting not_before_ms ahead; SELECT … FOR UPDATE
// SKIP LOCKED on PostgreSQL, SQLite's single writer elsewhere), so processes delivering at the
// same time never send one entry twice; no transaction stays open while org is called. An entry
// org refuses (400: it breaks the log's rules) is kept, with its error, and tried again after
// Config.RetryRefused, without holding back the others. Org stores each key once, so the rare
// repeat (a claim that outlived its lease, a lost reply, a key added again after delivery)
// records nothing twice.
package spool

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-kratos/kratos/v2/log"

	"github.com/vanguard/vanguard/pkg/audit"
	"github.com/vanguard/vanguard/pkg/audit/spool/schema"
	"github.com/vanguard/vanguard/pkg/clock"
	"github.com/vanguard/vanguard/pkg/dbx"
)

// Conn runs SQL; a service's ent client (bound to the transaction in the context, if any)
// satisfies it with the sql/execquery feature.
type Conn interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// DB is how the spool reaches a service's database.
type DB struct {
	// Conn returns the connection to use in ctx: the transaction ctx carries, or the client.
	Conn func(ctx context.Context) Conn
	// Dialect is "sqlite3" or "postgres" (ent's dialect names).
	Dialect string
}

// FromEnt reaches a service's database through its shared ent plumbing (dbx.Ent): the client of
// the transaction the context carries, and its dialect.
func FromEnt[C Conn, T dbx.Tx](e *dbx.Ent[C, T]) DB {
	return DB{Conn: func(ctx context.Context) Conn { return e.Client(ctx) }, Dialect: e.Dialect()}
}

// Config tunes delivery; zero values take the defaults.
type Config struct {
	// BatchSize is how many entries one delivery step claims and appends (default and maximum
	// audit.MaxBatch).
	BatchSize int
	// Timeout bounds each append: the one right after a commit, and each batch of Deliver
	// (default 5 s). A claim lasts four times as long, so it outlives its append.
	Timeout time.Duration
	// RetryRefused is how long an entry org refused waits before it is tried again (default 1
	// hour). Entries are never dropped.
	RetryRefused time.Duration
}

func (c *Config) defaults() {
	if c.BatchSize <= 0 || c.BatchSize > audit.MaxBatch {
		c.BatchSize = audit.MaxBatch
	}
	if c.Timeout <= 0 {
		c.Timeout = 5 * time.Second
	}
	if c.RetryRefused <= 0 {
		c.RetryRefused = time.Hour
	}
}

// Spool is a service's audit spool: Add writes entries in the action's transaction, the commit
// and Deliver send them to org.
type Spool struct {
	service string
	db      DB
	to      audit.Appender
	clock   clock.Clock
	log     *log.Helper
	cfg     Config
	// onCommit delivers a committed transaction's entries (deliverAfterCommit; tests replace it
	// to play a process that crashed right after its commit).
	onCommit func(keys []string)
}

// New returns the spool of service (its name, which starts every key it adds: "quiz" adds
// "quiz:…"), delivering to `to` (an audit.Client calling org as the service).
func New(service string, db DB, to audit.Appender, clk clock.Clock, logger log.Logger, cfg Config) (*Spool, error) {
	if service == "" || strings.ContainsAny(service, ": ") {
		return nil, fmt.Errorf("audit spool: service name %q must be non-empty without ':' or spaces", service)
	}
	if db.Conn == nil {
		return nil, errors.New("audit spool: DB.Conn is required")
	}
	if to == nil {
		return nil, errors.New("audit spool: an audit.Appender is required")
	}
	if clk == nil {
		clk = clock.Real{}
	}
	if logger == nil {
		logger = log.DefaultLogger
	}
	cfg.defaults()
	s := &Spool{service: service, db: db, to: to, clock: clk, cfg: cfg,
		log: log.NewHelper(log.With(logger, "module", "audit/spool", "service", service))}
	s.onCommit = s.deliverAfterCommit
	return s, nil
}

// stored is an entry as the entry column holds it: Before and After are kept as the JSON they
// encoded to when added, so what org receives is exactly that, whatever their Go types were.
type stored struct {
	Key          string          `json:"key"`
	ActorID      int64           `json:"actorId"`
	ActorName    string          `json:"actorName"`
	ActorOrgPath string          `json:"actorOrgPath"`
	Action       string          `json:"action"`
	TargetType   string          `json:"targetType"`
	TargetID     int64           `json:"targetId"`
	OrgPath      string          `json:"orgPath"`
	Summary      string          `json:"summary"`
	Before       json.RawMessage `json:"before,omitempty"`
	After        json.RawMessage `json:"after,omitempty"`
}

func (s stored) entry() audit.Entry {
	e := audit.Entry{Key: s.Key, ActorID: s.ActorID, ActorName: s.ActorName, ActorOrgPath: s.ActorOrgPath,
		Action: s.Action, TargetType: s.TargetType, TargetID: s.TargetID, OrgPath: s.OrgPath, Summary: s.Summary}
	if len(s.Before) > 0 {
		e.Before = s.Before
	}
	if len(s.After) > 0 {
		e.After = s.After
	}
	return e
}

// encode checks e as far as the spool can (a key of this service, JSON that encodes within
// org's limit) and returns its stored form. An entry org would refuse for another reason is
// caught at delivery and kept with its error.
func (s *Spool) encode(e audit.Entry) ([]byte, error) {
	rest, ok := strings.CutPrefix(e.Key, s.service+":")
	if !ok || rest == "" || len(e.Key) > audit.MaxKey || strings.ContainsFunc(rest, func(r rune) bool { return r <= ' ' || r > '~' }) {
		return nil, fmt.Errorf("audit spool: key %q must be %q followed by <operation>:<id> (printable ASCII, at most %d characters)",
			e.Key, s.service+":", audit.MaxKey)
	}
	st := stored{Key: e.Key, ActorID: e.ActorID, ActorName: e.ActorName, ActorOrgPath: e.ActorOrgPath, Action: e.Action,
		TargetType: e.TargetType, TargetID: e.TargetID, OrgPath: e.OrgPath, Summary: e.Summary}
	for _, j := range []struct {
		name string
		v    any
		dst  *json.RawMessage
	}{{"before", e.Before, &st.Before}, {"after", e.After, &st.After}} {
		if j.v == nil {
			continue
		}
		b, err := json.Marshal(j.v)
		if err != nil {
			return nil, fmt.Errorf("audit spool: entry %s: %s: %w", e.Key, j.name, err)
		}
		if utf8.RuneCount(b) > audit.MaxJSON {
			return nil, fmt.Errorf("audit spool: entry %s: %s is longer than %d characters as JSON", e.Key, j.name, audit.MaxJSON)
		}
		*j.dst = b
	}
	return json.Marshal(st)
}

// Add writes entries in the transaction ctx carries (or on its own outside one); a key already
// waiting in the spool is skipped. Once the transaction commits, the entries are delivered at
// once (bounded by Config.Timeout); whatever org does not confirm then waits for Deliver. An entry
// that is not this service's key, or whose Before/After cannot be encoded, is an error: the
// caller's transaction should roll back rather than commit an action without its entry.
func (s *Spool) Add(ctx context.Context, entries ...audit.Entry) error {
	if len(entries) == 0 {
		return nil
	}
	now := s.clock.Now().UnixMilli()
	keys := make([]string, len(entries))
	args := make([]any, 0, 3*len(entries))
	for i, e := range entries {
		b, err := s.encode(e)
		if err != nil {
			return err
		}
		keys[i] = e.Key
		args = append(args, e.Key, string(b), now)
	}
	const perStmt = 100 // 300 parameters: well under SQLite's limit
	for i := 0; i < len(entries); i += perStmt {
		j := min(i+perStmt, len(entries))
		q := `INSERT INTO ` + schema.Table + ` ("key", entry, created_ms, attempts, not_before_ms, last_error) VALUES ` +
			strings.TrimSuffix(strings.Repeat("(?, ?, ?, 0, 0, ''), ", j-i), ", ") + ` ON CONFLICT ("key") DO NOTHING`
		if _, err := s.db.Conn(ctx).ExecContext(ctx, s.rebind(q), args[3*i:3*j]...); err != nil {
			return fmt.Errorf("audit spool: add %s: %w", keys[i], err)
		}
	}
	dbx.AfterCommit(ctx, func() { s.onCommit(keys) })
	return nil
}

// deliverAfterCommit delivers the entries a committed transaction added. It runs outside that
// transaction and outlives a caller that hung up; a failure is logged and left to Deliver.
func (s *Spool) deliverAfterCommit(keys []string) {
	ctx := context.Background()
	for i := 0; i < len(keys); i += s.cfg.BatchSize {
		batch := keys[i:min(i+s.cfg.BatchSize, len(keys))]
		_, _, err := s.step(ctx, batch)
		if _, refused := err.(*refusal); refused {
			s.log.Errorw("msg", "org refused audit entries; kept and retried later", "error", err)
			continue
		}
		if err != nil {
			s.log.Warnw("msg", "audit entries not delivered yet; the reconciler retries", "keys", batch, "error", err)
			return
		}
	}
}

// Deliver appends every entry that is due to org's audit log, in batches, deleting each batch
// org confirmed; it returns how many entries it delivered. It stops at the first failure that
// is not a refusal (org unreachable: the next call tries again); refused entries wait
// Config.RetryRefused and are reported in the error. Processes may call it at the same time.
func (s *Spool) Deliver(ctx context.Context) (int, error) {
	total := 0
	var refused []error
	for {
		n, claimed, err := s.step(ctx, nil)
		total += n
		if r, ok := err.(*refusal); ok { // only refusals: the others' entries went through
			refused = append(refused, r)
			err = nil
		}
		if err != nil {
			return total, errors.Join(append(refused, err)...)
		}
		if claimed < s.cfg.BatchSize {
			return total, errors.Join(refused...)
		}
	}
}

// Pending counts the entries waiting in the spool, due or not (tests, metrics, operators).
func (s *Spool) Pending(ctx context.Context) (int, error) {
	rows, err := s.db.Conn(ctx).QueryContext(ctx, "SELECT COUNT(*) FROM "+schema.Table)
	if err != nil {
		return 0, fmt.Errorf("audit spool: pending: %w", err)
	}
	defer rows.Close()
	n := 0
	if rows.Next() {
		if err := rows.Scan(&n); err != nil {
			return 0, fmt.Errorf("audit spool: pending: %w", err)
		}
	}
	return n, rows.Err()
}

// row is a claimed entry.
type row struct {
	id    int64
	entry audit.Entry
}

// refusal reports entries org refused; they stay in the spool.
type refusal struct {
	keys []string
	err  error
}

func (r *refusal) Error() string {
	return fmt.Sprintf("audit spool: org refused %s (kept, retried later): %v", strings.Join(r.keys, ", "), r.err)
}

func (r *refusal) Unwrap() error { return r.err }

// step claims up to BatchSize due entries (only those of keys, when given), appends them and
// deletes what org confirmed. It returns how many it delivered and how many it claimed.
func (s *Spool) step(ctx context.Context, keys []string) (delivered, claimed int, err error) {
	rows, claimed, err := s.claim(ctx, keys)
	if err != nil || len(rows) == 0 {
		return 0, claimed, err
	}
	err = s.send(ctx, rows)
	if err == nil {
		if err := s.forget(ctx, rows); err != nil {
			return 0, claimed, err // delivered, but sent again once the claim runs out (org skips it)
		}
		return len(rows), claimed, nil
	}
	if !audit.Refused(err) {
		return 0, claimed, errors.Join(err, s.release(ctx, rows, err, 0))
	}
	if len(rows) == 1 {
		refused := &refusal{keys: []string{rows[0].entry.Key}, err: err}
		if err := s.release(ctx, rows, err, s.clock.Now().Add(s.cfg.RetryRefused).UnixMilli()); err != nil {
			return 0, claimed, errors.Join(refused, err)
		}
		return 0, claimed, refused
	}
	// Org appends a batch all or nothing: one bad entry refused them all. Send them one by one,
	// so the others go through and only the bad ones wait.
	var refused []string
	var firstRefusal error
	for i, r := range rows {
		one := rows[i : i+1]
		err := s.send(ctx, one)
		switch {
		case err == nil:
			if err := s.forget(ctx, one); err != nil {
				return delivered, claimed, errors.Join(err, s.release(ctx, rows[i+1:], errors.New("not tried"), 0))
			}
			delivered++
		case audit.Refused(err):
			refused = append(refused, r.entry.Key)
			if firstRefusal == nil {
				firstRefusal = err
			}
			if err := s.release(ctx, one, err, s.clock.Now().Add(s.cfg.RetryRefused).UnixMilli()); err != nil {
				return delivered, claimed, errors.Join(err, s.release(ctx, rows[i+1:], errors.New("not tried"), 0))
			}
		default:
			return delivered, claimed, errors.Join(err, s.release(ctx, rows[i:], err, 0))
		}
	}
	if len(refused) > 0 {
		return delivered, claimed, &refusal{keys: refused, err: firstRefusal}
	}
	return delivered, claimed, nil
}

// send appends rows' entries, bounded by Config.Timeout.
func (s *Spool) send(ctx context.Context, rows []row) error {
	entries := make([]audit.Entry, len(rows))
	for i, r := range rows {
		entries[i] = r.entry
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	return s.to.Append(ctx, entries...)
}

// claim reserves up to BatchSize due rows for this delivery by moving their not_before_ms past
// the delivery's end, and returns them, oldest first, with how many it claimed. One statement:
// two processes never claim one row.
func (s *Spool) claim(ctx context.Context, keys []string) ([]row, int, error) {
	now := s.clock.Now().UnixMilli()
	until := now + (4 * s.cfg.Timeout).Milliseconds()
	args := []any{until, now}
	filter := ""
	if len(keys) > 0 {
		filter = ` AND "key" IN (` + dbx.Placeholders(len(keys)) + `)`
		for _, k := range keys {
			args = append(args, k)
		}
	}
	lock := ""
	if s.db.Dialect == "postgres" {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	args = append(args, s.cfg.BatchSize, now)
	q := `UPDATE ` + schema.Table + ` SET not_before_ms = ?, attempts = attempts + 1 WHERE id IN (SELECT id FROM ` + schema.Table +
		` WHERE not_before_ms <= ?` + filter + ` ORDER BY id LIMIT ?` + lock + `) AND not_before_ms <= ? RETURNING id, entry`
	res, err := s.db.Conn(ctx).QueryContext(ctx, s.rebind(q), args...)
	if err != nil {
		return nil, 0, fmt.Errorf("audit spool: claim: %w", err)
	}
	var good, bad []row
	for res.Next() {
		var r row
		var raw string
		if err := res.Scan(&r.id, &raw); err != nil {
			res.Close()
			return nil, 0, fmt.Errorf("audit spool: claim: %w", err)
		}
		var st stored
		if err := json.Unmarshal([]byte(raw), &st); err != nil {
			bad = append(bad, r)
			continue
		}
		r.entry = st.entry()
		good = append(good, r)
	}
	if err := errors.Join(res.Err(), res.Close()); err != nil {
		return nil, 0, fmt.Errorf("audit spool: claim: %w", err)
	}
	if len(bad) > 0 {
		// Not written by Add: kept for an operator, out of the way like a refused entry.
		s.log.Errorw("msg", "audit spool rows whose entry is not JSON", "ids", ids(bad))
		if err := s.release(ctx, bad, errors.New("entry is not JSON"), s.clock.Now().Add(s.cfg.RetryRefused).UnixMilli()); err != nil {
			return nil, 0, errors.Join(err, s.release(ctx, good, errors.New("not tried"), 0))
		}
	}
	sort.Slice(good, func(i, j int) bool { return good[i].id < good[j].id })
	return good, len(good) + len(bad), nil
}

// forget deletes rows org confirmed.
func (s *Spool) forget(ctx context.Context, rows []row) error {
	q := "DELETE FROM " + schema.Table + " WHERE id IN (" + dbx.Placeholders(len(rows)) + ")"
	if _, err := s.db.Conn(ctx).ExecContext(ctx, s.rebind(q), ids(rows)...); err != nil {
		return fmt.Errorf("audit spool: delete delivered: %w", err)
	}
	return nil
}

// release gives claimed rows back, due at notBefore (0: at once), recording why they failed.
// It runs even when ctx has ended, so an entry is not held back until its claim runs out.
func (s *Spool) release(ctx context.Context, rows []row, cause error, notBefore int64) error {
	if len(rows) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.Timeout)
	defer cancel()
	q := "UPDATE " + schema.Table + " SET not_before_ms = ?, last_error = ? WHERE id IN (" + dbx.Placeholders(len(rows)) + ")"
	args := append([]any{notBefore, audit.Cut(cause.Error(), schema.MaxLastError)}, ids(rows)...)
	if _, err := s.db.Conn(ctx).ExecContext(ctx, s.rebind(q), args...); err != nil {
		return fmt.Errorf("audit spool: release: %w", err)
	}
	return nil
}

func ids(rows []row) []any {
	out := make([]any, len(rows))
	for i, r := range rows {
		out[i] = r.id
	}
	return out
}

func (s *Spool) rebind(q string) string { return dbx.Rebind(s.db.Dialect, q) }
