package kit

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/vanguard/vanguard/pkg/obs"
)

// publicMetricsHandler guards /metrics on the public HTTP port: without a configured scrape token
// the endpoint does not exist there (404), and with one a request must carry
// "Authorization: Bearer <token>" (401 otherwise). Metrics reveal operation names, traffic and
// error rates, and process details, so anonymous callers on the public port get nothing.
func publicMetricsHandler(m *obs.Metrics, token string) http.Handler {
	if token == "" {
		return http.NotFoundHandler()
	}
	want := sha256.Sum256([]byte(token))
	metrics := promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok := bearerToken(r.Header.Get("Authorization"))
		// Compare digests so neither the content nor the length of the token leaks through timing.
		sum := sha256.Sum256([]byte(got))
		if !ok || subtle.ConstantTimeCompare(sum[:], want[:]) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
			http.Error(w, "需要有效的指标抓取令牌", http.StatusUnauthorized)
			return
		}
		metrics.ServeHTTP(w, r)
	})
}

func bearerToken(header string) (string, bool) {
	const prefix = "Bearer "
	if len(header) <= len(prefix) || !strings.EqualFold(header[:len(prefix)], prefix) {
		return "", false
	}
	return strings.TrimSpace(header[len(prefix):]), true
}

// MetricsServer serves /metrics without a token on its own listener, meant for a scrape address
// reachable only inside the cluster (Options.MetricsAddr). It is a Kratos transport.Server; a nil
// *MetricsServer (no separate address configured) starts and stops as a no-op.
type MetricsServer struct {
	srv  *http.Server
	addr string

	mu  sync.Mutex
	lis net.Listener
}

// NewMetricsServer returns the separate metrics listener of o, or nil when neither
// o.MetricsAddr nor o.MetricsListener is set.
func NewMetricsServer(o Options) *MetricsServer {
	if o.MetricsAddr == "" && o.MetricsListener == nil {
		return nil
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(o.Metrics.Registry, promhttp.HandlerOpts{}))
	return &MetricsServer{
		srv:  &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second},
		addr: o.MetricsAddr,
		lis:  o.MetricsListener,
	}
}

func (s *MetricsServer) listen() (net.Listener, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lis == nil {
		lis, err := net.Listen("tcp", s.addr)
		if err != nil {
			return nil, fmt.Errorf("metrics listen %s: %w", s.addr, err)
		}
		s.lis = lis
	}
	return s.lis, nil
}

// Endpoint binds the listener (if not yet bound) and returns its address as http://host:port.
func (s *MetricsServer) Endpoint() (*url.URL, error) {
	lis, err := s.listen()
	if err != nil {
		return nil, err
	}
	return &url.URL{Scheme: "http", Host: lis.Addr().String()}, nil
}

// Start serves until Stop.
func (s *MetricsServer) Start(context.Context) error {
	if s == nil {
		return nil
	}
	lis, err := s.listen()
	if err != nil {
		return err
	}
	if err := s.srv.Serve(lis); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Stop shuts the server down gracefully and closes the listener even if Start never ran.
func (s *MetricsServer) Stop(ctx context.Context) error {
	if s == nil {
		return nil
	}
	err := s.srv.Shutdown(ctx)
	s.mu.Lock()
	if s.lis != nil {
		_ = s.lis.Close() // already closed by Shutdown when Start ran
	}
	s.mu.Unlock()
	return err
}
