package spool_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	entsql "entgo.io/ent/dialect/sql"
	kerrors "github.com/go-kratos/kratos/v2/errors"
	"github.com/go-kratos/kratos/v2/log"

	"github.com/vanguard/vanguard/pkg/audit"
	"github.com/vanguard/vanguard/pkg/audit/spool"
	"github.com/vanguard/vanguard/pkg/audit/spool/internal/testent"
	"github.com/vanguard/vanguard/pkg/audit/spool/internal/testent/auditspool"
	"github.com/vanguard/vanguard/pkg/clock"
	"github.com/vanguard/vanguard/pkg/dbx"
	"github.com/vanguard/vanguard/pkg/testdb"
)

var errAbort = errors.New("test: roll back")

// store is one process's connection to a service database: its ent client and plumbing.
type store struct {
	client *testent.Client
	ent    *dbx.Ent[*testent.Client, *testent.Tx]
}

func openStore(t testing.TB, driver, dsn string) *store {
	t.Helper()
	sqlDB, dia, err := dbx.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	client := testent.NewClient(testent.Driver(entsql.OpenDB(dia, sqlDB)))
	t.Cleanup(func() { client.Close() })
	if err := client.Schema.Create(context.Background()); err != nil {
		t.Fatal(err)
	}
	return &store{client: client, ent: dbx.NewEnt(client, sqlDB, dia, client.Tx, (*testent.Tx).Client)}
}

// spool returns a spool of the "svc" service over s.
func (s *store) spool(t testing.TB, to audit.Appender, clk clock.Clock, cfg spool.Config) *spool.Spool {
	t.Helper()
	sp, err := spool.New("svc", spool.FromEnt(s.ent), to, clk, log.NewFilter(log.DefaultLogger, log.FilterLevel(log.LevelFatal)), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return sp
}

// act records a staff action and spools its entries in one transaction; fail rolls it back.
func (s *store) act(t testing.TB, sp *spool.Spool, fail bool, entries ...audit.Entry) error {
	t.Helper()
	return s.ent.InTx(context.Background(), func(ctx context.Context) error {
		if _, err := s.ent.Client(ctx).Action.Create().SetName("act").Save(ctx); err != nil {
			return err
		}
		if err := sp.Add(ctx, entries...); err != nil {
			return err
		}
		if fail {
			return errAbort
		}
		return nil
	})
}

// rows returns the spool's rows by key.
func (s *store) rows(t testing.TB) map[string]*testent.AuditSpool {
	t.Helper()
	all, err := s.client.AuditSpool.Query().Order(auditspool.ByID()).All(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]*testent.AuditSpool{}
	for _, r := range all {
		m[r.Key] = r
	}
	return m
}

func (s *store) actions(t testing.TB) int {
	t.Helper()
	return s.client.Action.Query().CountX(context.Background())
}

// org is a recording audit log: it counts every append of every key (never deduplicating, so a
// repeat shows), and can be down or refuse keys.
type org struct {
	mu      sync.Mutex
	down    error           // every append fails with it
	refuse  map[string]bool // a batch with one of these keys is refused whole, like org's
	delay   time.Duration   // each append takes this long
	appends map[string]int
	last    map[string]audit.Entry
	batches []int
}

func newOrg() *org {
	return &org{refuse: map[string]bool{}, appends: map[string]int{}, last: map[string]audit.Entry{}}
}

func (o *org) Append(ctx context.Context, entries ...audit.Entry) error {
	o.mu.Lock()
	delay := o.delay
	o.mu.Unlock()
	if delay > 0 {
		time.Sleep(delay)
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.down != nil {
		return o.down
	}
	for _, e := range entries {
		if o.refuse[e.Key] {
			return kerrors.BadRequest("AUDIT_INVALID", "entries: bad entry "+e.Key)
		}
	}
	o.batches = append(o.batches, len(entries))
	for _, e := range entries {
		o.appends[e.Key]++
		o.last[e.Key] = e
	}
	return nil
}

func (o *org) setDown(err error) {
	o.mu.Lock()
	o.down = err
	o.mu.Unlock()
}

func (o *org) count(key string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.appends[key]
}

func (o *org) total() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	n := 0
	for _, c := range o.appends {
		n += c
	}
	return n
}

// onceEach fails unless exactly keys were appended, each once.
func (o *org) onceEach(t testing.TB, keys ...string) {
	t.Helper()
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.appends) != len(keys) {
		t.Fatalf("org has %d keys, want %d: %v", len(o.appends), len(keys), o.appends)
	}
	for _, k := range keys {
		if o.appends[k] != 1 {
			t.Fatalf("key %s appended %d times, want once (all: %v)", k, o.appends[k], o.appends)
		}
	}
}

func entry(key string) audit.Entry {
	return audit.Entry{Key: key, ActorID: 7, ActorName: "trainer", ActorOrgPath: "/1/2/", Action: "exam.regrade",
		TargetType: "exam", TargetID: 3, OrgPath: "/1/2/", Summary: "重新评分", After: map[string]any{"changed": 1}}
}

func keys(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("svc:%s:%d", prefix, i+1)
	}
	return out
}

func entries(ks []string) []audit.Entry {
	out := make([]audit.Entry, len(ks))
	for i, k := range ks {
		out[i] = entry(k)
	}
	return out
}

func pending(t testing.TB, sp *spool.Spool) int {
	t.Helper()
	n, err := sp.Pending(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func deliver(t testing.TB, sp *spool.Spool) (int, error) {
	t.Helper()
	return sp.Deliver(context.Background())
}

// An entry added in a transaction goes to org right after the commit, exactly as added (Before
// and After as the JSON they encode to), and leaves the spool; nothing is sent before the commit.
func TestAddDeliversAfterCommit(t *testing.T) {
	testdb.Each(t, func(t *testing.T, driver, dsn string) {
		s := openStore(t, driver, dsn)
		o := newOrg()
		sp := s.spool(t, o, nil, spool.Config{})
		type detail struct {
			Reason string `json:"reason"`
			IDs    []int64
		}
		e := entry("svc:regrade:1")
		e.Before = detail{Reason: "旧", IDs: []int64{1 << 60, 2}}
		e.After = map[string]any{"changed": 1, "big": int64(1<<62 + 1)}
		err := s.ent.InTx(context.Background(), func(ctx context.Context) error {
			if err := sp.Add(ctx, e); err != nil {
				return err
			}
			if n := o.total(); n != 0 {
				t.Errorf("%d entries sent before the commit", n)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		o.onceEach(t, "svc:regrade:1")
		if n := pending(t, sp); n != 0 {
			t.Fatalf("pending after delivery = %d", n)
		}
		got := o.last["svc:regrade:1"]
		for _, j := range []struct {
			name      string
			got, want any
		}{{"before", got.Before, e.Before}, {"after", got.After, e.After}} {
			g, _ := json.Marshal(j.got)
			w, _ := json.Marshal(j.want)
			if string(g) != string(w) {
				t.Errorf("%s = %s, want %s", j.name, g, w)
			}
		}
		got.Before, got.After, e.Before, e.After = nil, nil, nil, nil
		if got != e {
			t.Errorf("delivered %+v, want %+v", got, e)
		}
		if n, err := deliver(t, sp); n != 0 || err != nil {
			t.Fatalf("Deliver of an empty spool = %d, %v", n, err)
		}

		// Outside a transaction Add delivers at once; nil Before/After stay nil.
		plain := entry("svc:regrade:2")
		plain.After = nil
		if err := sp.Add(context.Background(), plain); err != nil {
			t.Fatal(err)
		}
		o.onceEach(t, "svc:regrade:1", "svc:regrade:2")
		if got := o.last["svc:regrade:2"]; got.Before != nil || got.After != nil {
			t.Fatalf("entry without before/after delivered as %+v", got)
		}
	})
}

// A transaction that rolls back leaves no entry, and nothing reaches org.
func TestRollbackLeavesNoEntry(t *testing.T) {
	testdb.Each(t, func(t *testing.T, driver, dsn string) {
		s := openStore(t, driver, dsn)
		o := newOrg()
		sp := s.spool(t, o, nil, spool.Config{})
		if err := s.act(t, sp, true, entry("svc:regrade:1")); !errors.Is(err, errAbort) {
			t.Fatalf("act = %v, want the abort", err)
		}
		if n, err := deliver(t, sp); n != 0 || err != nil {
			t.Fatalf("Deliver = %d, %v", n, err)
		}
		if s.actions(t) != 0 || pending(t, sp) != 0 || o.total() != 0 {
			t.Fatalf("after a rollback: %d actions, %d pending, %d appended", s.actions(t), pending(t, sp), o.total())
		}
	})
}

// Org down: the action commits all the same and its entries wait, with the failure recorded; a
// Deliver while org is still down sends nothing and keeps them; once org is back, Deliver sends
// each exactly once and empties the spool.
func TestOrgDownLosesNothing(t *testing.T) {
	testdb.Each(t, func(t *testing.T, driver, dsn string) {
		s := openStore(t, driver, dsn)
		o := newOrg()
		o.setDown(kerrors.ServiceUnavailable("UNAVAILABLE", "org unreachable"))
		sp := s.spool(t, o, nil, spool.Config{})
		ks := keys("regrade", 5)
		if err := s.act(t, sp, false, entries(ks[:3])...); err != nil {
			t.Fatalf("the action failed with org down: %v", err)
		}
		if err := s.act(t, sp, false, entries(ks[3:])...); err != nil {
			t.Fatal(err)
		}
		if s.actions(t) != 2 || pending(t, sp) != 5 {
			t.Fatalf("%d actions, %d pending; want 2 and 5", s.actions(t), pending(t, sp))
		}
		n, err := deliver(t, sp)
		if n != 0 || err == nil || audit.Refused(err) {
			t.Fatalf("Deliver with org down = %d, %v; want 0 and the outage", n, err)
		}
		for k, r := range s.rows(t) {
			if r.Attempts != 2 || !strings.Contains(r.LastError, "org unreachable") || r.NotBeforeMs != 0 {
				t.Fatalf("row %s after two failed deliveries: %+v", k, r)
			}
		}
		o.setDown(nil)
		if n, err := deliver(t, sp); n != 5 || err != nil {
			t.Fatalf("Deliver with org back = %d, %v; want 5", n, err)
		}
		if n, err := deliver(t, sp); n != 0 || err != nil {
			t.Fatalf("second Deliver = %d, %v; want nothing left", n, err)
		}
		o.onceEach(t, ks...)
		if pending(t, sp) != 0 {
			t.Fatal("entries left after delivery")
		}
	})
}

// Adding a key that is already waiting is a no-op: one row, one append.
func TestDuplicateAddIsOneRow(t *testing.T) {
	testdb.Each(t, func(t *testing.T, driver, dsn string) {
		s := openStore(t, driver, dsn)
		o := newOrg()
		o.setDown(errors.New("org unreachable"))
		sp := s.spool(t, o, nil, spool.Config{})
		first := entry("svc:regrade:1")
		again := entry("svc:regrade:1")
		again.Summary = "again"
		if err := s.act(t, sp, false, first, again); err != nil {
			t.Fatal(err)
		}
		if err := s.act(t, sp, false, again); err != nil {
			t.Fatal(err)
		}
		rows := s.rows(t)
		if len(rows) != 1 || rows["svc:regrade:1"] == nil {
			t.Fatalf("rows = %v, want one", rows)
		}
		o.setDown(nil)
		if n, err := deliver(t, sp); n != 1 || err != nil {
			t.Fatalf("Deliver = %d, %v", n, err)
		}
		o.onceEach(t, "svc:regrade:1")
		if got := o.last["svc:regrade:1"].Summary; got != first.Summary {
			t.Fatalf("delivered summary %q, want the first entry's", got)
		}
	})
}

// A process that dies between its commit and the delivery loses nothing: another process (a
// fresh Spool over the same database) delivers the entries from its reconciler pass. A delivery
// that dies after claiming its entries holds them only until its claim runs out.
func TestCrashBetweenCommitAndDelivery(t *testing.T) {
	testdb.Each(t, func(t *testing.T, driver, dsn string) {
		clk := clock.NewFake(time.Unix(1_800_000_000, 0))
		cfg := spool.Config{Timeout: time.Second}
		o := newOrg()
		crashed := openStore(t, driver, dsn)
		sp := crashed.spool(t, o, clk, cfg)
		spool.CrashAfterCommit(sp)
		ks := keys("regrade", 3)
		for _, e := range entries(ks) {
			if err := crashed.act(t, sp, false, e); err != nil {
				t.Fatal(err)
			}
		}
		if o.total() != 0 {
			t.Fatal("delivered although the process crashed after the commit")
		}
		crashed.client.Close()

		restarted := openStore(t, driver, dsn)
		fresh := restarted.spool(t, o, clk, cfg)
		if n, err := deliver(t, fresh); n != 3 || err != nil {
			t.Fatalf("Deliver after the crash = %d, %v; want 3", n, err)
		}
		o.onceEach(t, ks...)

		// A delivery claims the next entry and dies before appending it.
		dying := restarted.spool(t, o, clk, cfg)
		spool.CrashAfterCommit(dying)
		if err := restarted.act(t, dying, false, entry("svc:regrade:9")); err != nil {
			t.Fatal(err)
		}
		if n, err := spool.ClaimOnly(context.Background(), dying); n != 1 || err != nil {
			t.Fatalf("claim = %d, %v", n, err)
		}
		if n, err := deliver(t, fresh); n != 0 || err != nil {
			t.Fatalf("Deliver of a claimed entry = %d, %v; want it left to its claim", n, err)
		}
		clk.Advance(4*cfg.Timeout + time.Millisecond)
		if n, err := deliver(t, fresh); n != 1 || err != nil {
			t.Fatalf("Deliver once the claim ran out = %d, %v; want 1", n, err)
		}
		o.onceEach(t, append(ks, "svc:regrade:9")...)
	})
}

// Two processes delivering at the same time, each with several goroutines, never append one entry
// twice, and deliver everything between them.
func TestConcurrentDeliverNeverAppendsTwice(t *testing.T) {
	testdb.Each(t, func(t *testing.T, driver, dsn string) {
		o := newOrg()
		cfg := spool.Config{BatchSize: 7}
		a, b := openStore(t, driver, dsn), openStore(t, driver, dsn)
		spA, spB := a.spool(t, o, nil, cfg), b.spool(t, o, nil, cfg)
		spool.CrashAfterCommit(spA)
		ks := keys("regrade", 300)
		for i := 0; i < len(ks); i += 50 {
			if err := a.act(t, spA, false, entries(ks[i:i+50])...); err != nil {
				t.Fatal(err)
			}
		}
		o.mu.Lock()
		o.delay = time.Millisecond // appends overlap other processes' claims
		o.mu.Unlock()
		var wg sync.WaitGroup
		errs := make(chan error, 16)
		for _, sp := range []*spool.Spool{spA, spB, spA, spB, spA, spB} {
			wg.Go(func() {
				for range 3 {
					if _, err := sp.Deliver(context.Background()); err != nil {
						errs <- err
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		o.onceEach(t, ks...)
		if n := pending(t, spB); n != 0 {
			t.Fatalf("%d entries left", n)
		}
	})
}

// Deliver appends in batches of at most BatchSize (org takes at most audit.MaxBatch at once).
func TestDeliverBatches(t *testing.T) {
	testdb.Each(t, func(t *testing.T, driver, dsn string) {
		s := openStore(t, driver, dsn)
		o := newOrg()
		sp := s.spool(t, o, nil, spool.Config{})
		spool.CrashAfterCommit(sp)
		ks := keys("regrade", 250)
		if err := s.act(t, sp, false, entries(ks)...); err != nil {
			t.Fatal(err)
		}
		if n, err := deliver(t, sp); n != 250 || err != nil {
			t.Fatalf("Deliver = %d, %v", n, err)
		}
		o.onceEach(t, ks...)
		if want := []int{100, 100, 50}; fmt.Sprint(o.batches) != fmt.Sprint(want) {
			t.Fatalf("batches %v, want %v", o.batches, want)
		}
	})
}

// An entry org refuses (a 400) holds back neither the entries of its batch nor later ones: they
// go through, it stays with its error and is tried again after RetryRefused, until org takes it.
func TestRefusedEntryWaitsAlone(t *testing.T) {
	testdb.Each(t, func(t *testing.T, driver, dsn string) {
		clk := clock.NewFake(time.Unix(1_800_000_000, 0))
		s := openStore(t, driver, dsn)
		o := newOrg()
		o.refuse["svc:regrade:2"] = true
		cfg := spool.Config{RetryRefused: time.Hour}
		sp := s.spool(t, o, clk, cfg)
		ks := keys("regrade", 4)
		if err := s.act(t, sp, false, entries(ks)...); err != nil {
			t.Fatalf("the action failed because org refused its entry: %v", err)
		}
		o.onceEach(t, ks[0], ks[2], ks[3])
		rows := s.rows(t)
		bad := rows["svc:regrade:2"]
		if len(rows) != 1 || bad == nil || !strings.Contains(bad.LastError, "bad entry") || bad.NotBeforeMs <= clk.Now().UnixMilli() {
			t.Fatalf("rows after a refusal: %+v", rows)
		}
		// Not due yet: later entries go out without it.
		if err := s.act(t, sp, false, entry("svc:regrade:5")); err != nil {
			t.Fatal(err)
		}
		if n, err := deliver(t, sp); n != 0 || err != nil {
			t.Fatalf("Deliver before the refused entry is due = %d, %v", n, err)
		}
		o.onceEach(t, ks[0], ks[2], ks[3], "svc:regrade:5")
		clk.Advance(time.Hour)
		n, err := deliver(t, sp)
		if n != 0 || !audit.Refused(err) || !strings.Contains(err.Error(), "svc:regrade:2") {
			t.Fatalf("Deliver of a refused entry = %d, %v; want the refusal", n, err)
		}
		if r := s.rows(t)["svc:regrade:2"]; r == nil || r.Attempts != 2 {
			t.Fatalf("refused row after its retry: %+v", r)
		}
		o.mu.Lock()
		delete(o.refuse, "svc:regrade:2")
		o.mu.Unlock()
		clk.Advance(time.Hour)
		if n, err := deliver(t, sp); n != 1 || err != nil {
			t.Fatalf("Deliver once org takes it = %d, %v", n, err)
		}
		o.onceEach(t, append(ks, "svc:regrade:5")...)
	})
}

// Add refuses what org could never take, before writing anything: the caller's transaction rolls
// back instead of committing an action whose entry cannot be delivered.
func TestAddRefusesBadEntries(t *testing.T) {
	testdb.Each(t, func(t *testing.T, driver, dsn string) {
		s := openStore(t, driver, dsn)
		sp := s.spool(t, newOrg(), nil, spool.Config{})
		for name, mutate := range map[string]func(e *audit.Entry){
			"another service's key": func(e *audit.Entry) { e.Key = "quiz:regrade:1" },
			"no key":                func(e *audit.Entry) { e.Key = "" },
			"only the prefix":       func(e *audit.Entry) { e.Key = "svc:" },
			"a space in the key":    func(e *audit.Entry) { e.Key = "svc:regrade 1" },
			"an over-long key":      func(e *audit.Entry) { e.Key = "svc:" + strings.Repeat("x", audit.MaxKey) },
			"before JSON cannot encode": func(e *audit.Entry) {
				e.Before = map[string]any{"f": func() {}}
			},
			"over-long after": func(e *audit.Entry) { e.After = strings.Repeat("长", audit.MaxJSON) },
		} {
			e := entry("svc:regrade:1")
			mutate(&e)
			if err := s.act(t, sp, false, entry("svc:ok:1"), e); err == nil {
				t.Errorf("%s: added", name)
			}
		}
		if s.actions(t) != 0 || pending(t, sp) != 0 {
			t.Fatalf("refused adds left %d actions and %d entries", s.actions(t), pending(t, sp))
		}
	})
}

func TestNewChecksItsArguments(t *testing.T) {
	ok := spool.DB{Conn: func(context.Context) spool.Conn { return nil }}
	for name, f := range map[string]func() error{
		"empty service":    func() error { _, err := spool.New("", ok, newOrg(), nil, nil, spool.Config{}); return err },
		"service with ':'": func() error { _, err := spool.New("a:b", ok, newOrg(), nil, nil, spool.Config{}); return err },
		"no connection":    func() error { _, err := spool.New("svc", spool.DB{}, newOrg(), nil, nil, spool.Config{}); return err },
		"no appender":      func() error { _, err := spool.New("svc", ok, nil, nil, nil, spool.Config{}); return err },
	} {
		if f() == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
