package main

import (
	"fmt"
	"io"
	"runtime"
	"strings"
	"time"

	"github.com/vanguard/vanguard/deploy/harness/baseline"
	"github.com/vanguard/vanguard/deploy/harness/cluster"
	"github.com/vanguard/vanguard/deploy/harness/workload"
)

// groups are the CPU columns: the service processes by role, the infrastructure, and the harness
// itself (the load generator, in this process).
var groups = []string{"api", "workers", "postgres", "redis", "minio", "gateway", "harness"}

// groupOf puts a process in its CPU column. org-api and search-api run role all (org has no
// worker role; search's Bleve index lives in one process), and count as api.
func groupOf(proc string) string {
	switch {
	case strings.Contains(proc, "-worker"):
		return "workers"
	case strings.HasSuffix(proc, "-api"):
		return "api"
	}
	return proc // postgres, redis, minio, gateway
}

// sample is a point in time: every process's cumulative CPU, the harness's own.
type sample struct {
	at   time.Time
	cpu  map[string]time.Duration
	self time.Duration
}

func (h *harness) snap() sample {
	return sample{at: time.Now(), cpu: h.c.CPU(), self: cluster.SelfCPU()}
}

// usage is what a phase used: CPU by group and wall time.
type usage struct {
	cpu  map[string]time.Duration
	wall time.Duration
}

// since returns what was used from s to now; each call a new value (rows keep the pointer).
func (h *harness) since(s sample) *usage {
	now := h.snap()
	u := &usage{cpu: map[string]time.Duration{}, wall: now.at.Sub(s.at)}
	for proc, d := range now.cpu {
		u.cpu[groupOf(proc)] += d - s.cpu[proc]
	}
	u.cpu["harness"] += now.self - s.self
	return u
}

// total is the CPU of every group.
func (u *usage) total() time.Duration {
	var t time.Duration
	for _, d := range u.cpu {
		t += d
	}
	return t
}

// row is one line of the bench table; a scenario's first row carries its CPU and wall time.
type row struct {
	scenario, figure, value, base, ratio string
	use                                  *usage
}

// throughput compares a rate with its baseline rate.
func throughput(scenario, figure string, v float64, unit string, b *baseline.Result, bname string) row {
	r := row{scenario: scenario, figure: figure, value: fmt.Sprintf("%.1f %s", v, unit)}
	if b != nil && b.PerSecond > 0 {
		r.base = fmt.Sprintf("%.0f/s %s", b.PerSecond, bname)
		r.ratio = fmt.Sprintf("%.3f×", v/b.PerSecond)
	}
	return r
}

// latency compares percentiles with the baseline's (ratio of the p50s and of the p99s).
func latency(scenario, figure string, l workload.Latency, b *baseline.Result, bname string) row {
	r := row{scenario: scenario, figure: figure, value: fmt.Sprintf("p50 %s · p95 %s · p99 %s", ms(l.P50), ms(l.P95), ms(l.P99))}
	if b != nil && b.Latency.N > 0 {
		r.base = fmt.Sprintf("p50 %s · p99 %s %s", ms(b.Latency.P50), ms(b.Latency.P99), bname)
		r.ratio = fmt.Sprintf("p50 %s · p99 %s", times(l.P50, b.Latency.P50), times(l.P99, b.Latency.P99))
	}
	return r
}

func times(a, b time.Duration) string {
	if b <= 0 {
		return "—"
	}
	return fmt.Sprintf("%.1f×", float64(a)/float64(b))
}

func ms(d time.Duration) string {
	switch {
	case d >= time.Second:
		return fmt.Sprintf("%.1fs", d.Seconds())
	case d >= 100*time.Millisecond:
		return fmt.Sprintf("%.0fms", float64(d)/1e6)
	}
	return fmt.Sprintf("%.1fms", float64(d)/1e6)
}

func secs(d time.Duration) string { return fmt.Sprintf("%.1f", d.Seconds()) }

// printBench prints the bench table: each figure, its baseline, the ratio, and each scenario's
// CPU seconds by process group beside its wall time and machine share.
func printBench(w io.Writer, rows []row) {
	head := []string{"scenario", "figure", "value", "baseline (same run)", "ratio"}
	for _, g := range groups {
		head = append(head, g+" CPU s")
	}
	head = append(head, "wall s", "CPU of 2 cores")
	head[len(head)-1] = fmt.Sprintf("CPU of %d cores", runtime.NumCPU())
	fmt.Fprintln(w, "| "+strings.Join(head, " | ")+" |")
	fmt.Fprintln(w, "|"+strings.Repeat(" --- |", len(head)))
	for _, r := range rows {
		cells := []string{r.scenario, r.figure, r.value, dash(r.base), dash(r.ratio)}
		if r.use != nil {
			for _, g := range groups {
				cells = append(cells, secs(r.use.cpu[g]))
			}
			share := "—"
			if r.use.wall >= time.Second { // a share of a few milliseconds says nothing
				share = fmt.Sprintf("%.0f%%", r.use.total().Seconds()/(r.use.wall.Seconds()*float64(runtime.NumCPU()))*100)
			}
			cells = append(cells, secs(r.use.wall), share)
		} else {
			for range len(groups) + 2 {
				cells = append(cells, "")
			}
		}
		fmt.Fprintln(w, "| "+strings.Join(cells, " | ")+" |")
	}
}

func dash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}
