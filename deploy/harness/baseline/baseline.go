// Package baseline measures the physical ceilings the harness's scenarios are compared with,
// on the same machine, the same private PostgreSQL and Redis, in the same run: single-row
// autocommit INSERTs per second, Asynq no-op tasks per second through the project's own queue
// package (a real asynq.Server), and a bare net/http handler's requests per second on loopback.
// A scenario's figure divided by its baseline says how much of the machine's ceiling the
// product reaches; the rest is the product's own work.
package baseline

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-kratos/kratos/v2/log"
	"github.com/hibiken/asynq"
	_ "github.com/jackc/pgx/v5/stdlib" // driver "pgx"
	"github.com/redis/go-redis/v9"

	"github.com/vanguard/vanguard/deploy/harness/workload"
	"github.com/vanguard/vanguard/pkg/queue"
)

// Latency is a distribution's percentiles, as the workloads report theirs.
type Latency = workload.Latency

// Result is one baseline's figure.
type Result struct {
	// Name says what was measured ("INSERT TPS, 16 connections").
	Name string
	// Ops done in Duration; PerSecond = Ops / Duration.
	Ops       int
	Duration  time.Duration
	PerSecond float64
	// Latency of one operation (an INSERT, a request; for Asynq: enqueue to handler run).
	Latency Latency
}

func (r *Result) String() string {
	return fmt.Sprintf("%s: %d in %.1fs = %.0f/s, %s", r.Name, r.Ops, r.Duration.Seconds(), r.PerSecond, r.Latency)
}

// InsertTPS measures single-row autocommit INSERTs per second from conns concurrent connections
// for d, into a one-table database of its own it creates (and drops afterwards) through admin, a pool on
// the server's maintenance database; dsn gives the DSN of a database by name. Every INSERT is
// its own transaction, so with fsync on each commit waits for the WAL flush — the ceiling of
// any write a request makes.
func InsertTPS(ctx context.Context, admin *sql.DB, dsn func(db string) string, conns int, d time.Duration) (*Result, error) {
	name := fmt.Sprintf("harness_baseline_%d", time.Now().UnixNano())
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		return nil, fmt.Errorf("baseline: create database: %w", err)
	}
	defer func() {
		_, _ = admin.ExecContext(context.WithoutCancel(ctx), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	}()
	db, err := sql.Open("pgx", dsn(name))
	if err != nil {
		return nil, err
	}
	defer db.Close()
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	if _, err := db.ExecContext(ctx, `CREATE TABLE rows (
		id bigserial PRIMARY KEY,
		member_id bigint NOT NULL,
		payload text NOT NULL,
		created_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return nil, fmt.Errorf("baseline: create table: %w", err)
	}
	payload := fmt.Sprintf("%0100d", 0) // a 100-byte row, about an answer's size
	var rec workload.Recorder
	var ops atomic.Int64
	errs := make([]error, conns)
	runCtx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	began := time.Now()
	var wg sync.WaitGroup
	for w := range conns {
		wg.Go(func() {
			conn, err := db.Conn(ctx)
			if err != nil {
				errs[w] = err
				return
			}
			defer conn.Close()
			for i := int64(0); runCtx.Err() == nil; i++ {
				t0 := time.Now()
				// ctx, not runCtx: an INSERT under way when the time is up finishes and counts.
				if _, err := conn.ExecContext(ctx, "INSERT INTO rows (member_id, payload) VALUES ($1, $2)", int64(w)<<32|i, payload); err != nil {
					errs[w] = err
					return
				}
				rec.Add(time.Since(t0))
				ops.Add(1)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(began)
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("baseline: insert: %w", err)
	}
	var stored int64
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM rows").Scan(&stored); err != nil {
		return nil, err
	}
	if stored != ops.Load() {
		return nil, fmt.Errorf("baseline: %d INSERTs acknowledged but %d rows stored", ops.Load(), stored)
	}
	n := int(ops.Load())
	return &Result{Name: fmt.Sprintf("single-row INSERT, autocommit, fsync on, %d connections", conns),
		Ops: n, Duration: elapsed, PerSecond: float64(n) / elapsed.Seconds(), Latency: rec.Latency()}, nil
}

// AsynqNoop measures no-op tasks per second through a real Asynq server on Redis database db of
// addr: producers enqueue tasks for d the way the services do (pkg/queue's client, a task id
// per task) while a pkg/queue worker server with the services' default settings runs them; the
// figure is tasks run divided by the time from the first enqueue to the last run. At most
// backlog tasks wait at any time, so it measures the steady state, not the enqueue burst. The
// database is flushed before and after.
func AsynqNoop(ctx context.Context, addr string, db, producers, backlog int, d time.Duration) (*Result, error) {
	opt := asynq.RedisClientOpt{Addr: addr, DB: db}
	const qname, ttype = "baseline", "baseline:noop"
	if err := flushDB(ctx, opt); err != nil {
		return nil, fmt.Errorf("baseline: flush redis db %d: %w", db, err)
	}
	defer func() { _ = flushDB(context.WithoutCancel(ctx), opt) }()

	client, err := queue.NewClient(opt)
	if err != nil {
		return nil, err
	}
	defer client.Close()
	srv, err := queue.NewServer(opt, queue.Config{Queues: map[string]int{qname: 1}}, log.NewStdLogger(io.Discard))
	if err != nil {
		return nil, err
	}
	var rec workload.Recorder
	var done atomic.Int64
	var lastRun atomic.Int64 // unix nanos
	allDone := make(chan struct{})
	var finish sync.Once
	var enqueued atomic.Int64
	var producing atomic.Bool
	producing.Store(true)
	srv.HandleFunc(ttype, func(_ context.Context, t *asynq.Task) error {
		now := time.Now()
		if p := t.Payload(); len(p) == 8 {
			rec.Add(now.Sub(time.Unix(0, int64(binary.BigEndian.Uint64(p)))))
		}
		lastRun.Store(now.UnixNano())
		if n := done.Add(1); !producing.Load() && n == enqueued.Load() {
			finish.Do(func() { close(allDone) })
		}
		return nil
	})
	srvErr := make(chan error, 1)
	go func() { srvErr <- srv.Start(ctx) }()
	defer func() {
		stop, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
		defer cancel()
		_ = srv.Stop(stop)
	}()

	runCtx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	began := time.Now()
	errs := make([]error, producers)
	var wg sync.WaitGroup
	for p := range producers {
		wg.Go(func() {
			buf := make([]byte, 8)
			for i := 0; runCtx.Err() == nil; i++ {
				for enqueued.Load()-done.Load() >= int64(backlog) && runCtx.Err() == nil {
					time.Sleep(200 * time.Microsecond)
				}
				if runCtx.Err() != nil {
					return
				}
				binary.BigEndian.PutUint64(buf, uint64(time.Now().UnixNano()))
				task := asynq.NewTask(ttype, slices.Clone(buf))
				id := queue.TaskID(ttype, int64(p)<<32|int64(i))
				if err := client.Enqueue(ctx, task, asynq.Queue(qname), asynq.TaskID(id)); err != nil {
					errs[p] = err
					return
				}
				enqueued.Add(1)
			}
		})
	}
	wg.Wait()
	producing.Store(false)
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("baseline: enqueue: %w", err)
	}
	if done.Load() == enqueued.Load() {
		finish.Do(func() { close(allDone) })
	}
	select {
	case <-allDone:
	case err := <-srvErr:
		return nil, fmt.Errorf("baseline: asynq server stopped: %v", err)
	case <-time.After(2 * time.Minute):
		return nil, fmt.Errorf("baseline: %d of %d no-op tasks ran within 2 minutes after enqueuing", done.Load(), enqueued.Load())
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	elapsed := time.Unix(0, lastRun.Load()).Sub(began)
	n := int(done.Load())
	return &Result{Name: fmt.Sprintf("Asynq no-op task, enqueue→run, %d producers, pkg/queue defaults", producers),
		Ops: n, Duration: elapsed, PerSecond: float64(n) / elapsed.Seconds(), Latency: rec.Latency()}, nil
}

// flushDB empties the Redis database of opt.
func flushDB(ctx context.Context, opt asynq.RedisClientOpt) error {
	rc := redis.NewClient(&redis.Options{Addr: opt.Addr, DB: opt.DB})
	defer rc.Close()
	return rc.FlushDB(ctx).Err()
}

// BareHTTP measures requests per second of a handler that only answers 200 with a small JSON
// body, on a loopback net/http server in this process, driven by client (pass the workloads'
// client) from concurrency goroutines for d.
func BareHTTP(ctx context.Context, client *http.Client, concurrency int, d time.Duration) (*Result, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"ok"}`))
	}), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(l) }()
	defer srv.Close()
	url := "http://" + l.Addr().String() + "/v1/bare"
	var rec workload.Recorder
	var ops atomic.Int64
	errs := make([]error, concurrency)
	runCtx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	began := time.Now()
	var wg sync.WaitGroup
	for w := range concurrency {
		wg.Go(func() {
			for runCtx.Err() == nil {
				t0 := time.Now()
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
				res, err := client.Do(req)
				if err != nil {
					errs[w] = err
					return
				}
				_, _ = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != http.StatusOK {
					errs[w] = fmt.Errorf("GET %s: %s", url, res.Status)
					return
				}
				rec.Add(time.Since(t0))
				ops.Add(1)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(began)
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("baseline: bare http: %w", err)
	}
	n := int(ops.Load())
	return &Result{Name: fmt.Sprintf("bare net/http handler on loopback, %d concurrent clients", concurrency),
		Ops: n, Duration: elapsed, PerSecond: float64(n) / elapsed.Seconds(), Latency: rec.Latency()}, nil
}
