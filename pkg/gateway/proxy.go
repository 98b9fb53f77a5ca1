package gateway

import (
	"fmt"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/vanguard/vanguard/pkg/obs"
)

// Handler is the gateway: /v1/… requests go to the service the table names, /openapi/<svc>.yaml
// to that service, /healthz answers here, and every other path is the web app's (web; nil: 404).
// A /v1 path no route matches is answered here with 404 and never reaches a service.
func Handler(t *Table, upstreams map[string]*url.URL, web http.Handler) (http.Handler, error) {
	proxies := map[string]*httputil.ReverseProxy{}
	for _, r := range t.routes {
		if _, ok := proxies[r.Service]; ok {
			continue
		}
		u, ok := upstreams[r.Service]
		if !ok || u == nil {
			return nil, fmt.Errorf("gateway: no upstream for %s", r.Service)
		}
		proxies[r.Service] = &httputil.ReverseProxy{
			Rewrite: func(pr *httputil.ProxyRequest) {
				pr.SetURL(u)
				pr.Out.Host = pr.In.Host // the service sees the public host (signed URLs, cookies)
				pr.SetXForwarded()
				// The gateway's span is the parent of the service's: send its trace context on.
				obs.Propagator.Inject(pr.Out.Context(), propagation.HeaderCarrier(pr.Out.Header))
			},
			ErrorHandler: func(w http.ResponseWriter, _ *http.Request, _ error) {
				writeError(w, http.StatusBadGateway, "UNAVAILABLE", "服务暂时不可用，请稍后再试")
			},
		}
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/healthz":
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write([]byte("ok"))
		case strings.HasPrefix(r.URL.Path, "/v1/"):
			route, ok := t.Match(r.Method, r.URL.Path)
			if !ok {
				writeError(w, http.StatusNotFound, "NOT_FOUND", "接口不存在")
				return
			}
			ctx := obs.Propagator.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
			ctx, span := obs.Tracer().Start(ctx, r.Method+" "+route.Template, trace.WithSpanKind(trace.SpanKindServer),
				trace.WithAttributes(attribute.String("http.request.method", r.Method), attribute.String("http.route", route.Template),
					attribute.String("vanguard.service", route.Service)))
			sw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
			proxies[route.Service].ServeHTTP(sw, r.WithContext(ctx))
			span.SetAttributes(attribute.Int("http.response.status_code", sw.code))
			if sw.code >= 500 {
				span.SetStatus(codes.Error, http.StatusText(sw.code))
			}
			span.End()
		case strings.HasPrefix(r.URL.Path, "/openapi/") && strings.HasSuffix(r.URL.Path, ".yaml"):
			svc := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/openapi/"), ".yaml")
			if p, ok := proxies[svc]; ok && r.Method == http.MethodGet {
				p.ServeHTTP(w, r)
				return
			}
			http.NotFound(w, r)
		case web != nil:
			web.ServeHTTP(w, r)
		default:
			http.NotFound(w, r)
		}
	}), nil
}

func writeError(w http.ResponseWriter, code int, reason, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_, _ = fmt.Fprintf(w, `{"code":%d,"reason":%q,"message":%q,"metadata":{}}`, code, reason, msg)
}

// statusWriter remembers the status code written through it, for the gateway's span.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	w.code = code
	w.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the underlying writer (flushes of streamed replies).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
