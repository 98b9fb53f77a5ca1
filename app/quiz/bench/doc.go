// Package bench holds the quiz service's end-to-end benchmarks (run with `make bench`): the
// exam-end submit storm, grading throughput against a no-op Asynq handler, and autosave latency
// under many open attempts. Each benchmark wires the real services the way the distributed
// binaries do — the org service on PostgreSQL behind gRPC, the quiz API behind its Kratos HTTP
// router, quiz:grade workers on a real Redis (DB 13, flushed first) — and drives them over HTTP.
//
// The benchmarks report figures with b.ReportMetric and never assert timings; they do assert
// correctness (every submitted attempt graded exactly once: lost = 0, duplicates = 0).
//
// One iteration is a whole scenario, so unless -benchtime is given the package runs each
// benchmark exactly once (TestMain sets -test.benchtime=1x). The 5,000-member, 60-second storm
// runs only with VANGUARD_BENCH_FULL=1 or an explicit -benchtime of 60s or more.
package bench
