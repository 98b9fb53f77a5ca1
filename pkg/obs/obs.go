// Package obs provides structured logging and Prometheus metrics shared by every service.
package obs

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"time"

	kerrors "github.com/go-kratos/kratos/v2/errors"
	"github.com/go-kratos/kratos/v2/log"
	"github.com/go-kratos/kratos/v2/middleware"
	"github.com/go-kratos/kratos/v2/transport"
	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/trace"
)

// NewLogger returns a Kratos logger writing JSON lines through log/slog. A line written with a
// request's or task's context (log.WithContext, Helper.WithContext) carries its trace_id and
// span_id; other lines leave both out.
func NewLogger(w io.Writer, service string) log.Logger {
	h := slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug})
	return log.With(&slogLogger{l: slog.New(h)}, "service", service, "trace_id", log.Valuer(traceID), "span_id", log.Valuer(spanID))
}

func traceID(ctx context.Context) any {
	if sc := trace.SpanContextFromContext(ctx); sc.HasTraceID() {
		return sc.TraceID().String()
	}
	return nil
}

func spanID(ctx context.Context) any {
	if sc := trace.SpanContextFromContext(ctx); sc.HasSpanID() {
		return sc.SpanID().String()
	}
	return nil
}

type slogLogger struct{ l *slog.Logger }

func (s *slogLogger) Log(level log.Level, keyvals ...any) error {
	var lvl slog.Level
	switch level {
	case log.LevelDebug:
		lvl = slog.LevelDebug
	case log.LevelWarn:
		lvl = slog.LevelWarn
	case log.LevelError, log.LevelFatal:
		lvl = slog.LevelError
	default:
		lvl = slog.LevelInfo
	}
	msg := ""
	attrs := make([]any, 0, len(keyvals))
	for i := 0; i+1 < len(keyvals); i += 2 {
		k := fmt.Sprint(keyvals[i])
		if k == "msg" {
			msg = fmt.Sprint(keyvals[i+1])
			continue
		}
		if keyvals[i+1] == nil && (k == "trace_id" || k == "span_id") {
			continue // a line outside any request or task
		}
		attrs = append(attrs, slog.Any(k, keyvals[i+1]))
	}
	s.l.Log(context.Background(), lvl, msg, attrs...)
	return nil
}

// Metrics holds the request metrics of one process.
type Metrics struct {
	Registry *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

// NewMetrics creates a registry with Go/process collectors and request metrics.
func NewMetrics() *Metrics {
	reg := prometheus.NewRegistry()
	reg.MustRegister(prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
	m := &Metrics{
		Registry: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vanguard_requests_total", Help: "Requests handled, by transport, operation and status code.",
		}, []string{"kind", "operation", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "vanguard_request_duration_seconds", Help: "Request latency by transport and operation.",
			Buckets: prometheus.DefBuckets,
		}, []string{"kind", "operation"}),
	}
	reg.MustRegister(m.requests, m.duration)
	return m
}

// Middleware records count and latency of every request.
func (m *Metrics) Middleware() middleware.Middleware {
	return func(next middleware.Handler) middleware.Handler {
		return func(ctx context.Context, req any) (any, error) {
			kind, op := "unknown", "unknown"
			if tr, ok := transport.FromServerContext(ctx); ok {
				kind, op = string(tr.Kind()), tr.Operation()
			}
			start := time.Now()
			reply, err := next(ctx, req)
			code := 200
			if err != nil {
				code = int(kerrors.Code(err))
			}
			m.requests.WithLabelValues(kind, op, strconv.Itoa(code)).Inc()
			m.duration.WithLabelValues(kind, op).Observe(time.Since(start).Seconds())
			return reply, err
		}
	}
}
