package outbox_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/go-kratos/kratos/v2/log"
	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"google.golang.org/protobuf/proto"

	"github.com/vanguard/vanguard/pkg/clock"
	"github.com/vanguard/vanguard/pkg/outbox"
	"github.com/vanguard/vanguard/pkg/testdb"
)

// oneSubscriber routes attempt.graded to one subscriber, so one event is one delivery.
var oneSubscriber = outbox.Routes{"attempt.graded": {{Name: "suba", Queue: "suba"}}}

// series finds the sample of family name whose labels include want; nil when absent.
func series(t *testing.T, reg *prometheus.Registry, name string, want map[string]string) *dto.Metric {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, m := range mf.GetMetric() {
			for k, v := range want {
				found := false
				for _, lp := range m.GetLabel() {
					found = found || (lp.GetName() == k && lp.GetValue() == v)
				}
				if !found {
					continue next
				}
			}
			return m
		}
	}
	return nil
}

// A relayed event is one observation of the relay lag (its commit → hand-off time on the
// outbox's clock); a re-delivery is none. An event the relay could not hand over (its Redis
// down) is pending, with its age, until a relay that works hands it over.
func TestRelayMetrics(t *testing.T) {
	forEachDB(t, func(t *testing.T, driver string, newDSN func() string) {
		ctx := context.Background()
		st := openStore(t, driver, newDSN())
		clk := clock.NewFake(time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC))
		cfg := outbox.Config{RedeliverAfter: time.Minute}
		o, err := outbox.New("quiz", st.db, oneSubscriber, newQueue(t, realRedis(t)), clk, cfg)
		if err != nil {
			t.Fatal(err)
		}
		reg := prometheus.NewRegistry()
		reg.MustRegister(outbox.NewRelay(o, log.NewStdLogger(testWriter{t})).Collectors()...)
		quiz := map[string]string{"producer": "quiz"}
		gauges := func() (pending, oldest float64) {
			t.Helper()
			p, a := series(t, reg, "vanguard_outbox_pending", quiz), series(t, reg, "vanguard_outbox_oldest_pending_seconds", quiz)
			if p == nil || a == nil {
				t.Fatal("vanguard_outbox_pending or vanguard_outbox_oldest_pending_seconds missing from the scrape")
			}
			return p.GetGauge().GetValue(), a.GetGauge().GetValue()
		}
		lag := func() (uint64, float64) {
			t.Helper()
			m := series(t, reg, "vanguard_outbox_relay_lag_seconds", quiz)
			if m == nil {
				t.Fatal("vanguard_outbox_relay_lag_seconds{producer=\"quiz\"} missing from the scrape")
			}
			return m.GetHistogram().GetSampleCount(), m.GetHistogram().GetSampleSum()
		}
		add := func(id int64) {
			t.Helper()
			if err := st.db.InTx(ctx, func(ctx context.Context) error { return o.Add(ctx, graded(id)) }); err != nil {
				t.Fatal(err)
			}
		}
		if p, a := gauges(); p != 0 || a != 0 {
			t.Fatalf("empty outbox: pending %v, oldest %v; want 0 and 0", p, a)
		}

		// Committed, not relayed yet (not even fanned out): pending, ageing on the clock.
		add(1)
		clk.Advance(1500 * time.Millisecond)
		if p, a := gauges(); p != 1 || a != 1.5 {
			t.Fatalf("unrelayed event: pending %v, oldest %v; want 1 and 1.5", p, a)
		}
		if n, _ := lag(); n != 0 {
			t.Fatalf("relay lag count %d before any relay", n)
		}
		if _, err := o.Drain(ctx); err != nil {
			t.Fatal(err)
		}
		if n, sum := lag(); n != 1 || sum != 1.5 {
			t.Fatalf("after relaying one event: lag count %d, sum %v; want 1 and 1.5", n, sum)
		}
		if p, a := gauges(); p != 0 || a != 0 {
			t.Fatalf("relayed: pending %v, oldest %v; want 0 and 0", p, a)
		}
		// Unacknowledged past RedeliverAfter: enqueued again, which is no new lag.
		clk.Advance(2 * time.Minute)
		if n, err := o.Drain(ctx); err != nil || n != 1 {
			t.Fatalf("re-delivery drain = %d, %v; want 1 re-enqueued", n, err)
		}
		if n, _ := lag(); n != 1 {
			t.Fatalf("a re-delivery was observed as lag: count %d, want 1", n)
		}

		// A relay whose Redis is down fans the next event out but cannot hand it over: its
		// delivery is pending and ages until a working relay takes it.
		down, err := outbox.New("quiz", st.db, oneSubscriber, newQueue(t, asynq.RedisClientOpt{Addr: "127.0.0.1:1", DialTimeout: 200 * time.Millisecond}), clk, cfg)
		if err != nil {
			t.Fatal(err)
		}
		add(2)
		if _, err := down.Drain(ctx); err == nil {
			t.Fatal("a relay without Redis reported no failure")
		}
		if s, err := o.Stats(ctx); err != nil || s.NotFannedOut != 0 || s.Unrelayed != 1 {
			t.Fatalf("after the failed relay: %+v, %v; want the event fanned out, its delivery unrelayed", s, err)
		}
		clk.Advance(40 * time.Second)
		if p, a := gauges(); p != 1 || a != 40 {
			t.Fatalf("stuck delivery: pending %v, oldest %v; want 1 and 40", p, a)
		}
		if _, err := o.Drain(ctx); err != nil {
			t.Fatal(err)
		}
		if n, sum := lag(); n != 2 || sum != 41.5 {
			t.Fatalf("after the stuck event: lag count %d, sum %v; want 2 and 41.5", n, sum)
		}
		if p, a := gauges(); p != 0 || a != 0 {
			t.Fatalf("all relayed: pending %v, oldest %v", p, a)
		}
	})
}

// Two processes that relay the same new delivery at once both hand it to Asynq (its task id
// makes the second a no-op), but its lag is one observation: only the relay whose first-relay
// mark takes counts it. Process B relays the event entirely while A is between its enqueue and
// its mark.
func TestRelayLagCountedOnceWhenTwoRelaysRace(t *testing.T) {
	forEachDB(t, func(t *testing.T, driver string, newDSN func() string) {
		ctx := context.Background()
		st := openStore(t, driver, newDSN())
		clk := clock.NewFake(time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC))
		q := newQueue(t, realRedis(t))
		newRelay := func() (*outbox.Outbox, *prometheus.Registry) {
			o, err := outbox.New("quiz", st.db, oneSubscriber, q, clk, outbox.Config{RedeliverAfter: time.Minute})
			if err != nil {
				t.Fatal(err)
			}
			reg := prometheus.NewRegistry()
			reg.MustRegister(outbox.NewRelay(o, log.NewStdLogger(testWriter{t})).Collectors()...)
			return o, reg
		}
		a, regA := newRelay()
		b, regB := newRelay()
		if err := st.db.InTx(ctx, func(ctx context.Context) error { return a.Add(ctx, graded(1)) }); err != nil {
			t.Fatal(err)
		}
		clk.Advance(2 * time.Second)
		raced := false
		outbox.ObserveRelayed(a, func(int64, int64) {
			if !raced {
				raced = true
				if n, err := b.Drain(ctx); err != nil || n != 1 {
					t.Errorf("B's drain in the race = %d, %v; want the delivery relayed", n, err)
				}
			}
		})
		if n, err := a.Drain(ctx); err != nil || n != 1 {
			t.Fatalf("A's drain = %d, %v; want the delivery it read relayed", n, err)
		}
		if !raced {
			t.Fatal("A relayed nothing, so B never raced it")
		}
		count := func(reg *prometheus.Registry) uint64 {
			m := series(t, reg, "vanguard_outbox_relay_lag_seconds", map[string]string{"producer": "quiz"})
			if m == nil {
				t.Fatal("vanguard_outbox_relay_lag_seconds missing from the scrape")
			}
			return m.GetHistogram().GetSampleCount()
		}
		if na, nb := count(regA), count(regB); na+nb != 1 || nb != 1 {
			t.Fatalf("lag observations: A %d, B %d; want the one delivery counted once, by B whose mark took", na, nb)
		}
		if s, err := a.Stats(ctx); err != nil || s.Unrelayed != 0 {
			t.Fatalf("after the race: %+v, %v; want the delivery relayed", s, err)
		}
	})
}

// Every producer's relay registers in one registry (the standalone process runs four), each
// labelled with its producer; an outbox whose database is gone leaves its gauges out of the
// scrape instead of failing it or reporting 0.
func TestRelayMetricsPerProducer(t *testing.T) {
	ctx := context.Background()
	reg := prometheus.NewRegistry()
	q := newQueue(t, miniRedis(t))
	stores := map[string]*store{}
	for _, producer := range []string{"quiz", "course"} {
		st := openStore(t, "sqlite", testdb.SQLite(t))
		stores[producer] = st
		o, err := outbox.New(producer, st.db, oneSubscriber, q, clock.Real{}, outbox.Config{})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range outbox.NewRelay(o, log.NewStdLogger(testWriter{t})).Collectors() {
			if err := reg.Register(c); err != nil {
				t.Fatalf("%s: %v", producer, err)
			}
		}
		if producer == "course" {
			if err := st.db.InTx(ctx, func(ctx context.Context) error { return o.Add(ctx, graded(1)) }); err != nil {
				t.Fatal(err)
			}
		}
	}
	for producer, want := range map[string]float64{"quiz": 0, "course": 1} {
		m := series(t, reg, "vanguard_outbox_pending", map[string]string{"producer": producer})
		if m == nil || m.GetGauge().GetValue() != want {
			t.Fatalf("vanguard_outbox_pending{producer=%q} = %v, want %v", producer, m, want)
		}
		if series(t, reg, "vanguard_outbox_relay_lag_seconds", map[string]string{"producer": producer}) == nil {
			t.Fatalf("no relay lag histogram for %s", producer)
		}
	}
	stores["course"].client.Close()
	if m := series(t, reg, "vanguard_outbox_pending", map[string]string{"producer": "course"}); m != nil {
		t.Fatalf("course's database is closed, yet its pending gauge says %v", m.GetGauge().GetValue())
	}
	if m := series(t, reg, "vanguard_outbox_pending", map[string]string{"producer": "quiz"}); m == nil {
		t.Fatal("one outbox's failure took the other's gauge out of the scrape")
	}
}

// BenchmarkPending is the cost of one scrape's backlog query (Outbox.Pending) on an outbox
// holding a week of traffic: 50,000 events delivered and acknowledged (kept for Retention) and
// 10 pending, on SQLite and PostgreSQL (vacuumed and analysed as autovacuum leaves it; set
// PENDING_BENCH_NO_VACUUM=1 for the moment right after the bulk load).
func BenchmarkPending(b *testing.B) {
	for _, driver := range []string{"sqlite", "postgres"} {
		b.Run(driver, func(b *testing.B) {
			ctx := context.Background()
			dsn := testdb.SQLite(b)
			if driver == "postgres" {
				dsn = testdb.Postgres(b)
			}
			st := openStore(b, driver, dsn)
			o, err := outbox.New("quiz", st.db, oneSubscriber, newQueue(b, miniRedis(b)), clock.Real{}, outbox.Config{})
			if err != nil {
				b.Fatal(err)
			}
			const delivered, pending = 50_000, 10
			for i := 0; i < delivered; i += 500 {
				msgs := make([]proto.Message, 0, 500)
				for j := range 500 {
					msgs = append(msgs, graded(int64(i+j)))
				}
				if err := o.Add(ctx, msgs...); err != nil {
					b.Fatal(err)
				}
			}
			// Delivered and acknowledged, as the relay and the subscriber leave them.
			for _, q := range []string{
				"UPDATE outbox_events SET fanned_out_ms = created_ms",
				"INSERT INTO outbox_deliveries (event_id, subscriber, relays, relayed_ms, acked_ms) SELECT id, 'suba', 1, created_ms, created_ms FROM outbox_events",
			} {
				if _, err := st.db.Conn(ctx).ExecContext(ctx, q); err != nil {
					b.Fatal(err)
				}
			}
			for i := range pending {
				if err := o.Add(ctx, graded(int64(delivered+i))); err != nil {
					b.Fatal(err)
				}
			}
			if driver == "postgres" && os.Getenv("PENDING_BENCH_NO_VACUUM") == "" {
				// The steady state: autovacuum has cleared the dead index entries the bulk UPDATE
				// left (the relay's own updates are small batches) and the statistics are fresh.
				if _, err := st.db.Conn(ctx).ExecContext(ctx, "VACUUM ANALYZE"); err != nil {
					b.Fatal(err)
				}
			}
			for b.Loop() {
				n, _, err := o.Pending(ctx)
				if err != nil || n != pending {
					b.Fatalf("Pending = %d, %v; want %d", n, err, pending)
				}
			}
		})
	}
}
