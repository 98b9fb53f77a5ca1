package main

import (
	"context"
	"database/sql"
	"fmt"
	"runtime"
	"time"

	"github.com/vanguard/vanguard/deploy/harness/baseline"
	"github.com/vanguard/vanguard/deploy/harness/workload"
)

// Baseline settings: every baseline runs this long; the INSERTs come from insertConns
// connections, the bare handler from httpClients clients, the no-op tasks from asynqProducers
// producers with at most asynqBacklog waiting, on Redis database asynqDB (the services use 0).
const (
	baselineRun    = 5 * time.Second
	insertConns    = 16
	httpClients    = 32
	asynqProducers = 4
	asynqBacklog   = 64
	asynqDB        = 15
)

// baselines are the physical ceilings measured in this run.
type baselines struct {
	insert, asynq, http *baseline.Result
}

// measureBaselines runs the three baselines on the cluster's PostgreSQL and Redis, each row with
// the CPU it used.
func (h *harness) measureBaselines(ctx context.Context) (*baselines, []row, error) {
	var b baselines
	var rows []row
	admin, err := sql.Open("pgx", h.c.DSN("postgres"))
	if err != nil {
		return nil, nil, err
	}
	defer admin.Close()

	h.say("baseline: single-row INSERTs for %s", baselineRun)
	s := h.snap()
	if b.insert, err = baseline.InsertTPS(ctx, admin, h.c.DSN, insertConns, baselineRun); err != nil {
		return nil, nil, err
	}
	u := h.since(s)
	h.say("baseline: %s", b.insert)
	r := row{scenario: "baseline", figure: b.insert.Name, value: fmt.Sprintf("%.0f INSERT/s", b.insert.PerSecond), use: u}
	rows = append(rows, r, row{scenario: "baseline", figure: "INSERT latency", value: lat(b.insert.Latency)})

	h.say("baseline: Asynq no-op tasks for %s", baselineRun)
	s = h.snap()
	if b.asynq, err = baseline.AsynqNoop(ctx, h.c.RedisAddr, asynqDB, asynqProducers, asynqBacklog, baselineRun); err != nil {
		return nil, nil, err
	}
	u = h.since(s)
	h.say("baseline: %s", b.asynq)
	rows = append(rows, row{scenario: "baseline", figure: b.asynq.Name, value: fmt.Sprintf("%.0f tasks/s", b.asynq.PerSecond), use: u},
		row{scenario: "baseline", figure: "no-op task enqueue→run", value: lat(b.asynq.Latency)})

	h.say("baseline: bare net/http handler for %s", baselineRun)
	s = h.snap()
	if b.http, err = baseline.BareHTTP(ctx, workload.HTTPClient(), httpClients, baselineRun); err != nil {
		return nil, nil, err
	}
	u = h.since(s)
	h.say("baseline: %s", b.http)
	rows = append(rows, row{scenario: "baseline", figure: b.http.Name, value: fmt.Sprintf("%.0f req/s", b.http.PerSecond), use: u},
		row{scenario: "baseline", figure: "bare request latency", value: lat(b.http.Latency)})
	return &b, rows, nil
}

func lat(l baseline.Latency) string {
	return fmt.Sprintf("p50 %s · p95 %s · p99 %s", ms(l.P50), ms(l.P95), ms(l.P99))
}

// bench runs the baselines and the four scenarios and prints the table.
func (h *harness) bench(ctx context.Context) int {
	b, rows, err := h.measureBaselines(ctx)
	if err != nil {
		h.say("baselines failed: %v", err)
		return 1
	}
	failed := false
	fail := func(what string, err error) {
		failed = true
		h.say("%s failed: %v", what, err)
		rows = append(rows, row{scenario: what, figure: "FAILED", value: errString(err)})
	}

	h.say("seed: %d members (import, sign-in), an exam, a course", h.cfg.members)
	s := h.snap()
	f, err := workload.Seed(ctx, h.env, h.cfg.members)
	if err != nil {
		fail("seed", err)
		printBench(h.out, rows)
		return 1
	}
	u := h.since(s)
	rows = append(rows, row{scenario: "seed", figure: "members imported and signed in", value: fmt.Sprintf("%d in %.0fs (%.1f/s)", len(f.Members), u.wall.Seconds(), float64(len(f.Members))/u.wall.Seconds()), use: u})

	h.say("storm: %d submits over %s", len(f.Members), h.cfg.window)
	s = h.snap()
	st, err := workload.Storm(ctx, h.env, f, h.cfg.window)
	u = h.since(s)
	if err != nil {
		fail("storm", err)
	}
	if st != nil {
		name := fmt.Sprintf("exam-end storm (%d submits / %s)", st.Members, st.Window)
		h.say("storm: %d acknowledged of %d sent, %.1f/s, latency %s, graded %d (all %v), drain %s, grading lag %s, errors %v",
			st.Submitted, st.Sent, st.SubmitRate, st.Latency, st.Graded, st.AllGraded, st.Drain.Round(time.Millisecond), st.GradingLag, st.Errors)
		r := throughput(name, "submits acknowledged/s (offered "+fmt.Sprintf("%.0f/s", float64(st.Members)/st.Window.Seconds())+")", st.SubmitRate, "/s", b.http, "bare HTTP")
		r.use = u
		rows = append(rows, r,
			latency(name, "submit latency", st.Latency, b.http, "bare HTTP"),
			latency(name, "grading lag (graded_at − submitted_at)", st.GradingLag, b.asynq, "no-op task"),
			row{scenario: name, figure: "grading drain (last ack → last grade)", value: st.Drain.Round(time.Millisecond).String()},
			row{scenario: name, figure: "prepare (start + answer, before the window)", value: fmt.Sprintf("%d requests in %s", st.PrepareRequests, st.Prepare.Round(time.Second))},
			row{scenario: name, figure: "sent / acknowledged / failed / retries", value: fmt.Sprintf("%d / %d / %d / %d %s", st.Sent, st.Submitted, st.Failed, st.Retries, workload.FormatCounts(st.Errors))})
		if span := st.SendSpan + st.Drain; span > 0 && st.Graded > 0 {
			rows = append(rows, throughput(name, "graded/s (first send → last grade)", float64(st.Graded)/span.Seconds(), "/s", b.asynq, "no-op tasks"))
		}
	}

	h.say("heartbeats: %s", h.cfg.heartbeats)
	s = h.snap()
	hb, err := workload.Heartbeats(ctx, h.env, f, h.cfg.heartbeats)
	u = h.since(s)
	if err != nil {
		fail("heartbeats", err)
	}
	if hb != nil {
		name := fmt.Sprintf("heartbeat ingest (%d members, one per %ds each, %s)", hb.Members, hb.IntervalSeconds, hb.Duration)
		h.say("heartbeats: %d sent, %d accepted, %.1f/s, latency %s, refused %v, errors %v", hb.Sent, hb.Accepted, hb.PerSecond, hb.Latency, hb.Refused, hb.Errors)
		r := throughput(name, "heartbeats accepted/s", hb.PerSecond, "/s", b.insert, "INSERT")
		r.use = u
		rows = append(rows, r)
		if iv := time.Duration(hb.IntervalSeconds) * time.Second; hb.Duration > iv && iv > 0 {
			// Each member's first heartbeat comes an interval after opening the lesson: the
			// steady rate is over the rest of the run.
			rows = append(rows, throughput(name, "heartbeats accepted/s after the first interval", float64(hb.Accepted)/(hb.Duration-iv).Seconds(), "/s", b.insert, "INSERT"))
		}
		rows = append(rows,
			throughput(name, "heartbeats sent/s", hb.SentPerSecond, "/s", b.http, "bare HTTP"),
			latency(name, "heartbeat latency", hb.Latency, b.http, "bare HTTP"),
			row{scenario: name, figure: "sent / accepted / refused / errors", value: fmt.Sprintf("%d / %d / %s / %s", hb.Sent, hb.Accepted, workload.FormatCounts(hb.Refused), workload.FormatCounts(hb.Errors))})
	}

	h.say("search while indexing: %s", h.cfg.search)
	s = h.snap()
	sr, err := workload.SearchWhileIndexing(ctx, h.env, f, h.cfg.search)
	u = h.since(s)
	if err != nil {
		fail("search", err)
	}
	if sr != nil {
		name := fmt.Sprintf("search while indexing (%d searchers, %s)", sr.Searchers, sr.Duration)
		h.say("search: %d queries, %.1f/s, latency %s, %d published %d updated, found %d not found %d, lag %s, errors %v / %v",
			sr.Queries, sr.QueriesPerSecond, sr.QueryLatency, sr.Published, sr.Updated, sr.Found, sr.NotFound, sr.IndexLag, sr.QueryErrors, sr.ChangeErrors)
		r := throughput(name, "queries/s", sr.QueriesPerSecond, "/s", b.http, "bare HTTP")
		r.use = u
		rows = append(rows, r,
			latency(name, "query latency", sr.QueryLatency, b.http, "bare HTTP"),
			latency(name, "change → written to the index (search's database, each course's last change)", sr.WriteLag, b.asynq, "no-op task"),
			latency(name, "change → found by a member's search (polled)", sr.IndexLag, b.asynq, "no-op task"),
			row{scenario: name, figure: "published / updated / found / not found", value: fmt.Sprintf("%d / %d / %d / %d", sr.Published, sr.Updated, sr.Found, sr.NotFound)},
			row{scenario: name, figure: "lag resolution (one poller, queries)", value: fmt.Sprintf("%s (%d queries)", sr.LagResolution.Round(time.Millisecond), sr.LagQueries)})
	}

	h.say("nightly growth compile")
	s = h.snap()
	gr, err := workload.NightlyGrowth(ctx, h.env, f)
	u = h.since(s)
	if err != nil {
		fail("growth", err)
	}
	if gr != nil {
		name := fmt.Sprintf("nightly growth compile (%s)", gr.Method)
		h.say("growth: %s, %d of %d compiled (%d marked) in %s, %.1f members/s, claim wait %s, errors %v",
			gr.Method, gr.Compiled, gr.Members, gr.Marked, gr.Wall.Round(time.Millisecond), gr.MembersPerSecond, gr.ClaimWait.Round(time.Millisecond), gr.Errors)
		r := throughput(name, "member files compiled/s", gr.MembersPerSecond, "/s", b.asynq, "no-op tasks")
		r.use = u
		rows = append(rows, r,
			row{scenario: name, figure: "compiled / members / marked, wall", value: fmt.Sprintf("%d / %d / %d in %s", gr.Compiled, gr.Members, gr.Marked, gr.Wall.Round(time.Millisecond))})
	}

	h.say("check: lost and duplicated submissions, grades and credits")
	s = h.snap()
	cnt, err := workload.Check(ctx, h.env, f)
	u = h.since(s)
	if err != nil {
		fail("check", err)
	} else {
		rows = append(rows, row{scenario: "correctness (Check)", figure: "submitted / lost / duplicate grades / credits lost / credits duplicated",
			value: fmt.Sprintf("%d / %d / %d / %d / %d (settled %v)", cnt.Submitted, cnt.Lost, cnt.DuplicateGrades, cnt.CreditsLost, cnt.CreditsDuplicated, cnt.Settled), use: u})
		if cnt.Lost != 0 || cnt.DuplicateGrades != 0 || cnt.CreditsLost != 0 || cnt.CreditsDuplicated != 0 {
			failed = true
		}
	}

	fmt.Fprintf(h.out, "\n## make bench-distributed — %d members, window %s, %d quiz workers, %d CPUs, %s\n\n",
		h.cfg.members, h.cfg.window, h.cfg.quizWorkers, runtime.NumCPU(), time.Now().Format(time.RFC3339))
	printBench(h.out, rows)
	fmt.Fprintf(h.out, "\nRatio = figure ÷ its baseline (throughput: the share of the ceiling reached; latency: times slower). "+
		"Baselines ran in this run on the same private PostgreSQL (fsync on) and Redis, %s each.\n", baselineRun)
	fmt.Fprintf(h.out, "Note: the %d quiz worker processes share this machine's %d cores with every other process (API, gateway, PostgreSQL, "+
		"Redis and the load generator itself): the grading figures show contention, not scaling — a second worker adds no CPU.\n",
		h.cfg.quizWorkers, runtime.NumCPU())
	fmt.Fprintf(h.out, "CPU s by group, over the scenario's whole wall time (the storm's includes starting and answering every attempt before the window, and the grading drain): "+
		"api = every API process (org-api and search-api run role all), workers = every worker process, harness = this load generator. "+
		"Whole run: %s wall.\n", time.Since(h.began).Round(time.Second))
	if failed {
		return 1
	}
	return 0
}
