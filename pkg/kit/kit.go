// Package kit builds the Kratos HTTP and gRPC servers every Vanguard process runs, with the same
// middleware order everywhere: tracing → metrics → logging → recovery → auth → validation, plus
// the /healthz, /readyz and (token-protected, or on a separate listener) /metrics endpoints.
package kit

import (
	"context"
	"net"
	"net/http"
	"time"

	"github.com/go-kratos/kratos/v2/log"
	"github.com/go-kratos/kratos/v2/middleware"
	kgrpc "github.com/go-kratos/kratos/v2/transport/grpc"
	khttp "github.com/go-kratos/kratos/v2/transport/http"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/vanguard/vanguard/pkg/authn"
	"github.com/vanguard/vanguard/pkg/httpx"
	"github.com/vanguard/vanguard/pkg/obs"
	"github.com/vanguard/vanguard/pkg/validate"
)

// Options configure the servers of one process.
type Options struct {
	HTTPAddr string
	GRPCAddr string
	// HTTPListener, when set, is served instead of listening on HTTPAddr (tests, socket
	// activation).
	HTTPListener net.Listener
	// GRPCListener, when set, is served instead of listening on GRPCAddr (standalone binds it
	// early: its services dial it while they are built).
	GRPCListener net.Listener
	Verifier     *authn.Verifier
	// PublicOperations need no access token (login, refresh …).
	PublicOperations []string
	// ServiceOperations accept only service credentials (event acknowledgements …).
	ServiceOperations []string
	Logger            log.Logger
	// AccessLog tunes the request log (sampling of successful requests).
	AccessLog obs.AccessLogConfig
	Metrics   *obs.Metrics
	// Ready is checked by /readyz (e.g. database pings).
	Ready func(ctx context.Context) error
	// MetricsToken, when set, opens /metrics on the public HTTP port to requests carrying
	// "Authorization: Bearer <MetricsToken>"; unset, /metrics there answers 404.
	MetricsToken string
	// MetricsAddr, when set, serves /metrics without a token on a separate listener (see
	// NewMetricsServer), meant for a cluster-internal scrape address. MetricsListener, when set,
	// is served instead of listening on MetricsAddr (tests).
	MetricsAddr     string
	MetricsListener net.Listener
	// NotFound, when set, answers HTTP requests no route matches (standalone: the web app,
	// pkg/webui, which keeps answering 404 for the server's own paths).
	NotFound http.Handler
}

// Middleware returns the shared middleware chain.
func Middleware(o Options) ([]middleware.Middleware, error) {
	val, err := validate.Server()
	if err != nil {
		return nil, err
	}
	return []middleware.Middleware{
		// Outermost: the access log and every handler's log lines carry the request's trace id.
		obs.TracingServer(),
		o.Metrics.Middleware(),
		// Never Kratos' logging.Server: it logs request messages (passwords, tokens, ID numbers).
		obs.AccessLog(o.Logger, o.AccessLog),
		// Inside metrics and the access log, so a panic is counted and logged as the 500 it becomes.
		obs.Recovery(o.Logger),
		authn.ServerRules(o.Verifier, o.Logger, authn.Rules{Public: o.PublicOperations, Service: o.ServiceOperations}),
		val,
	}, nil
}

// NewServers returns the HTTP and gRPC servers (not yet started).
func NewServers(o Options) (*khttp.Server, *kgrpc.Server, error) {
	mw, err := Middleware(o)
	if err != nil {
		return nil, nil, err
	}
	hopts := []khttp.ServerOption{
		khttp.Address(o.HTTPAddr),
		khttp.Timeout(60 * time.Second),
		khttp.Middleware(mw...),
		khttp.ErrorEncoder(httpx.ErrorEncoder),
		khttp.RequestDecoder(httpx.RequestDecoder),
	}
	if o.HTTPListener != nil {
		hopts = append(hopts, khttp.Listener(o.HTTPListener))
	}
	if o.NotFound != nil {
		hopts = append(hopts, khttp.NotFoundHandler(o.NotFound))
	}
	hs := khttp.NewServer(hopts...)
	hs.HandleFunc("/healthz", healthz)
	hs.HandleFunc("/readyz", readyz(o.Ready))
	hs.Handle("/metrics", publicMetricsHandler(o.Metrics, o.MetricsToken))
	gopts := []kgrpc.ServerOption{
		kgrpc.Address(o.GRPCAddr),
		kgrpc.Timeout(60 * time.Second),
		kgrpc.Middleware(mw...),
	}
	if o.GRPCListener != nil {
		gopts = append(gopts, kgrpc.Listener(o.GRPCListener))
	}
	gs := kgrpc.NewServer(gopts...)
	return hs, gs, nil
}

func healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"status":"ok"}`))
}

// readyz answers 200 when ready (nil: always) answers within 2 s, else 503.
func readyz(ready func(ctx context.Context) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if ready != nil {
			ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
			defer cancel()
			if err := ready(ctx); err != nil {
				w.WriteHeader(http.StatusServiceUnavailable)
				_, _ = w.Write([]byte(`{"status":"unavailable"}`))
				return
			}
		}
		_, _ = w.Write([]byte(`{"status":"ready"}`))
	}
}

// NewHealthServer serves /healthz and /readyz alone on addr (and /metrics of metrics, when
// set): the worker role's probes, which has no API to serve.
func NewHealthServer(addr string, ready func(ctx context.Context) error, metrics *obs.Metrics) *MetricsServer {
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", healthz)
	mux.HandleFunc("/readyz", readyz(ready))
	if metrics != nil {
		mux.Handle("/metrics", promhttp.HandlerFor(metrics.Registry, promhttp.HandlerOpts{}))
	}
	return &MetricsServer{srv: &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}, addr: addr}
}
