package kit

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vanguard/vanguard/pkg/obs"
)

// /metrics on the public port: absent without a token (404), 401 for a missing or wrong bearer
// token, the metrics text for the right one.
func TestPublicMetricsHandler(t *testing.T) {
	m := obs.NewMetrics()
	get := func(h http.Handler, auth string) (int, string) {
		r := httptest.NewRequest("GET", "/metrics", nil)
		if auth != "" {
			r.Header.Set("Authorization", auth)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Code, w.Body.String()
	}
	if code, _ := get(publicMetricsHandler(m, ""), "Bearer "); code != 404 {
		t.Fatalf("no token configured = %d, want 404", code)
	}
	h := publicMetricsHandler(m, "scrape-s3cret")
	for _, auth := range []string{"", "Bearer", "Bearer scrape-s3cre", "Bearer scrape-s3cret2", "Basic scrape-s3cret", "scrape-s3cret"} {
		if code, body := get(h, auth); code != 401 || strings.Contains(body, "go_goroutines") {
			t.Errorf("Authorization %q = %d %q, want 401", auth, code, body)
		}
	}
	if code, body := get(h, "bearer  scrape-s3cret "); code != 200 || !strings.Contains(body, "go_goroutines") {
		t.Fatalf("right token = %d %q", code, body)
	}
}

// The separate listener serves /metrics without a token, nothing else, and stops cleanly; with no
// address configured there is no server.
func TestMetricsServer(t *testing.T) {
	if s := NewMetricsServer(Options{Metrics: obs.NewMetrics()}); s != nil {
		t.Fatal("metrics server without an address")
	}
	var none *MetricsServer
	if none.Start(context.Background()) != nil || none.Stop(context.Background()) != nil {
		t.Fatal("nil metrics server must start and stop as a no-op")
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := NewMetricsServer(Options{Metrics: obs.NewMetrics(), MetricsListener: lis})
	done := make(chan error, 1)
	go func() { done <- s.Start(context.Background()) }()
	u, err := s.Endpoint()
	if err != nil || u.Host != lis.Addr().String() {
		t.Fatalf("endpoint = %v %v", u, err)
	}
	res, err := http.Get(u.String() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(body), "go_goroutines") {
		t.Fatalf("GET /metrics = %d %q", res.StatusCode, body)
	}
	if res, err := http.Get(u.String() + "/v1/me"); err != nil || res.StatusCode != 404 {
		t.Fatalf("GET /v1/me on the metrics listener = %v %v", res, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("Start returned %v", err)
	}
}

// The worker role's health server answers /healthz, /readyz by the module's readiness, and
// nothing else.
func TestHealthServer(t *testing.T) {
	var down atomic.Bool
	s := NewHealthServer("127.0.0.1:0", func(context.Context) error {
		if down.Load() {
			return errors.New("database down")
		}
		return nil
	}, nil)
	u, err := s.Endpoint()
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = s.Start(context.Background()) }()
	defer s.Stop(context.Background())
	get := func(path string) int {
		t.Helper()
		res, err := http.Get(u.String() + path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if get("/healthz") != 200 || get("/readyz") != 200 || get("/v1/me") != 404 || get("/metrics") != 404 {
		t.Fatal("health server answers")
	}
	down.Store(true)
	if get("/readyz") != 503 || get("/healthz") != 200 {
		t.Fatal("a module not ready is still ready")
	}
}
