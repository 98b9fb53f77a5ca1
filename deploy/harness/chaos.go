package main

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/hibiken/asynq"

	"github.com/vanguard/vanguard/deploy/harness/workload"
)

// chaosResult is one fault scenario's outcome.
type chaosResult struct {
	name   string
	faults string // what was injected, when
	storm  *workload.StormResult
	counts *workload.Counts
	// backlog: from the (last) fault to quiz's database holding no ungraded attempt submitted
	// before the fault or more than 2 s ago (the work the fault stranded is done); for search,
	// from its restart to the index finding what was published while it was down.
	backlog time.Duration
	// settled: from the (last) fault to Check finding nothing in flight (every acknowledged
	// submit graded, every expected credit found) once the scenario's workloads ended.
	settled time.Duration
	caught  time.Duration // CaughtUp after the scenario: publish → searchable
	use     *usage

	mu   sync.Mutex
	errs []error
}

// fail records what went wrong (safe from several goroutines).
func (r *chaosResult) fail(err error) {
	if err != nil {
		r.mu.Lock()
		r.errs = append(r.errs, err)
		r.mu.Unlock()
	}
}

// ok reports whether the scenario passed: it ran, nothing was lost or duplicated, and it settled.
func (r *chaosResult) ok() bool {
	if len(r.errs) > 0 || r.counts == nil {
		return false
	}
	c := r.counts
	return c.Lost == 0 && c.DuplicateGrades == 0 && c.CreditsLost == 0 && c.CreditsDuplicated == 0 && c.Settled
}

// chaos seeds one population and runs the four fault scenarios on it (each storm on a new exam
// of the same members, so each Check also re-counts the storms before it), then prints the table.
func (h *harness) chaos(ctx context.Context) int {
	h.say("seed: %d members", h.cfg.members)
	f, err := workload.Seed(ctx, h.env, h.cfg.members)
	if err != nil {
		h.say("seed failed: %v", err)
		return 1
	}
	scenarios := []struct {
		name string
		run  func(ctx context.Context, f *workload.Fixture, r *chaosResult)
	}{
		{"1. quiz worker SIGKILLed every 5 s during grading", h.killWorkers},
		{"2. Redis restarted mid-storm (every queued task lost)", h.restartRedis},
		{"3. PostgreSQL restarted mid-storm, heartbeats flowing", h.restartPostgres},
		{"4. search stopped, courses published, search started", h.stopSearch},
	}
	var results []*chaosResult
	for i, sc := range scenarios {
		r := &chaosResult{name: sc.name}
		results = append(results, r)
		if ctx.Err() != nil {
			r.fail(fmt.Errorf("not run: %w", ctx.Err()))
			continue
		}
		// Split what is left of the bound evenly over the scenarios still to run, keeping 30 s
		// to stop the cluster.
		left := time.Until(deadlineOf(ctx)) - 30*time.Second
		sctx, cancel := context.WithTimeout(ctx, left/time.Duration(len(scenarios)-i))
		h.say("scenario %s (bound %s)", sc.name, (left / time.Duration(len(scenarios)-i)).Round(time.Second))
		s := h.snap()
		sc.run(sctx, f, r)
		cancel()
		r.use = h.since(s)
		if c := r.counts; c != nil {
			h.say("scenario %s: counts %+v", sc.name, *c)
		}
		h.say("scenario %s: ok=%v, backlog cleared %s, settled %s after the fault, errors %v", sc.name, r.ok(),
			r.backlog.Round(100*time.Millisecond), r.settled.Round(100*time.Millisecond), r.errs)
	}

	fmt.Fprintf(h.out, "\n## make chaos — %d members, window %s, %d quiz workers, %d CPUs, %s\n\n",
		h.cfg.members, h.cfg.window, h.cfg.quizWorkers, runtime.NumCPU(), time.Now().Format(time.RFC3339))
	fmt.Fprintln(h.out, "| scenario | faults injected | submitted (this storm / all so far) | lost | duplicate grades | lost credits | duplicated credits | index caught up | recovery: stranded work done | recovery: all counts settled | CPU s (api / workers / pg / redis) | wall s |")
	fmt.Fprintln(h.out, "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
	code := 0
	for _, r := range results {
		if !r.ok() {
			code = 1
		}
		sub, lost, dup, cl, cd, settled := "—", "—", "—", "—", "—", "not settled"
		if c := r.counts; c != nil {
			this := "—"
			if r.storm != nil {
				this = fmt.Sprint(r.storm.Submitted)
			}
			sub = fmt.Sprintf("%s / %d", this, c.Submitted)
			lost, dup = fmt.Sprint(c.Lost), fmt.Sprint(c.DuplicateGrades)
			cl, cd = fmt.Sprintf("%d of %d", c.CreditsLost, c.CreditsExpected), fmt.Sprint(c.CreditsDuplicated)
			if c.Settled && r.settled > 0 {
				settled = fmt.Sprintf("%s (Check waited %s)", ms(r.settled), ms(c.Waited))
			}
		}
		caught := "no"
		if r.caught > 0 {
			caught = "yes, " + ms(r.caught)
		}
		backlog := ms(r.backlog)
		if r.backlog == 0 {
			backlog = "not measured"
		}
		if !r.ok() {
			settled += " — FAILED: " + joinErrs(r.errs)
		}
		cpu, wall := "—", "—"
		if u := r.use; u != nil {
			cpu = fmt.Sprintf("%s / %s / %s / %s", secs(u.cpu["api"]), secs(u.cpu["workers"]), secs(u.cpu["postgres"]), secs(u.cpu["redis"]))
			wall = secs(u.wall)
		}
		fmt.Fprintf(h.out, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
			r.name, dash(r.faults), sub, lost, dup, cl, cd, caught, backlog, settled, cpu, wall)
	}
	fmt.Fprintf(h.out, "\nRecovery, measured from the (last) fault: \"stranded work done\" when quiz's database first holds no ungraded attempt submitted before the fault or more than 2 s earlier (polled every 250 ms; "+
		"scenario 4: from search's restart until the courses published while it was down are found); \"all counts settled\" when Check first finds every acknowledged submit graded and every expected credit "+
		"in studyhour's ledger, after the scenario's workloads ended (scenario 3's heartbeats run %s past its start, so its figure is mostly their run). "+
		"The services' reconcilers run every 60 s (±10%%, the default of server.reconcile_interval) and once at each worker's start; "+
		"outbox re-delivery after %s (VANGUARD_OUTBOX_REDELIVER_AFTER, swept every 30 s). "+
		"Counts are read from the services' databases; each Check re-counts every storm of the run so far. Whole run: %s wall.\n",
		h.cfg.window+90*time.Second, "20s", time.Since(h.began).Round(time.Second))
	if code == 0 {
		fmt.Fprintln(h.out, "\nResult: lost = 0 and duplicates = 0 in every fault scenario.")
	} else {
		fmt.Fprintln(h.out, "\nResult: FAILED — see the rows above and the progress log.")
	}
	return code
}

func joinErrs(errs []error) string {
	var s []string
	for _, e := range errs {
		s = append(s, errString(e))
	}
	return strings.Join(s, "; ")
}

func deadlineOf(ctx context.Context) time.Time {
	if d, ok := ctx.Deadline(); ok {
		return d
	}
	return time.Now().Add(time.Hour)
}

// storm runs a storm in the background; wait returns its result.
type storm struct {
	done chan struct{}
	res  *workload.StormResult
	err  error
}

func (h *harness) startStorm(ctx context.Context, f *workload.Fixture) *storm {
	s := &storm{done: make(chan struct{})}
	go func() {
		defer close(s.done)
		s.res, s.err = workload.Storm(ctx, h.env, f, h.cfg.window)
	}()
	return s
}

// waitSubmitted waits until the storm that began after `before` exams has at least n attempts
// stored submitted or graded (read from quiz's database) and returns its exam, or 0 when the
// storm ended or ctx ended first.
func (h *harness) waitSubmitted(ctx context.Context, f *workload.Fixture, s *storm, before, n int) int64 {
	for {
		if exams := f.Exams(); len(exams) > before {
			exam := exams[len(exams)-1]
			var got int
			err := h.c.DB("quiz").QueryRowContext(ctx,
				`SELECT count(*) FROM attempts WHERE exam_id = $1 AND status IN ('submitted', 'graded')`, exam).Scan(&got)
			if err == nil && got >= n {
				return exam
			}
		}
		select {
		case <-ctx.Done():
			return 0
		case <-s.done:
			return 0
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// settle waits for the storm, runs Check (which waits until nothing is in flight, within its
// bound) and CaughtUp, and sets the settling time from faultAt.
func (h *harness) settle(ctx context.Context, f *workload.Fixture, s *storm, r *chaosResult, faultAt time.Time, tag string) {
	if s != nil {
		<-s.done
		r.storm = s.res
		if s.err != nil {
			r.fail(fmt.Errorf("storm: %w", s.err))
		}
		if s.res != nil {
			h.say("%s: storm %d acknowledged of %d sent (%d retries, errors %v), graded %d, drain %s", tag,
				s.res.Submitted, s.res.Sent, s.res.Retries, s.res.Errors, s.res.Graded, s.res.Drain.Round(time.Millisecond))
		}
	}
	// Check needs time even when the scenario's bound is spent: give it a little of its own,
	// within the whole run's bound (and Ctrl-C).
	cctx, cancel := context.WithTimeout(h.root, min(max(time.Until(deadlineOf(ctx)), 45*time.Second), time.Until(deadlineOf(h.root))-25*time.Second))
	defer cancel()
	cnt, err := workload.Check(cctx, h.env, f)
	settledAt := time.Now()
	r.counts = cnt
	if err != nil {
		r.fail(fmt.Errorf("check: %w", err))
	}
	if cnt != nil && cnt.Settled && !faultAt.IsZero() {
		r.settled = settledAt.Sub(faultAt)
	}
	if cnt != nil && !cnt.Settled {
		r.fail(errors.New("not settled within the bound: work still pending (ungraded submits or missing credits)"))
	}
	uctx, cancel2 := context.WithTimeout(h.root, min(90*time.Second, time.Until(deadlineOf(h.root))-20*time.Second))
	defer cancel2()
	took, err := workload.CaughtUp(uctx, h.env, f, fmt.Sprintf("索引追平-%s-%d", tag, time.Now().UnixNano()%1e6))
	if err != nil {
		r.fail(fmt.Errorf("index caught up: %w", err))
	} else {
		r.caught = took
	}
}

// backlogCleared polls quiz's database (every 250 ms) from the fault at faultAt until no attempt
// is left ungraded that was submitted before the fault (the work a fault could strand: its task
// lost with Redis, or held by a killed worker) or more than 2 s ago (an enqueue that failed
// after it), and returns that moment, or the zero time when ctx ends first.
func (h *harness) backlogCleared(ctx context.Context, faultAt time.Time) time.Time {
	for {
		var stranded int
		err := h.c.DB("quiz").QueryRowContext(ctx, `SELECT count(*) FROM attempts WHERE status = 'submitted'
			AND (submitted_at < $1 OR submitted_at < now() - interval '2 seconds')`, faultAt).Scan(&stranded)
		if err == nil && stranded == 0 {
			return time.Now()
		}
		select {
		case <-ctx.Done():
			return time.Time{}
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// watchBacklog runs backlogCleared in the background; the result sets r.backlog from faultAt.
func (h *harness) watchBacklog(ctx context.Context, r *chaosResult, faultAt time.Time) (wait func()) {
	done := make(chan time.Time, 1)
	go func() { done <- h.backlogCleared(ctx, faultAt) }()
	return func() {
		if at := <-done; !at.IsZero() {
			r.backlog = at.Sub(faultAt)
		}
	}
}

// killWorkers SIGKILLs a quiz worker every 5 s (alternating) from the first submit until the
// storm has every submit graded, restarting each at once.
func (h *harness) killWorkers(ctx context.Context, f *workload.Fixture, r *chaosResult) {
	var workers []string
	for _, p := range h.c.Procs() {
		if strings.HasPrefix(p, "quiz-worker-") {
			workers = append(workers, p)
		}
	}
	before := len(f.Exams())
	s := h.startStorm(ctx, f)
	h.waitSubmitted(ctx, f, s, before, 1)
	// What the workers held when killed: the quiz queue's active tasks (asynq's own count).
	inspector := asynq.NewInspector(asynq.RedisClientOpt{Addr: h.c.RedisAddr})
	defer inspector.Close()
	var last time.Time
	kills, activeAtKills := 0, 0
	tick := time.NewTicker(5 * time.Second)
	defer tick.Stop()
loop:
	for {
		select {
		case <-s.done:
			break loop
		case <-ctx.Done():
			break loop
		case <-tick.C:
		}
		victim := workers[kills%len(workers)]
		if qi, err := inspector.GetQueueInfo("quiz"); err == nil {
			activeAtKills += qi.Active
		}
		last = time.Now()
		if err := h.c.Kill(victim); err != nil {
			r.fail(err)
			break
		}
		kills++
		if err := h.c.Start(victim); err != nil {
			r.fail(err)
			break
		}
	}
	r.faults = fmt.Sprintf("%d × SIGKILL of %s (every 5 s, each restarted at once); quiz tasks active at the kills: %d in all",
		kills, strings.Join(workers, "/"), activeAtKills)
	h.say("kill: %d kills, the last %s ago", kills, time.Since(last).Round(100*time.Millisecond))
	if !last.IsZero() {
		wait := h.watchBacklog(ctx, r, last)
		<-s.done
		wait()
	}
	h.settle(ctx, f, s, r, last, "kill")
}

// queuedTasks says how many tasks every queue holds just now (pending, active, scheduled,
// retrying), by queue: what a Redis restart drops.
func (h *harness) queuedTasks() string {
	inspector := asynq.NewInspector(asynq.RedisClientOpt{Addr: h.c.RedisAddr})
	defer inspector.Close()
	queues, err := inspector.Queues()
	if err != nil {
		return "tasks: " + err.Error()
	}
	total := 0
	var by []string
	for _, q := range queues {
		qi, err := inspector.GetQueueInfo(q)
		if err != nil {
			continue
		}
		n := qi.Pending + qi.Active + qi.Scheduled + qi.Retry
		total += n
		if n > 0 {
			by = append(by, fmt.Sprintf("%s %d", q, n))
		}
	}
	if total == 0 {
		return "0 queued tasks"
	}
	return fmt.Sprintf("%d queued tasks (%s)", total, strings.Join(by, ", "))
}

// restartRedis restarts Redis once half the storm's submits are stored.
func (h *harness) restartRedis(ctx context.Context, f *workload.Fixture, r *chaosResult) {
	before := len(f.Exams())
	s := h.startStorm(ctx, f)
	var at time.Time
	if exam := h.waitSubmitted(ctx, f, s, before, len(f.Members)/2); exam != 0 {
		queued := h.queuedTasks()
		at = time.Now()
		if err := h.c.RestartRedis(ctx); err != nil {
			r.fail(err)
		}
		r.faults = fmt.Sprintf("Redis restarted empty after %d of %d submits (down %s), dropping %s", len(f.Members)/2, len(f.Members),
			time.Since(at).Round(10*time.Millisecond), queued)
		wait := h.watchBacklog(ctx, r, at)
		<-s.done
		wait()
	} else {
		r.fail(errors.New("the storm ended before half its submits were stored: Redis was not restarted"))
	}
	h.settle(ctx, f, s, r, at, "redis")
}

// restartPostgres restarts PostgreSQL once half a storm's submits are stored, while members
// send lesson heartbeats (credits flowing). The heartbeats begin first: the player sends its
// first one an interval (30 s) after opening the lesson, so the storm starts 25 s later and the
// restart falls while both flow.
func (h *harness) restartPostgres(ctx context.Context, f *workload.Fixture, r *chaosResult) {
	var hb *workload.Rate
	var hbErr error
	var wg sync.WaitGroup
	wg.Go(func() { hb, hbErr = workload.Heartbeats(ctx, h.env, f, h.cfg.window+90*time.Second) })
	select {
	case <-time.After(25 * time.Second):
	case <-ctx.Done():
	}
	before := len(f.Exams())
	s := h.startStorm(ctx, f)
	var at time.Time
	if exam := h.waitSubmitted(ctx, f, s, before, len(f.Members)/2); exam != 0 {
		at = time.Now()
		if err := h.c.RestartPostgres(ctx); err != nil {
			r.fail(err)
		}
		r.faults = fmt.Sprintf("PostgreSQL fast-shutdown restart after %d of %d submits (down %s)", len(f.Members)/2, len(f.Members), time.Since(at).Round(10*time.Millisecond))
		wait := h.watchBacklog(ctx, r, at)
		<-s.done
		wait()
	} else {
		r.fail(errors.New("the storm ended before half its submits were stored: PostgreSQL was not restarted"))
	}
	<-s.done
	wg.Wait()
	if hbErr != nil {
		r.fail(fmt.Errorf("heartbeats: %w", hbErr))
	}
	if hb != nil {
		r.faults += fmt.Sprintf("; heartbeats meanwhile: %d sent, %d credited, errors %s", hb.Sent, hb.Accepted, workload.FormatCounts(hb.Errors))
	}
	h.settle(ctx, f, s, r, at, "postgres")
}

// stopSearch stops the search process, publishes courses while it is down, starts it again and
// measures how long until search finds every one of them.
func (h *harness) stopSearch(ctx context.Context, f *workload.Fixture, r *chaosResult) {
	const proc, courses, down = "search-api", 3, 10 * time.Second
	if err := h.c.Stop(proc); err != nil {
		r.fail(err)
		return
	}
	stoppedAt := time.Now()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var lastFound time.Time
	for i := range courses {
		wg.Go(func() {
			marker := fmt.Sprintf("停机期间发布-%d-%d", i+1, time.Now().UnixNano()%1e6)
			if _, err := workload.CaughtUp(ctx, h.env, f, marker); err != nil {
				r.fail(fmt.Errorf("course %q published while search was down: %w", marker, err))
				return
			}
			mu.Lock()
			if now := time.Now(); now.After(lastFound) {
				lastFound = now
			}
			mu.Unlock()
		})
	}
	select {
	case <-time.After(down):
	case <-ctx.Done():
	}
	if err := h.c.Start(proc); err != nil {
		r.fail(err)
	}
	startedAt := time.Now()
	r.faults = fmt.Sprintf("%s stopped (SIGTERM) for %s; %d courses published meanwhile", proc, startedAt.Sub(stoppedAt).Round(100*time.Millisecond), courses)
	wg.Wait()
	if !lastFound.IsZero() && len(r.errs) == 0 {
		r.backlog = lastFound.Sub(startedAt)
	}
	h.settle(ctx, f, nil, r, startedAt, "search")
}
