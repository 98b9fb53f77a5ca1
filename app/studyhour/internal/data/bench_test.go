package data

// Benchmarks of studyhour's crediting on its real store (run with `make bench`; figures only, no
// timing is asserted):
//
//   - HeartbeatIngest: 20,000 members each with an open session on PostgreSQL (set up outside the
//     timer), then one heartbeat per session — the 30-second tick of 20,000 concurrent players —
//     through the biz use case and its transaction (member lock, session, progress, ledger entry,
//     month sum), from 32 goroutines; reported as heartbeats/s and p99, beside the physical
//     baseline of the same run: single-row INSERTs per second into a scratch table of the same
//     database from as many goroutines through a pool of the same size.
//   - VerifyLedger: one member's chain of 5,000 entries verified (read, hashes, anchor).
//
// The HTTP layer (routing, token check, JSON) is not in these figures; the standalone benchmarks
// measure that layer for the other services.

import (
	"context"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vanguard/vanguard/app/studyhour/internal/biz"
	"github.com/vanguard/vanguard/pkg/clock"
	"github.com/vanguard/vanguard/pkg/dbx"
	"github.com/vanguard/vanguard/pkg/testdb"
)

const benchWorkers = 32

func benchSessions() int {
	if n, err := strconv.Atoi(os.Getenv("VANGUARD_BENCH_SESSIONS")); err == nil && n > 0 {
		return n
	}
	return 20_000
}

// parallelDo runs f(0..n-1) on workers goroutines.
func parallelDo(n, workers int, f func(i int) error) error {
	var next atomic.Int64
	var first error
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				if err := f(i); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	return first
}

func BenchmarkHeartbeatIngest(b *testing.B) {
	dsn := testdb.Postgres(b)
	d := open(b, "postgres", dsn)
	clk := clock.NewFake(time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC))
	uc, _ := newStudy(b, d, clk, biz.Config{})
	n := benchSessions()
	sessions := make([]int64, n)
	t0 := time.Now()
	if err := parallelDo(n, benchWorkers, func(i int) error {
		s, _, err := uc.Start(member(int64(i+1)), 1)
		if err == nil {
			sessions[i] = s.ID
		}
		return err
	}); err != nil {
		b.Fatal(err)
	}
	b.Logf("setup: %d sessions started in %v", n, time.Since(t0).Round(time.Millisecond))
	clk.Advance(30 * time.Second)
	for it := range b.N {
		lat := make([]time.Duration, n)
		var credited atomic.Int64
		b.StartTimer()
		t := time.Now()
		err := parallelDo(n, benchWorkers, func(i int) error {
			s := time.Now()
			r, err := uc.Heartbeat(member(int64(i+1)), biz.Beat{SessionID: sessions[i], Seq: int64(it + 1), Position: float64(30 * (it + 1)), Rate: 1, Visible: true})
			lat[i] = time.Since(s)
			if err == nil && r.Credit > 0 {
				credited.Add(1)
			}
			return err
		})
		elapsed := time.Since(t)
		b.StopTimer()
		if err != nil {
			b.Fatal(err)
		}
		if credited.Load() != int64(n) {
			b.Fatalf("%d of %d heartbeats credited", credited.Load(), n)
		}
		slices.Sort(lat)
		rate := float64(n) / elapsed.Seconds()
		inserts := insertBaseline(b, dsn, n)
		b.ReportMetric(rate, "heartbeats/s")
		b.ReportMetric(float64(lat[n*99/100].Microseconds())/1000, "p99-ms")
		b.ReportMetric(inserts, "inserts/s")
		b.ReportMetric(rate/inserts, "ratio")
		clk.Advance(30 * time.Second)
	}
}

// insertBaseline times n single-row INSERTs (autocommit) into a scratch table of the same
// database from benchWorkers goroutines over a pool of the service's size.
func insertBaseline(b *testing.B, dsn string, n int) float64 {
	db, _, err := dbx.Open("postgres", dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS bench_inserts (id bigserial PRIMARY KEY, member_id bigint, at bigint)`); err != nil {
		b.Fatal(err)
	}
	t := time.Now()
	if err := parallelDo(n, benchWorkers, func(i int) error {
		_, err := db.ExecContext(ctx, `INSERT INTO bench_inserts (member_id, at) VALUES ($1, $2)`, i, time.Now().UnixNano())
		return err
	}); err != nil {
		b.Fatal(err)
	}
	return float64(n) / time.Since(t).Seconds()
}

func BenchmarkVerifyLedger(b *testing.B) {
	for _, db := range []string{"sqlite", "postgres"} {
		b.Run(db, func(b *testing.B) {
			dsn := testdb.SQLite(b)
			if db == "postgres" {
				dsn = testdb.Postgres(b)
			}
			d := open(b, db, dsn)
			clk := clock.NewFake(time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC))
			uc, _ := newStudy(b, d, clk, biz.Config{})
			const entries = 5_000
			passed := true
			if err := d.InTx(context.Background(), func(ctx context.Context) error {
				for i := range entries {
					if err := uc.ApplyGraded(ctx, biz.Graded{AttemptID: int64(i + 1), ExamID: int64(i + 1), MemberID: 7, Passed: &passed,
						GradedAt: clk.Now(), CreditSeconds: 60}); err != nil {
						return err
					}
				}
				return nil
			}); err != nil {
				b.Fatal(err)
			}
			ctx := member(7)
			b.ResetTimer()
			for range b.N {
				v, err := uc.Verify(ctx, 7)
				if err != nil || v.Broken != nil || v.Entries != entries {
					b.Fatalf("verify: %+v %v", v, err)
				}
			}
			b.ReportMetric(float64(entries), "entries")
		})
	}
}

// BenchmarkOrgReport: the report of an org of 10,000 members in 50 branches over a ledger of
// 1,000,000 entries (100 per member, spread over the year's months and four sources) on
// PostgreSQL, seeded in SQL outside the timer (ledger, month sums and chain heads as the service
// writes them). It times the use case after org answered: the
// listing of the subtree's accounts and orgs comes from an in-memory directory here (org's own
// benchmarks measure its listing). Beside it, the physical baseline of the same run: one GROUP BY of
// the year's month rows per member, timed outside the report's timer.
func BenchmarkOrgReport(b *testing.B) {
	dsn := testdb.Postgres(b)
	d := open(b, "postgres", dsn)
	clk := clock.NewFake(time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC))
	const members, branches, perMember = 10_000, 50, 100
	orgs := tree{{ID: 1, Name: "市委", Path: "/1/"}}
	for i := range branches {
		id := int64(i + 2)
		orgs = append(orgs, biz.Org{ID: id, Name: "支部" + strconv.Itoa(i+1), Path: "/1/" + strconv.FormatInt(id, 10) + "/", Branch: true})
	}
	dir := make(people, members)
	for i := range dir {
		o := orgs[1+i%branches]
		dir[i] = biz.Person{ID: int64(i + 1), Name: "党员" + strconv.Itoa(i+1), OrgID: o.ID, OrgPath: o.Path, Staff: i%20 == 0}
	}
	uc, _ := newStudyOf(b, d, clk, biz.Config{}, dir)
	db, _, err := dbx.Open("postgres", dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	t0 := time.Now()
	for _, q := range []string{
		`INSERT INTO ledger_entries (member_id, seq, source, seconds, day, ref, approved_by, recorded_us, hash)
		 SELECT m, s, (ARRAY['lesson','exam','meeting','offline'])[1 + s % 4], 1200 + (m * s) % 1800,
		        to_char(DATE '2026-01-01' + ((s * 3) % 334), 'YYYY-MM-DD'), 'bench:' || s, 0, 0, '\x00'
		 FROM generate_series(1, ` + strconv.Itoa(members) + `) m, generate_series(1, ` + strconv.Itoa(perMember) + `) s`,
		`INSERT INTO hours_months (member_id, year, month, source, seconds)
		 SELECT member_id, 2026, CAST(substr(day, 6, 2) AS int), source, sum(seconds) FROM ledger_entries
		 GROUP BY member_id, CAST(substr(day, 6, 2) AS int), source`,
		`INSERT INTO member_states (member_id, head_seq, active_session_id, day, day_credited_ms, year, year_seconds)
		 SELECT member_id, max(seq), 0, '', 0, 2026, sum(seconds) FROM ledger_entries GROUP BY member_id`,
		`INSERT INTO refusal_counts (member_id, reason, count, last_at) SELECT m, 'parallel', m % 7, now() FROM generate_series(1, ` + strconv.Itoa(members) + `) m`,
		`ANALYZE`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("setup: %d ledger entries in %v", members*perMember, time.Since(t0).Round(time.Millisecond))
	rules := biz.NewRules(uc, orgs)
	staff := staffOf("/1/")
	if _, err := rules.Set(staff, 2, biz.RuleTargetMember, 40*3600); err != nil {
		b.Fatal(err)
	}
	var lat, scan []time.Duration
	b.ResetTimer()
	for range b.N {
		t := time.Now()
		r, err := rules.Report(staff, 1, 2026)
		lat = append(lat, time.Since(t))
		if err != nil || r.Members != members || len(r.Units) != branches {
			b.Fatalf("report: %v", err)
		}
		// The physical baseline of the same run: the database alone summing the year's month
		// rows per member (what the report did before the chain heads kept the year's credit).
		b.StopTimer()
		t = time.Now()
		rows, err := db.QueryContext(ctx, `SELECT member_id, sum(seconds) FROM hours_months WHERE year = 2026 GROUP BY member_id`)
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for rows.Next() {
			n++
		}
		rows.Close()
		scan = append(scan, time.Since(t))
		if n != members {
			b.Fatalf("scan: %d members", n)
		}
		b.StartTimer()
	}
	b.StopTimer()
	slices.Sort(lat)
	slices.Sort(scan)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*95/100].Microseconds())/1000, "p95-ms")
	b.ReportMetric(float64(scan[len(scan)/2].Microseconds())/1000, "month-scan-p50-ms")
	b.ReportMetric(members, "members")
}
