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

	"github.com/vanguard/vanguard/pkg/obs"
)

// BenchmarkSearchLag measures publish → searchable in the standalone process: a member's course
// is published and assigned through the router, course's outbox relays the events to search's
// inbox, search marks the course, waits its debounce (300 ms) and syncs it from course's feed
// over gRPC into Bleve; the member's search polls every 10 ms. lag_p50_ms and lag_p99_ms are
// over 60 courses, from the assignment's reply to the first search that finds the course;
// debounce_ms is the part of it the service waits on purpose (a burst of events on one course
// makes one sync).
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
				if r := l.search(member, title); r.status == 200 && slices.Contains(hitIDs(r), "course:"+c) {
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
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(ms(percentile(lags, 0.5)), "lag_p50_ms")
	b.ReportMetric(ms(percentile(lags, 0.99)), "lag_p99_ms")
	b.ReportMetric(300, "debounce_ms")
}

func percentile(ds []time.Duration, p float64) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[min(len(s)-1, int(float64(len(s))*p))]
}
