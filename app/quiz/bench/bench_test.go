package bench

import (
	"testing"
	"time"
)

// Run with `make bench`. The figures are reported, never asserted; correctness (every attempt
// graded exactly once, every request answered 200) is asserted.

// questions is the paper size of every benchmark: a 50-question fixed paper without essays.
const questions = 50

// BenchmarkExamEndStorm is the end of an exam: every member submits within the last seconds
// while two worker servers grade. Setup (starting each attempt and autosaving all 50 answers
// over HTTP) is outside the timer; ns/op is from the first submit until the last attempt is
// graded. Reported: submit latency p50/p99 (HTTP round trip), the achieved submit rate, the time
// until every attempt was graded, lost (not graded within two minutes) and duplicates (attempts
// with more than one "attempt.graded" event), both asserted to be 0.
//
// "2000x10s" always runs; "5000x60s" only with VANGUARD_BENCH_FULL=1 or -benchtime ≥ 60s.
func BenchmarkExamEndStorm(b *testing.B) {
	eachDriver(b, func(b *testing.B) {
		type size struct {
			name   string
			n      int
			window time.Duration
		}
		sizes := []size{{"2000x10s", 2000, 10 * time.Second}}
		if fullRun() {
			sizes = append(sizes, size{"5000x60s", 5000, 60 * time.Second})
		}
		for _, s := range sizes {
			b.Run(s.name, func(b *testing.B) {
				var r stormResult
				for range b.N {
					b.StopTimer()
					r = storm(b, benchTimer(b), s.n, questions, s.window, httpSetup())
				}
				b.ReportMetric(r.SubmitP50, "submit_p50_ms")
				b.ReportMetric(r.SubmitP99, "submit_p99_ms")
				b.ReportMetric(r.SubmitMax, "submit_max_ms")
				b.ReportMetric(float64(r.Members)/r.SubmitsDone.Seconds(), "submits_per_s")
				b.ReportMetric(r.AllGraded.Seconds(), "all_graded_s")
				b.ReportMetric((r.AllGraded - r.SubmitsDone).Seconds(), "graded_after_last_submit_s")
				b.ReportMetric(r.MaxLate.Seconds(), "max_submit_late_s")
				b.ReportMetric(float64(r.Check.Lost), "lost")
				b.ReportMetric(float64(r.Check.Duplicates), "duplicates")
				b.ReportMetric(float64(r.Failures), "task_failures")
				b.ReportMetric(float64(r.Stats.Microseconds())/1000, "stats_ms")
				b.ReportMetric(float64(r.StatsAgain.Microseconds())/1000, "stats_again_ms")
				b.Logf("%d members, %d submit requests (every 20th double-clicks), window %v: %+v", r.Members, r.Requests, s.window, r.Check)
			})
		}
	})
}

// BenchmarkGradingThroughput grades 2,000 submitted 50-question attempts with one quiz worker
// server (concurrency 10) and runs a no-op handler over as many tasks, queued the same way, on
// the same Redis in the same run. ns/op is both timed phases together.
func BenchmarkGradingThroughput(b *testing.B) {
	eachDriver(b, func(b *testing.B) {
		const n = 2000
		var r throughputResult
		for range b.N {
			b.StopTimer()
			r = gradingThroughput(b, benchTimer(b), n, questions, httpSetup())
		}
		quizRate, noopRate := float64(n)/r.Quiz.Seconds(), float64(n)/r.Noop.Seconds()
		b.ReportMetric(quizRate, "graded_per_s")
		b.ReportMetric(noopRate, "noop_per_s")
		b.ReportMetric(quizRate/noopRate, "quiz/noop")
		// CPU per graded attempt, by process (µs): where the time goes on a shared machine.
		perTask := func(d time.Duration) float64 { return float64(d.Microseconds()) / n }
		b.ReportMetric(perTask(r.QuizCPU.Self), "grade_us_cpu_self")
		b.ReportMetric(perTask(r.QuizCPU.Postgres), "grade_us_cpu_postgres")
		b.ReportMetric(perTask(r.QuizCPU.Redis), "grade_us_cpu_redis")
		b.ReportMetric(perTask(r.NoopCPU.Self+r.NoopCPU.Redis), "noop_us_cpu")
		b.ReportMetric(float64(r.Check.Lost), "lost")
		b.ReportMetric(float64(r.Check.Duplicates), "duplicates")
	})
}

// BenchmarkAutosave measures SaveAnswer over HTTP with autosaveAttempts attempts in progress:
// each autosaves once (one "30 s tick", compressed: as fast as 64 clients can send). Starting
// the attempts is outside the timer; ns/op is the whole tick. The physical baseline of the same
// run follows, outside the timer: as many single-row INSERTs into a scratch table of the same
// database from as many clients (insert_per_s), and the ratio saves/insert.
func BenchmarkAutosave(b *testing.B) {
	eachDriver(b, func(b *testing.B) {
		var r autosaveResult
		for range b.N {
			b.StopTimer()
			r = autosave(b, benchTimer(b), autosaveAttempts, questions)
		}
		b.ReportMetric(r.P50, "save_p50_ms")
		b.ReportMetric(r.P99, "save_p99_ms")
		b.ReportMetric(float64(r.Attempts)/r.Elapsed.Seconds(), "saves_per_s")
		b.ReportMetric(r.Inserts, "insert_per_s")
		b.ReportMetric(float64(r.Attempts)/r.Elapsed.Seconds()/r.Inserts, "saves/insert")
		b.ReportMetric(float64(r.Attempts), "open_attempts")
	})
}

// BenchmarkManagerLists is a trainer's dashboard at exam scale: with autosaveAttempts attempts,
// the attempt list paged 100 at a time, read 5 times over by 8 concurrent dashboards. Reported:
// page latency p50/p95/p99 (aim p95 ≤ 100 ms).
func BenchmarkManagerLists(b *testing.B) {
	eachDriver(b, func(b *testing.B) {
		var r listResult
		for range b.N {
			b.StopTimer()
			r = managerLists(b, benchTimer(b), autosaveAttempts, questions, 5)
		}
		b.ReportMetric(r.P50, "page_p50_ms")
		b.ReportMetric(r.P95, "page_p95_ms")
		b.ReportMetric(r.P99, "page_p99_ms")
		b.ReportMetric(float64(r.Pages)/r.Elapsed.Seconds(), "pages_per_s")
		b.ReportMetric(float64(r.Attempts), "attempts")
	})
}

// autosaveAttempts is how many attempts are in progress during BenchmarkAutosave.
const autosaveAttempts = 10000

// TestScenarios runs each scenario small, so `make test` keeps the harness working.
func TestScenarios(t *testing.T) {
	t.Run("storm", func(t *testing.T) {
		r := storm(t, noTimer, 21, 10, time.Second, true)
		if r.Requests != 23 || r.Check.Graded != 21 {
			t.Fatalf("storm: %+v", r)
		}
	})
	t.Run("throughput", func(t *testing.T) {
		r := gradingThroughput(t, noTimer, 20, 10, false)
		if r.Quiz <= 0 || r.Noop <= 0 {
			t.Fatalf("throughput: %+v", r)
		}
	})
	t.Run("lists", func(t *testing.T) {
		r := managerLists(t, noTimer, 250, 10, 2)
		if r.Pages != 6 || r.P95 < r.P50 {
			t.Fatalf("lists: %+v", r)
		}
	})
	t.Run("autosave", func(t *testing.T) {
		r := autosave(t, noTimer, 30, 10)
		if r.P99 < r.P50 || r.Attempts != 30 {
			t.Fatalf("autosave: %+v", r)
		}
	})
}
