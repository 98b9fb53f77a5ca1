package workload

import (
	"context"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Latency is a distribution's percentiles (nearest rank) and extremes.
type Latency struct {
	N             int
	P50, P95, P99 time.Duration
	Max           time.Duration
}

func (l Latency) String() string {
	if l.N == 0 {
		return "n=0"
	}
	return fmt.Sprintf("n=%d p50=%s p95=%s p99=%s max=%s", l.N, ms(l.P50), ms(l.P95), ms(l.P99), ms(l.Max))
}

// ms formats a duration in milliseconds with one decimal.
func ms(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond)) }

// Recorder collects durations from many goroutines (the baselines use it too).
type Recorder struct {
	mu sync.Mutex
	d  []time.Duration
}

// Add records one duration.
func (r *Recorder) Add(d time.Duration) {
	r.mu.Lock()
	r.d = append(r.d, d)
	r.mu.Unlock()
}

// Latency is the distribution recorded so far.
func (r *Recorder) Latency() Latency {
	r.mu.Lock()
	s := slices.Clone(r.d)
	r.mu.Unlock()
	return LatencyOf(s)
}

// LatencyOf is the distribution of s, which it sorts.
func LatencyOf(s []time.Duration) Latency {
	if len(s) == 0 {
		return Latency{}
	}
	slices.Sort(s)
	pct := func(p float64) time.Duration {
		k := int(float64(len(s))*p/100+0.999999) - 1
		return s[max(0, min(k, len(s)-1))]
	}
	return Latency{N: len(s), P50: pct(50), P95: pct(95), P99: pct(99), Max: s[len(s)-1]}
}

// counter counts occurrences by key ("HTTP 503", "too_fast" …) from many goroutines.
type counter struct {
	mu sync.Mutex
	m  map[string]int
}

func (c *counter) add(key string) {
	c.mu.Lock()
	if c.m == nil {
		c.m = map[string]int{}
	}
	c.m[key]++
	c.mu.Unlock()
}

func (c *counter) snapshot() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]int, len(c.m))
	for k, v := range c.m {
		out[k] = v
	}
	return out
}

func (c *counter) total() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, v := range c.m {
		n += v
	}
	return n
}

// FormatCounts renders a count map as "a=1 b=2", keys sorted; "none" when empty.
func FormatCounts(m map[string]int) string {
	if len(m) == 0 {
		return "none"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%d", k, m[k])
	}
	return strings.Join(parts, " ")
}

// rate is n per second over d (0 for an empty interval).
func rate(n int, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}

// logger writes progress lines to Env.Log (nothing when it is nil).
type logger struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *logger) printf(format string, args ...any) {
	if l == nil || l.w == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.w, "%s workload: %s\n", time.Now().Format("15:04:05.000"), fmt.Sprintf(format, args...))
}

// parallel runs fn(ctx, 0..n-1) on at most workers goroutines and returns the first error;
// after an error (or when ctx ends) the remaining items are skipped.
func parallel(parent context.Context, n, workers int, fn func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	var (
		next  atomic.Int64
		mu    sync.Mutex
		first error
		wg    sync.WaitGroup
	)
	for range max(1, min(workers, n)) {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := fn(ctx, i); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
					cancel()
				}
			}
		})
	}
	wg.Wait()
	if first == nil && int(next.Load()) < n {
		first = parent.Err() // stopped before every item ran
	}
	return first
}

// progress logs "what: i/n" about every step items and at the end.
type progress struct {
	log   *logger
	what  string
	n     int
	step  int
	done  atomic.Int64
	start time.Time
}

func newProgress(l *logger, what string, n int) *progress {
	return &progress{log: l, what: what, n: n, step: max(1, n/10), start: time.Now()}
}

func (p *progress) tick() {
	d := int(p.done.Add(1))
	if d%p.step == 0 || d == p.n {
		p.log.printf("%s: %d/%d (%.1fs)", p.what, d, p.n, time.Since(p.start).Seconds())
	}
}
