package obs_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	kerrors "github.com/go-kratos/kratos/v2/errors"
	"github.com/go-kratos/kratos/v2/log"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/vanguard/vanguard/pkg/obs"
)

// With an OTLP endpoint set, SetupTracing exports the process's spans there over OTLP/HTTP,
// named by the service; the shutdown it returns flushes them.
func TestSetupTracingExportsOverOTLP(t *testing.T) {
	var mu sync.Mutex
	var bodies [][]byte
	var paths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies, paths = append(bodies, b), append(paths, r.URL.Path)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/x-protobuf")
	}))
	defer srv.Close()
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", srv.URL)
	prev := otel.GetTracerProvider()
	t.Cleanup(func() { otel.SetTracerProvider(prev) })
	stop, err := obs.SetupTracing(context.Background(), "quiz")
	if err != nil {
		t.Fatal(err)
	}
	_, span := obs.Tracer().Start(context.Background(), "exported-span-name")
	span.End()
	if err := stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(bodies) == 0 || paths[0] != "/v1/traces" {
		t.Fatalf("nothing exported to /v1/traces: %v", paths)
	}
	all := bytes.Join(bodies, nil)
	for _, want := range []string{"exported-span-name", "vanguard-quiz"} {
		if !bytes.Contains(all, []byte(want)) {
			t.Errorf("the export lacks %q", want)
		}
	}
}

// A log line written with a span's context carries its trace and span ids; one without leaves
// both keys out.
func TestLogLinesCarryTheTraceID(t *testing.T) {
	var buf bytes.Buffer
	logger := obs.NewLogger(&buf, "quiz")
	tid, _ := trace.TraceIDFromHex("4bf92f3577b34da6a3ce929d0e0e4736")
	sid, _ := trace.SpanIDFromHex("00f067aa0ba902b7")
	ctx := trace.ContextWithSpanContext(context.Background(), trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid}))
	_ = log.WithContext(ctx, logger).Log(log.LevelInfo, "msg", "in a request")
	_ = logger.Log(log.LevelInfo, "msg", "outside")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("lines: %q", lines)
	}
	if !strings.Contains(lines[0], `"trace_id":"4bf92f3577b34da6a3ce929d0e0e4736"`) || !strings.Contains(lines[0], `"span_id":"00f067aa0ba902b7"`) {
		t.Errorf("the request's line: %s", lines[0])
	}
	if strings.Contains(lines[1], "trace_id") || strings.Contains(lines[1], "span_id") {
		t.Errorf("the line outside a request: %s", lines[1])
	}
}

// A 4xx is recorded by its code and reason only (its message may quote what the caller sent);
// a 5xx is the span's error, with its text.
func TestEndSpanKeepsClientMessagesOut(t *testing.T) {
	sr := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sr))
	for _, err := range []error{
		kerrors.BadRequest("INVALID_ARGUMENT", "nationalId: 11010519491231002X is not valid"),
		kerrors.InternalServer("INTERNAL", "database is gone"),
	} {
		_, span := tp.Tracer("t").Start(context.Background(), "op")
		obs.EndSpan(span, err)
		span.End()
	}
	spans := sr.Ended()
	bad, internal := spans[0], spans[1]
	if bad.Status().Code != codes.Unset || len(bad.Events()) != 0 || strings.Contains(fmt.Sprint(bad.Attributes()), "11010519491231002X") {
		t.Fatalf("the 400's span: status %v, events %v, attributes %v", bad.Status(), bad.Events(), bad.Attributes())
	}
	if !strings.Contains(fmt.Sprint(bad.Attributes()), "INVALID_ARGUMENT") {
		t.Fatalf("the 400's reason is missing: %v", bad.Attributes())
	}
	if internal.Status().Code != codes.Error || len(internal.Events()) != 1 {
		t.Fatalf("the 500's span: status %v, events %v", internal.Status(), internal.Events())
	}
}

// Without an endpoint nothing is recorded, yet spans still carry ids for the logs, and a
// caller's trace id is kept.
func TestSetupTracingWithoutEndpointRecordsNothing(t *testing.T) {
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "")
	t.Setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "")
	prev := otel.GetTracerProvider()
	t.Cleanup(func() { otel.SetTracerProvider(prev) })
	stop, err := obs.SetupTracing(context.Background(), "quiz")
	if err != nil {
		t.Fatal(err)
	}
	defer stop(context.Background())
	_, span := obs.Tracer().Start(context.Background(), "op")
	if span.IsRecording() || !span.SpanContext().IsValid() {
		t.Fatalf("recording %v, span context %v", span.IsRecording(), span.SpanContext())
	}
	tid, _ := trace.TraceIDFromHex("4bf92f3577b34da6a3ce929d0e0e4736")
	sid, _ := trace.SpanIDFromHex("00f067aa0ba902b7")
	parent := trace.ContextWithRemoteSpanContext(context.Background(), trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled, Remote: true}))
	_, child := obs.Tracer().Start(parent, "op")
	if child.IsRecording() || child.SpanContext().TraceID() != tid {
		t.Fatalf("child: recording %v, trace %s", child.IsRecording(), child.SpanContext().TraceID())
	}
}
