package obs

import (
	"context"
	"os"
	"strconv"

	kerrors "github.com/go-kratos/kratos/v2/errors"
	"github.com/go-kratos/kratos/v2/middleware"
	"github.com/go-kratos/kratos/v2/transport"
	khttp "github.com/go-kratos/kratos/v2/transport/http"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// Tracing follows one request across the processes it touches: the gateway, each service's HTTP
// and gRPC servers, the gRPC calls between services and the Asynq tasks a request enqueues. The
// W3C trace context travels in the `traceparent` header (HTTP), the same gRPC metadata key and an
// Asynq task header of that name; every log line written with the request's or task's context
// carries its trace_id and span_id (NewLogger), so an operator can find one request's lines in
// every service's log, with or without a trace collector.
//
// Spans never carry request or reply bodies, and a 4xx error is recorded by its code and reason
// only (its message may quote what the caller sent), as in the access log.

// Propagator is the trace context's wire format: W3C traceparent/tracestate only (no baggage:
// nothing a client sends is copied into every downstream request).
var Propagator propagation.TextMapPropagator = propagation.TraceContext{}

const tracerName = "github.com/vanguard/vanguard/pkg/obs"

// Tracer is the tracer of Vanguard's own spans, from the global provider (SetupTracing).
func Tracer() trace.Tracer { return otel.GetTracerProvider().Tracer(tracerName) }

// SetupTracing installs the process's tracer provider for service. Every span gets trace and
// span ids (so log lines correlate); spans are recorded and exported over OTLP/HTTP only when
// OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set (the exporter reads
// the other OTEL_EXPORTER_OTLP_* variables itself), then sampled as OTEL_TRACES_SAMPLER says
// (default: parent-based, always on); without an endpoint none is recorded. The returned func flushes and stops the provider.
func SetupTracing(ctx context.Context, service string) (func(context.Context) error, error) {
	opts := []sdktrace.TracerProviderOption{
		sdktrace.WithResource(resource.NewSchemaless(attribute.String("service.name", "vanguard-"+service))),
	}
	if os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || os.Getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != "" {
		exp, err := otlptracehttp.New(ctx)
		if err != nil {
			return nil, err
		}
		opts = append(opts, sdktrace.WithBatcher(exp))
	} else {
		// Nothing exports: record nothing. Spans still get ids (and pass them on), so log
		// lines correlate, without each request paying for attributes no one reads.
		opts = append(opts, sdktrace.WithSampler(sdktrace.NeverSample()))
	}
	tp := sdktrace.NewTracerProvider(opts...)
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(Propagator)
	return tp.Shutdown, nil
}

// TracingServer starts a server span per request (HTTP or gRPC), continuing the caller's trace
// from the request's traceparent. It is the outermost server middleware, so the access log and
// every handler's log lines see the span.
func TracingServer() middleware.Middleware {
	return func(next middleware.Handler) middleware.Handler {
		return func(ctx context.Context, req any) (any, error) {
			tr, ok := transport.FromServerContext(ctx)
			if !ok {
				return next(ctx, req)
			}
			ctx = Propagator.Extract(ctx, tr.RequestHeader())
			attrs := []attribute.KeyValue{attribute.String("rpc.system", tr.Kind().String())}
			if ht, ok := tr.(khttp.Transporter); ok {
				attrs = append(attrs,
					attribute.String("http.request.method", ht.Request().Method),
					attribute.String("http.route", ht.PathTemplate()))
			}
			ctx, span := Tracer().Start(ctx, tr.Operation(), trace.WithSpanKind(trace.SpanKindServer), trace.WithAttributes(attrs...))
			defer span.End()
			reply, err := next(ctx, req)
			EndSpan(span, err)
			return reply, err
		}
	}
}

// TracingClient starts a client span per outgoing gRPC call and sends the trace context along.
func TracingClient() middleware.Middleware {
	return func(next middleware.Handler) middleware.Handler {
		return func(ctx context.Context, req any) (any, error) {
			tr, ok := transport.FromClientContext(ctx)
			if !ok {
				return next(ctx, req)
			}
			ctx, span := Tracer().Start(ctx, tr.Operation(), trace.WithSpanKind(trace.SpanKindClient),
				trace.WithAttributes(attribute.String("rpc.system", tr.Kind().String()), attribute.String("server.address", tr.Endpoint())))
			defer span.End()
			Propagator.Inject(ctx, tr.RequestHeader())
			reply, err := next(ctx, req)
			EndSpan(span, err)
			return reply, err
		}
	}
}

// EndSpan records err's outcome on span the way the access log does: the status code and
// reason always, the error text only for server errors (5xx), which are the span's errors.
func EndSpan(span trace.Span, err error) {
	if err == nil {
		return
	}
	se := kerrors.FromError(err)
	span.SetAttributes(attribute.Int("rpc.status_code", int(se.Code)), attribute.String("error.reason", se.Reason))
	if se.Code >= 500 {
		span.RecordError(err)
		span.SetStatus(codes.Error, se.Reason+" "+strconv.Itoa(int(se.Code)))
	}
}
