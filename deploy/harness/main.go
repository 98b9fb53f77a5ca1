// Command harness runs the distributed Vanguard on this machine — every service its own process
// on a private PostgreSQL, Redis and MinIO, behind bin/gateway (deploy/harness/cluster) — and
// drives it the way clients do (deploy/harness/workload). It prints markdown tables.
//
//	go run ./deploy/harness bench [-members 5000] [-window 60s]   # make bench-distributed
//	go run ./deploy/harness chaos [-members 500] [-window 30s]    # make chaos
//
// bench measures the physical baselines first (deploy/harness/baseline: single-row INSERTs per
// second on the private PostgreSQL, Asynq no-op tasks per second on the private Redis, a bare
// net/http handler on loopback), then the exam-end storm, heartbeat ingest, search while
// indexing and the nightly growth compile, each figure beside its baseline with the ratio, and
// the CPU seconds each process group used during it.
//
// chaos injects faults while the storm runs — a quiz worker SIGKILLed every 5 s, Redis restarted
// (losing every queued task), PostgreSQL restarted, search stopped while courses are published —
// and after each counts lost submissions, duplicate grades, lost and duplicated credits from the
// databases, checks the search index caught up, and says how long recovery took. It exits
// non-zero when any of those counts is not 0, or recovery did not finish in its bound.
//
// Flags: -members, -window, -keep (keep the cluster's directory: data and logs), -v (progress
// of the cluster and the workloads on stderr; otherwise it goes to <dir>/harness.log), -timeout,
// -quiz-workers, and for bench -heartbeats and -search (durations). Ctrl-C stops everything: no process is left behind.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/vanguard/vanguard/deploy/harness/cluster"
	"github.com/vanguard/vanguard/deploy/harness/workload"
)

// config is the command line.
type config struct {
	mode        string
	members     int
	window      time.Duration
	keep        bool
	verbose     bool
	timeout     time.Duration
	quizWorkers int
	heartbeats  time.Duration
	search      time.Duration
	searchers   int
}

func main() {
	if len(os.Args) < 2 || (os.Args[1] != "bench" && os.Args[1] != "chaos") {
		fmt.Fprintln(os.Stderr, "usage: harness bench|chaos [-members N] [-window D] [-keep] [-v] [-timeout D] [-quiz-workers N]")
		os.Exit(2)
	}
	cfg := config{mode: os.Args[1]}
	fs := flag.NewFlagSet(cfg.mode, flag.ExitOnError)
	members, window, timeout := 5000, 60*time.Second, 60*time.Minute
	if cfg.mode == "chaos" {
		members, window, timeout = 500, 30*time.Second, 15*time.Minute
	}
	fs.IntVar(&cfg.members, "members", members, "members in the storm (each starts, answers and submits the exam)")
	fs.DurationVar(&cfg.window, "window", window, "the submits are spread evenly over this window")
	fs.BoolVar(&cfg.keep, "keep", false, "keep the cluster's directory (data, logs/<proc>.log) for inspection")
	fs.BoolVar(&cfg.verbose, "v", false, "print the cluster's and the workloads' progress on stderr")
	fs.DurationVar(&cfg.timeout, "timeout", timeout, "bound of the whole run, start-up included")
	fs.IntVar(&cfg.quizWorkers, "quiz-workers", 2, "quiz worker processes (grading)")
	fs.DurationVar(&cfg.heartbeats, "heartbeats", 90*time.Second, "bench: heartbeat ingest duration (the player sends one every 30 s, the first 30 s after opening the lesson)")
	fs.DurationVar(&cfg.search, "search", 20*time.Second, "bench: search while indexing duration")
	fs.IntVar(&cfg.searchers, "searchers", 8, "bench: members querying at once while indexing (each sends its next query when the last answered)")
	_ = fs.Parse(os.Args[2:])
	os.Exit(run(cfg))
}

// harness is one run: the cluster, the workloads' environment and the output.
type harness struct {
	cfg   config
	c     *cluster.Cluster
	env   *workload.Env
	root  context.Context // the whole run: its bound and Ctrl-C
	log   io.Writer       // progress: harness.log, and stderr with -v
	out   io.Writer       // the tables
	began time.Time
}

// say prints a step on stderr (always) and in the progress log.
func (h *harness) say(format string, args ...any) {
	line := fmt.Sprintf("[%6.1fs] ", time.Since(h.began).Seconds()) + fmt.Sprintf(format, args...) + "\n"
	if !h.cfg.verbose {
		fmt.Fprint(os.Stderr, line)
	}
	fmt.Fprint(h.log, line)
}

func run(cfg config) int {
	began := time.Now()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, cfg.timeout)
	defer cancel()

	dir, err := os.MkdirTemp("", "vanguard-harness-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "harness:", err)
		return 1
	}
	logFile, err := os.Create(filepath.Join(dir, "harness.log"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "harness:", err)
		return 1
	}
	defer logFile.Close()
	var logw io.Writer = &lockedWriter{w: logFile}
	if cfg.verbose {
		logw = &lockedWriter{w: io.MultiWriter(logFile, os.Stderr)}
	}
	h := &harness{cfg: cfg, root: ctx, log: logw, out: os.Stdout, began: began}
	h.say("%s: %d members, window %s, %d quiz workers, bound %s, %d CPUs; directory %s", cfg.mode, cfg.members, cfg.window, cfg.quizWorkers, cfg.timeout, runtime.NumCPU(), dir)

	opts := cluster.Options{Dir: dir, QuizWorkers: cfg.quizWorkers, Log: logw, Keep: cfg.keep}
	if cfg.mode == "chaos" {
		// Events whose tasks a Redis restart lost are re-sent after this (the configs' 2m would
		// dominate every recovery time; the relay sweeps every 30 s).
		opts.OutboxRedeliverAfter = 20 * time.Second
	}
	h.say("starting the cluster (build, initdb, redis, minio, migrations, %d processes)", 11+cfg.quizWorkers)
	c, err := cluster.Start(ctx, opts)
	if err != nil {
		fmt.Fprintf(os.Stderr, "harness: start the cluster: %v\n", err)
		if !cfg.keep {
			_ = os.RemoveAll(dir)
		}
		return 1
	}
	h.c = c
	defer func() {
		h.say("stopping the cluster")
		c.Close()
		h.say("done in %s", time.Since(began).Round(time.Second))
	}()
	h.say("cluster ready: gateway %s, postgres :%d, redis %s (logs in %s)", c.GatewayURL, c.PGPort, c.RedisAddr, filepath.Join(dir, "logs"))
	h.env = &workload.Env{BaseURL: c.GatewayURL, AdminUser: c.AdminUser, AdminPassword: c.AdminPassword, DB: c.DB, Log: logw, Searchers: cfg.searchers}

	var code int
	if cfg.mode == "bench" {
		code = h.bench(ctx)
	} else {
		code = h.chaos(ctx)
	}
	if code != 0 {
		fmt.Fprintf(os.Stderr, "harness: last progress lines (%s):\n%s\n", filepath.Join(dir, "harness.log"), tail(filepath.Join(dir, "harness.log"), 30))
		if !cfg.keep {
			fmt.Fprintln(os.Stderr, "harness: rerun with -keep to keep the processes' logs")
		}
	}
	if ctx.Err() != nil && code == 0 {
		code = 1
	}
	return code
}

// lockedWriter serialises writes from the workloads' and the cluster's goroutines.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// tail returns the last n lines of a file.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return "  " + strings.Join(lines, "\n  ")
}

// errString is err's text, or "".
func errString(err error) string {
	if err == nil {
		return ""
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "bound reached: " + err.Error()
	}
	return err.Error()
}
