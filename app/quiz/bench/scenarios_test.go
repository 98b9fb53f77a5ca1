package bench

import (
	"cmp"
	"context"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	v1 "github.com/vanguard/vanguard/api/quiz/v1"
	"github.com/vanguard/vanguard/app/quiz"
	"github.com/vanguard/vanguard/pkg/dbx"
	"github.com/vanguard/vanguard/pkg/queue"
)

func setupWay(viaHTTP bool) string {
	if viaHTTP {
		return "autosaved over HTTP"
	}
	return "inserted into the quiz database"
}

// timer is the benchmark clock the scenarios start and stop around their measured part (no-ops
// in tests).
type timer struct{ start, stop func() }

// benchTimer is b's clock. With VANGUARD_BENCH_CPUPROFILE=dir each timed phase is also CPU
// profiled on its own, into dir/<benchmark>-<phase>.cpu (phase counts from 1), so a profile
// shows the measured work without the setup around it.
func benchTimer(b *testing.B) timer {
	dir := os.Getenv("VANGUARD_BENCH_CPUPROFILE")
	if dir == "" {
		return timer{start: b.StartTimer, stop: b.StopTimer}
	}
	var (
		phase int
		f     *os.File
	)
	return timer{
		start: func() {
			phase++
			name := strings.NewReplacer("/", "_", " ", "_").Replace(b.Name())
			var err error
			if f, err = os.Create(filepath.Join(dir, fmt.Sprintf("%s-%d.cpu", name, phase))); err != nil {
				b.Fatal(err)
			}
			if err := pprof.StartCPUProfile(f); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		},
		stop: func() {
			b.StopTimer()
			if f != nil {
				pprof.StopCPUProfile()
				_ = f.Close()
				f = nil
			}
		},
	}
}

var noTimer = timer{start: func() {}, stop: func() {}}

// stormClients caps the submits in flight at once: the storm is open-loop (submits go out on
// their schedule whatever the replies) until this many are waiting, then it falls behind.
const stormClients = 256

// stormResult is what one exam-end storm measured.
type stormResult struct {
	Members     int
	Requests    int           // submit requests, double clicks included
	SubmitP50   float64       // ms
	SubmitP99   float64       // ms
	SubmitMax   float64       // ms
	SubmitsDone time.Duration // from the first submit until every submit had its reply
	AllGraded   time.Duration // from the first submit until every attempt was graded
	MaxLate     time.Duration // the most a submit left after its scheduled time
	Check       gradeCheck
	Failures    int // failed quiz task runs (retried), from the queue's daily stats
	// Stats is one GET of the exam's statistics once every attempt is graded (answered by the
	// manager's dashboard after the exam), outside the timer.
	Stats time.Duration
	// StatsAgain is the next GET with nothing changed (the dashboard polling).
	StatsAgain time.Duration
}

// storm runs the exam end: n members, each with an attempt of nq questions all answered, submit
// spread uniformly over window (every 20th member double-clicks: a second submit at the same
// time) while two worker servers of concurrency 10 grade. Setup is outside the timer; the timer
// runs from the first submit until every attempt is graded (or two minutes after the last submit
// reply, after which ungraded attempts count as lost).
func storm(tb testing.TB, tm timer, n, nq int, window time.Duration, viaHTTP bool) stormResult {
	e := newEnv(tb)
	exam := e.createExam(nq)
	ms := e.members(n)
	t := time.Now()
	e.startAttempts(exam, ms)
	tb.Logf("setup: %d attempts started over HTTP in %v", n, time.Since(t).Round(time.Millisecond))
	t = time.Now()
	e.answerAll(ms, viaHTTP)
	tb.Logf("setup: %d answers written (%s) in %v", n*nq, setupWay(viaHTTP), time.Since(t).Round(time.Millisecond))
	e.resign(ms)
	graders := e.newWorkers(2, 10)
	graders.start()
	time.Sleep(300 * time.Millisecond) // let the workers connect before the clock starts

	var (
		lat     latencies
		failed  errs
		maxLate atomic.Int64
		jobs    = make(chan int)
		wg      sync.WaitGroup
	)
	send := func(m *member) {
		t := time.Now()
		err := e.submit(m)
		lat.add(time.Since(t))
		if err != nil {
			failed.add(err)
		}
	}
	order := rand.Perm(n)
	tm.start()
	t0 := time.Now()
	for range stormClients {
		wg.Go(func() {
			for k := range jobs {
				m := ms[order[k]]
				if order[k]%20 == 0 {
					var dbl sync.WaitGroup
					dbl.Go(func() { send(m) })
					send(m)
					dbl.Wait()
					continue
				}
				send(m)
			}
		})
	}
	for k := range n {
		due := t0.Add(window * time.Duration(k) / time.Duration(n))
		if d := time.Until(due); d > 0 {
			time.Sleep(d)
		}
		jobs <- k
		if late := time.Since(due); late > time.Duration(maxLate.Load()) {
			maxLate.Store(int64(late))
		}
	}
	close(jobs)
	wg.Wait()
	submitted := time.Since(t0)
	graded, at := e.waitGraded(exam, n, 50*time.Millisecond, time.Now().Add(2*time.Minute))
	tm.stop()
	failed.fail(tb, "submits")

	r := stormResult{Members: n, Requests: len(lat.d), SubmitP50: lat.pct(50), SubmitP99: lat.pct(99), SubmitMax: lat.pct(100),
		SubmitsDone: submitted, AllGraded: at.Sub(t0), MaxLate: time.Duration(maxLate.Load())}
	graders.stop()
	r.Check = e.checkGrades(exam, n)
	r.Failures = e.taskFailures()
	if graded != r.Check.Graded {
		tb.Logf("graded count moved after the deadline: %d then %d", graded, r.Check.Graded)
	}
	r.Check.assert(tb, n)
	var st v1.ExamStats
	t = time.Now()
	e.must(e.quizCall("GET", fmt.Sprintf("/v1/exams/%d/stats", exam), e.adminToken, nil, &st))
	r.Stats = time.Since(t)
	if int(st.Graded) != n || len(st.Questions) != nq {
		tb.Fatalf("stats: %d graded, %d questions; want %d and %d", st.Graded, len(st.Questions), n, nq)
	}
	t = time.Now()
	e.must(e.quizCall("GET", fmt.Sprintf("/v1/exams/%d/stats", exam), e.adminToken, nil, &st))
	r.StatsAgain = time.Since(t)
	return r
}

// throughputResult compares the quiz worker with a no-op handler on the same Redis.
type throughputResult struct {
	Attempts int
	Quiz     time.Duration // n queued quiz:grade tasks, one worker server of concurrency 10
	Noop     time.Duration // n queued no-op tasks, one worker server of concurrency 10
	// QuizCPU and NoopCPU are the CPU the phases used, by process.
	QuizCPU, NoopCPU cpuUse
	Check            gradeCheck
}

// noopType is the task the baseline handler does nothing for; it is queued like quiz:grade
// (own task id, same retry and timeout options, same payload) on its own queue.
const (
	noopType  = "bench:noop"
	noopQueue = "bench"
)

// gradingThroughput submits n answered attempts of nq questions with no worker running, so n
// quiz:grade tasks wait in Redis; then, timed, one quiz worker server (concurrency 10) grades
// them all; then, timed, one server with the same settings runs a no-op handler over n tasks
// queued the same way.
func gradingThroughput(tb testing.TB, tm timer, n, nq int, viaHTTP bool) throughputResult {
	e := newEnv(tb)
	exam := e.createExam(nq)
	ms := e.members(n)
	t := time.Now()
	e.startAttempts(exam, ms)
	tb.Logf("setup: %d attempts started over HTTP in %v", n, time.Since(t).Round(time.Millisecond))
	t = time.Now()
	e.answerAll(ms, viaHTTP)
	tb.Logf("setup: %d answers written (%s) in %v", n*nq, setupWay(viaHTTP), time.Since(t).Round(time.Millisecond))
	e.resign(ms)
	e.must(parallel(n, httpWorkers, func(i int) error { return e.submit(ms[i]) }))
	insp := asynq.NewInspector(e.redis)
	defer insp.Close()
	info, err := insp.GetQueueInfo(quiz.Queue)
	e.must(err)
	if info.Pending != n {
		tb.Fatalf("%d quiz tasks pending after %d submits, want %d", info.Pending, n, n)
	}

	r := throughputResult{Attempts: n}
	grader := e.newWorkers(1, 10)
	tm.start()
	t0, c0 := time.Now(), readCPU()
	grader.start()
	graded, at := e.waitGraded(exam, n, 10*time.Millisecond, t0.Add(2*time.Minute))
	r.Quiz, r.QuizCPU = at.Sub(t0), readCPU().sub(c0)
	tm.stop()
	grader.stop()
	r.Check = e.checkGrades(exam, n)
	if graded != r.Check.Graded {
		tb.Logf("graded count moved after the deadline: %d then %d", graded, r.Check.Graded)
	}
	r.Check.assert(tb, n)

	for i := range n {
		t := asynq.NewTask(noopType, fmt.Appendf(nil, `{"attempt_id":%d}`, ms[i].attempt))
		e.must(e.tasks.Enqueue(e.ctx, t, asynq.Queue(noopQueue), asynq.TaskID(queue.TaskID(noopType, ms[i].attempt)),
			asynq.MaxRetry(20), asynq.Timeout(time.Minute)))
	}
	var (
		done     = make(chan struct{})
		handled  atomic.Int64
		finished sync.Once
	)
	srv, err := queue.NewServer(e.redis, queue.Config{Queues: map[string]int{noopQueue: 1}, Concurrency: 10}, e.logger)
	e.must(err)
	srv.HandleFunc(noopType, func(context.Context, *asynq.Task) error {
		if handled.Add(1) == int64(n) {
			finished.Do(func() { close(done) })
		}
		return nil
	})
	tm.start()
	t1, c1 := time.Now(), readCPU()
	go func() { _ = srv.Start(e.ctx) }()
	select {
	case <-done:
	case <-time.After(2 * time.Minute):
	}
	r.Noop, r.NoopCPU = time.Since(t1), readCPU().sub(c1)
	tm.stop()
	_ = srv.Stop(e.ctx)
	if got := handled.Load(); got != int64(n) {
		tb.Fatalf("no-op handler ran %d of %d tasks", got, n)
	}
	return r
}

// autosaveResult is what the autosave scenario measured.
type autosaveResult struct {
	Attempts int
	P50, P99 float64 // ms
	Elapsed  time.Duration
	// Inserts is the physical baseline of the same run: single-row INSERTs per second into a
	// scratch table of the same database, from as many concurrent goroutines as HTTP clients
	// (what pgbench with one INSERT per transaction measures), through the service's own pool.
	Inserts float64
}

// autosave starts n attempts of nq questions (outside the timer), then, timed, each attempt
// autosaves one answer (its "30 s tick", all ticks compressed together) through httpWorkers
// concurrent HTTP clients.
func autosave(tb testing.TB, tm timer, n, nq int) autosaveResult {
	e := newEnv(tb)
	exam := e.createExam(nq)
	ms := e.members(n)
	t := time.Now()
	e.startAttempts(exam, ms)
	tb.Logf("setup: %d attempts started over HTTP in %v", n, time.Since(t).Round(time.Millisecond))
	// No fresh tokens here: each member saves with the token its start used, as in every tick
	// after the first (a verified token is remembered; the setup is far shorter than a token's
	// 15 minutes).
	rand.Shuffle(len(ms), func(i, j int) { ms[i], ms[j] = ms[j], ms[i] })

	var (
		lat    latencies
		failed errs
	)
	tm.start()
	t0 := time.Now()
	_ = parallel(n, httpWorkers, func(i int) error {
		rng := rand.New(rand.NewPCG(uint64(i), 2))
		q := ms[i].questions[rng.IntN(len(ms[i].questions))]
		t := time.Now()
		err := e.saveAnswer(ms[i], q, answerFor(rng, q), 1)
		lat.add(time.Since(t))
		if err != nil {
			failed.add(err)
		}
		return nil
	})
	elapsed := time.Since(t0)
	tm.stop()
	failed.fail(tb, "autosaves")
	var saved int
	e.must(e.db.QueryRowContext(e.ctx, `SELECT count(*) FROM answers`).Scan(&saved))
	if saved != n {
		tb.Fatalf("%d answers stored after %d autosaves", saved, n)
	}
	return autosaveResult{Attempts: n, P50: lat.pct(50), P99: lat.pct(99), Elapsed: elapsed, Inserts: e.insertBaseline(n)}
}

// insertBaseline times n single-row INSERTs (autocommit) from httpWorkers goroutines into a
// scratch table of the quiz database, over a pool of the API's size.
func (e *env) insertBaseline(n int) float64 {
	db, _, err := dbx.Open(benchDriver(), e.quizDSN)
	e.must(err)
	defer db.Close()
	_, err = db.ExecContext(e.ctx, `CREATE TABLE bench_inserts (id INTEGER PRIMARY KEY, attempt_id BIGINT, question_no INTEGER, version BIGINT, text TEXT)`)
	e.must(err)
	var next atomic.Int64
	t0 := time.Now()
	e.must(parallel(n, httpWorkers, func(i int) error {
		id := next.Add(1)
		_, err := db.ExecContext(e.ctx, `INSERT INTO bench_inserts (id, attempt_id, question_no, version, text) VALUES ($1, $2, $3, $4, $5)`,
			id, int64(i), 1, int64(1), "答案")
		return err
	}))
	return float64(n) / time.Since(t0).Seconds()
}

type listResult struct {
	Attempts, Pages int
	P50, P95, P99   float64 // page latency, ms
	Elapsed         time.Duration
}

// listClients is how many managers' dashboards read the attempt list at once.
const listClients = 8

// managerLists starts n attempts (outside the timer); then, timed, the exam's managers page
// through the attempt list 100 at a time, rounds times over (dashboards polling it), through
// listClients concurrent clients. Every page must answer 200 and the pages must hold every
// attempt exactly once.
func managerLists(tb testing.TB, tm timer, n, nq, rounds int) listResult {
	e := newEnv(tb)
	exam := e.createExam(nq)
	ms := e.members(n)
	e.startAttempts(exam, ms)
	slices.SortFunc(ms, func(a, b *member) int { return cmp.Compare(a.attempt, b.attempt) })
	const pageSize = 100
	pages := (n + pageSize - 1) / pageSize
	var (
		lat    latencies
		failed errs
		mu     sync.Mutex
		seen   = map[int64]int{}
	)
	tm.start()
	t0 := time.Now()
	_ = parallel(pages*rounds, listClients, func(i int) error {
		// Page i%pages starts after the last id of page i%pages-1: ids are dense per exam here, so
		// the token is computed rather than chained, letting pages load concurrently.
		page := i % pages
		path := fmt.Sprintf("/v1/exams/%d/attempts?pageSize=%d", exam, pageSize)
		if page > 0 {
			after := ms[page*pageSize-1].attempt
			path += "&pageToken=" + base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(after, 10)))
		}
		var out v1.ListAttemptsReply
		t := time.Now()
		err := e.quizCall("GET", path, e.adminToken, nil, &out)
		lat.add(time.Since(t))
		if err != nil {
			failed.add(err)
			return nil
		}
		if i < pages {
			mu.Lock()
			for _, a := range out.Attempts {
				seen[a.Id]++
			}
			mu.Unlock()
		}
		return nil
	})
	elapsed := time.Since(t0)
	tm.stop()
	failed.fail(tb, "list pages")
	if len(seen) != n {
		tb.Fatalf("pages held %d distinct attempts, want %d", len(seen), n)
	}
	for id, c := range seen {
		if c != 1 {
			tb.Fatalf("attempt %d listed %d times", id, c)
		}
	}
	return listResult{Attempts: n, Pages: pages * rounds, P50: lat.pct(50), P95: lat.pct(95), P99: lat.pct(99), Elapsed: elapsed}
}
