package standalone

import (
	"context"
	"fmt"
	"io"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/go-kratos/kratos/v2/log"
	"github.com/go-kratos/kratos/v2/transport"
	"github.com/hibiken/asynq"

	"github.com/vanguard/vanguard/pkg/obs"
	"github.com/vanguard/vanguard/pkg/queue"
)

// BenchmarkSearchLag measures publish → searchable in the standalone process: a member's course
// is published and assigned through the router, course's outbox relays the events to search's
// inbox, search marks the course, waits its debounce (300 ms) and syncs it from course's feed
// over gRPC into Bleve; the member's search polls every 10 ms. lag_p50_ms and lag_p99_ms are
// over 60 courses, from the assignment's reply to the first search that finds the course;
// bare_scheduled_* is the physical baseline in the same run: a no-op task queued 300 ms ahead
// (the service's debounce, which makes a burst of events on one course one sync) on the same
// Redis, from the enqueue to its handler.
func BenchmarkSearchLag(b *testing.B) {
	dir := filepath.Join(b.TempDir(), "data")
	cfg := testConfig(dir)
	cfg.AdminPassword = "Admin-pass-2026"
	p, err := Build(context.Background(), cfg, log.NewFilter(obs.NewLogger(io.Discard, "bench")))
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	servers := append([]transport.Server{p.GRPC, p.Tasks, p.reconciler}, p.modules.Relays()...)
	for _, s := range servers {
		go func() { _ = s.Start(ctx) }()
	}
	defer func() {
		stop, done := context.WithTimeout(context.Background(), 5*time.Second)
		defer done()
		for _, s := range servers {
			_ = s.Stop(stop)
		}
	}()
	api := httptest.NewServer(p.HTTP)
	defer api.Close()
	l := &live{t: b, url: api.URL, p: p, ctx: ctx, dir: dir}
	admin := l.must(l.call("POST", "/v1/auth/login", "", map[string]any{"username": "admin", "password": "Admin-pass-2026"}), 200).s("accessToken")
	branch := l.must(l.call("POST", "/v1/orgs", admin, map[string]any{"parentId": "0", "name": "基准党支部", "code": "bench", "type": "BRANCH"}), 200).s("id")
	l.must(l.call("POST", "/v1/accounts", admin, map[string]any{"username": "benchm", "displayName": "benchm", "password": "Passw0rd-benchm",
		"roles": []string{"MEMBER"}, "orgId": branch}), 200)
	member := l.must(l.call("POST", "/v1/auth/login", "", map[string]any{"username": "benchm", "password": "Passw0rd-benchm"}), 200).s("accessToken")

	// The first start builds the index (empty) before anything is timed.
	for i := 0; ; i++ {
		if g := l.must(l.call("GET", "/v1/search/status", admin, nil), 200).s("generation"); g != "" && g != "0" {
			break
		}
		if i > 1000 {
			b.Fatal("the first index was never built")
		}
		time.Sleep(10 * time.Millisecond)
	}
	const courses = 60
	var lags []time.Duration
	for range b.N {
		lags = lags[:0]
		for i := range courses {
			title := fmt.Sprintf("基准课程第%d讲乡村振兴", i)
			c := l.must(l.call("POST", "/v1/courses", admin, map[string]any{"title": title}), 200).s("id")
			ch := l.must(l.call("POST", "/v1/courses/"+c+"/chapters", admin, map[string]any{"title": "第一章"}), 200).s("id")
			l.must(l.call("POST", "/v1/chapters/"+ch+"/lessons", admin, map[string]any{"title": "课时", "kind": "ARTICLE", "bodyHtml": "<p>正文</p>"}), 200)
			l.must(l.call("POST", "/v1/courses/"+c+":publish", admin, map[string]any{}), 200)
			l.must(l.call("POST", "/v1/courses/"+c+"/assignments", admin, map[string]any{"orgIds": []string{branch}}), 200)
			t0 := time.Now()
			for {
				if r := l.search(member, title); r.status == 200 && slices.Contains(idsOf(r, "hits"), "course:"+c) {
					break
				}
				if time.Since(t0) > 30*time.Second {
					b.Fatalf("course %s never became searchable", c)
				}
				time.Sleep(10 * time.Millisecond)
			}
			lags = append(lags, time.Since(t0))
		}
	}
	floor := scheduledFloor(b, p.RedisAddr, courses)
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(ms(percentile(lags, 0.5)), "lag_p50_ms")
	b.ReportMetric(ms(percentile(lags, 0.99)), "lag_p99_ms")
	b.ReportMetric(ms(percentile(floor, 0.5)), "bare_scheduled_p50_ms")
	b.ReportMetric(ms(percentile(floor, 0.99)), "bare_scheduled_p99_ms")
	b.ReportMetric(float64(percentile(lags, 0.99))/float64(percentile(floor, 0.99)), "lag/bare_p99")
}

// scheduledFloor is the physical baseline of the lag, in the same run on the same Redis: a no-op
// task queued 300 ms ahead (the sync's debounce) on a queue server of its own, from the enqueue
// to its handler, n times one after another.
func scheduledFloor(b *testing.B, redisAddr string, n int) []time.Duration {
	srv, err := queue.NewServer(asynq.RedisClientOpt{Addr: redisAddr}, queue.Config{Queues: map[string]int{"benchfloor": 1}}, log.NewStdLogger(io.Discard))
	if err != nil {
		b.Fatal(err)
	}
	done := make(chan time.Time, 1)
	srv.HandleFunc("bench:noop", func(context.Context, *asynq.Task) error { done <- time.Now(); return nil })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = srv.Start(ctx) }()
	defer func() { _ = srv.Stop(context.Background()) }()
	client, err := queue.NewClient(asynq.RedisClientOpt{Addr: redisAddr})
	if err != nil {
		b.Fatal(err)
	}
	defer client.Close()
	out := make([]time.Duration, 0, n)
	for range n {
		t0 := time.Now()
		if err := client.Enqueue(ctx, asynq.NewTask("bench:noop", nil), asynq.Queue("benchfloor"), asynq.ProcessIn(300*time.Millisecond)); err != nil {
			b.Fatal(err)
		}
		select {
		case at := <-done:
			out = append(out, at.Sub(t0))
		case <-time.After(30 * time.Second):
			b.Fatal("the no-op task never ran")
		}
	}
	return out
}

func percentile(ds []time.Duration, p float64) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[min(len(s)-1, int(float64(len(s))*p))]
}
