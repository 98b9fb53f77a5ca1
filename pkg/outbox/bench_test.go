package outbox_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-kratos/kratos/v2/log"
	"github.com/hibiken/asynq"

	"github.com/vanguard/vanguard/pkg/clock"
	"github.com/vanguard/vanguard/pkg/outbox"
	"github.com/vanguard/vanguard/pkg/queue"
	"github.com/vanguard/vanguard/pkg/testdb"
)

// BenchmarkRelay writes events from 16 producer goroutines (one event per transaction, like
// graded attempts) on PostgreSQL, with the relay running and two
// subscribers applying and acknowledging them on real Redis. It reports the commit→enqueued lag
// (p50, p99), events relayed per second, and, measured in the same run on the same Redis, the
// rate of an Asynq no-op handler — the physical ceiling of any relay built on Asynq.
//
// Two shapes: "burst" writes 10,000 events as fast as the producers can; "storm" paces 2,000
// events at 200/s, the rate of the exam-end storm (2,000 submits in 10 s), where the lag must
// stay under a second.
func BenchmarkRelay(b *testing.B) {
	b.Run("burst", func(b *testing.B) { benchRelay(b, 10_000, 0) })
	b.Run("storm", func(b *testing.B) { benchRelay(b, 2_000, 200) })
}

// benchRelay writes events (at perSecond when positive, else as fast as possible).
func benchRelay(b *testing.B, events, perSecond int) {
	const producers = 16
	ctx := context.Background()
	redisOpt := realRedis(b)
	noop := noopRate(b, redisOpt, events)
	for b.Loop() {
		b.StopTimer()
		producer := openStore(b, "postgres", testdb.Postgres(b))
		a, c := openStore(b, "postgres", testdb.Postgres(b)), openStore(b, "postgres", testdb.Postgres(b))
		realRedis(b) // flush
		o, err := outbox.New("quiz", producer.db, twoSubscribers, newQueue(b, redisOpt), clock.Real{}, outbox.Config{})
		if err != nil {
			b.Fatal(err)
		}
		var mu sync.Mutex
		lags := make([]time.Duration, 0, 2*events)
		outbox.ObserveRelayed(o, func(_ int64, createdMS int64) {
			lag := time.Since(time.UnixMilli(createdMS))
			mu.Lock()
			lags = append(lags, lag)
			mu.Unlock()
		})
		relay := outbox.NewRelay(o, log.NewStdLogger(testWriter{b}))
		_ = relay.Start(ctx)
		rig := newSubscriberRig(b, redisOpt, map[string]*store{"suba": a, "subb": c}, outbox.LocalAcker(o), "quiz")
		rig.start(b)
		b.StartTimer()

		start := time.Now()
		var next atomic.Int64
		var wg sync.WaitGroup
		for range producers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := next.Add(1); i <= int64(events); i = next.Add(1) {
					if perSecond > 0 {
						// Event i is due at start + i/perSecond.
						time.Sleep(time.Until(start.Add(time.Duration(i) * time.Second / time.Duration(perSecond))))
					}
					if err := producer.db.InTx(ctx, func(ctx context.Context) error { return o.Add(ctx, graded(i)) }); err != nil {
						b.Error(err)
						return
					}
				}
			}()
		}
		wg.Wait()
		written := time.Since(start)
		for {
			mu.Lock()
			n := len(lags)
			mu.Unlock()
			if n >= 2*events {
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
		relayed := time.Since(start)
		waitFor(b, 2*time.Minute, "every delivery acknowledged", func() bool { s, _ := o.Stats(ctx); return s.Unacked == 0 })
		acked := time.Since(start)
		b.StopTimer()
		_ = relay.Stop(ctx)

		slices.Sort(lags)
		pct := func(p float64) time.Duration { return lags[int(p*float64(len(lags)-1))] }
		b.ReportMetric(float64(events)/written.Seconds(), "events_written/s")
		b.ReportMetric(float64(2*events)/relayed.Seconds(), "deliveries_relayed/s")
		b.ReportMetric(float64(2*events)/acked.Seconds(), "deliveries_acked/s")
		b.ReportMetric(float64(pct(0.5).Microseconds())/1000, "lag_p50_ms")
		b.ReportMetric(float64(pct(0.99).Microseconds())/1000, "lag_p99_ms")
		b.ReportMetric(noop, "asynq_noop_tasks/s")
		b.Logf("%d events by %d producers in %s; %d deliveries relayed by %s, acknowledged by %s; lag p50 %s p99 %s max %s; Asynq no-op %.0f tasks/s",
			events, producers, written.Round(time.Millisecond), 2*events, relayed.Round(time.Millisecond), acked.Round(time.Millisecond),
			pct(0.5).Round(time.Millisecond), pct(0.99).Round(time.Millisecond), lags[len(lags)-1].Round(time.Millisecond), noop)
		b.StartTimer()
	}
}

// noopRate enqueues n tasks and measures how fast a no-op handler with the subscribers'
// concurrency drains them, from the first enqueue to the last completion.
func noopRate(b *testing.B, opt asynq.RedisConnOpt, n int) float64 {
	b.Helper()
	realRedis(b) // flush
	q := newQueue(b, opt)
	var done atomic.Int64
	finished := make(chan struct{})
	srv, err := queue.NewServer(opt, queue.Config{Queues: map[string]int{"noop": 1}, Concurrency: 8, TaskCheckInterval: 10 * time.Millisecond}, log.NewStdLogger(testWriter{b}))
	if err != nil {
		b.Fatal(err)
	}
	srv.HandleFunc("noop:task", func(context.Context, *asynq.Task) error {
		if done.Add(1) == int64(n) {
			close(finished)
		}
		return nil
	})
	go func() { _ = srv.Start(context.Background()) }()
	defer srv.Stop(context.Background())
	start := time.Now()
	for i := range n {
		if err := q.Enqueue(context.Background(), asynq.NewTask("noop:task", nil), asynq.Queue("noop"), asynq.TaskID(fmt.Sprint("noop-", i))); err != nil {
			b.Fatal(err)
		}
	}
	<-finished
	return float64(n) / time.Since(start).Seconds()
}
