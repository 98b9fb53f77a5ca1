package standalone

import (
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// traced sends a request carrying the W3C trace context traceparent (trace id tid, parent span
// id parent), as a gateway or an instrumented client would.
func (l *live) traced(method, path, token string, body any, tid, parent string) reply {
	l.t.Helper()
	return l.callWith(method, path, token, body, map[string]string{"traceparent": "00-" + tid + "-" + parent + "-01"})
}

// recordSpans makes the global tracer provider record every span ended from now on (the test's
// process only), restoring the previous one after the test.
func recordSpans(t *testing.T) *tracetest.SpanRecorder {
	sr := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sr))
	prev := otel.GetTracerProvider()
	otel.SetTracerProvider(tp)
	t.Cleanup(func() { otel.SetTracerProvider(prev); _ = tp.Shutdown(t.Context()) })
	return sr
}

func spansOf(sr *tracetest.SpanRecorder, tid string) []sdktrace.ReadOnlySpan {
	var out []sdktrace.ReadOnlySpan
	for _, s := range sr.Ended() {
		if s.SpanContext().TraceID().String() == tid {
			out = append(out, s)
		}
	}
	return out
}

func describe(spans []sdktrace.ReadOnlySpan) string {
	var b strings.Builder
	for _, s := range spans {
		b.WriteString(s.SpanKind().String() + " " + s.Name() + " parent=" + s.Parent().SpanID().String() + " id=" + s.SpanContext().SpanID().String() + "\n")
	}
	return b.String()
}

// One request is followed across the process: the HTTP server continues the caller's trace, the
// gRPC call quiz makes to org (resolving the exam's target orgs) carries it to org's gRPC server,
// the grading task a submit enqueues runs in a span of the same trace, and so does studyhour's
// task for the attempt.graded event the grade wrote; the access log lines of both requests carry
// the trace id.
func TestTraceFollowsARequestAcrossHTTPGRPCAndTasks(t *testing.T) {
	sr := recordSpans(t)
	l := startLive(t)
	w := newQuizWorld(t, l)
	now := l.clock.Now()

	// Exam creation: HTTP server → gRPC client → org's gRPC server, one trace.
	const createTrace, createParent = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
	paper := l.must(l.call("POST", "/v1/papers", w.trainer, map[string]any{"title": "追踪", "items": []map[string]any{{"questionId": w.single}}}), 200).s("id")
	exam := l.must(l.traced("POST", "/v1/exams", w.trainer, map[string]any{
		"paperId": paper, "title": "追踪考试", "opensAt": now.Add(-time.Minute).Format(time.RFC3339), "closesAt": now.Add(time.Hour).Format(time.RFC3339),
		"durationMinutes": 30, "attemptsAllowed": 1, "resultsPolicy": "IMMEDIATE", "passMark": 1, "targetOrgIds": []string{w.orgA},
	}, createTrace, createParent), 200).s("id")
	spans := spansOf(sr, createTrace)
	var httpServer, grpcClient, grpcServer sdktrace.ReadOnlySpan
	for _, s := range spans {
		kind := ""
		for _, a := range s.Attributes() {
			if a.Key == "rpc.system" {
				kind = a.Value.AsString()
			}
		}
		switch {
		case s.SpanKind() == trace.SpanKindServer && kind == "http":
			httpServer = s
		case s.SpanKind() == trace.SpanKindClient && kind == "grpc":
			grpcClient = s
		case s.SpanKind() == trace.SpanKindServer && kind == "grpc":
			grpcServer = s
		}
	}
	if httpServer == nil || grpcClient == nil || grpcServer == nil {
		t.Fatalf("exam creation's trace lacks a span (http server, grpc client, grpc server):\n%s", describe(spans))
	}
	if httpServer.Parent().SpanID().String() != createParent || !httpServer.Parent().IsRemote() {
		t.Fatalf("the HTTP span does not continue the caller's traceparent: parent %s", httpServer.Parent().SpanID())
	}
	if grpcClient.Parent().SpanID() != httpServer.SpanContext().SpanID() || grpcServer.Parent().SpanID() != grpcClient.SpanContext().SpanID() {
		t.Fatalf("the gRPC spans are not children of the request's:\n%s", describe(spans))
	}
	if !strings.HasPrefix(grpcServer.Name(), "/api.org.v1.") {
		t.Fatalf("the gRPC server span is %q, want an org operation", grpcServer.Name())
	}

	// Submit: the grading task runs in the submit's trace.
	const submitTrace, submitParent = "0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331"
	att := l.must(l.call("POST", "/v1/exams/"+exam+"/attempts", w.m1, map[string]any{}), 200).s("id")
	l.must(l.traced("POST", "/v1/attempts/"+att+":submit", w.m1, map[string]any{}, submitTrace, submitParent), 200)
	// The grade writes attempt.graded; studyhour's inbox task (the exam's credit) runs in the
	// same trace, relayed through quiz's outbox.
	var task, credit sdktrace.ReadOnlySpan
	deadline := time.Now().Add(20 * time.Second)
	for (task == nil || credit == nil) && time.Now().Before(deadline) {
		for _, s := range spansOf(sr, submitTrace) {
			switch {
			case s.SpanKind() == trace.SpanKindConsumer && s.Name() == "task quiz:grade":
				task = s
			case s.SpanKind() == trace.SpanKindConsumer && s.Name() == "task studyhour:event":
				credit = s
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	if task == nil || credit == nil {
		t.Fatalf("no grading or crediting task span in the submit's trace:\n%s", describe(spansOf(sr, submitTrace)))
	}
	var submitSpan sdktrace.ReadOnlySpan
	for _, s := range spansOf(sr, submitTrace) {
		if s.SpanKind() == trace.SpanKindServer && s.Name() == "/api.quiz.v1.Quiz/SubmitAttempt" {
			submitSpan = s
		}
	}
	if submitSpan == nil || task.Parent().SpanID() != submitSpan.SpanContext().SpanID() || !task.Parent().IsRemote() ||
		credit.Parent().SpanID() != task.SpanContext().SpanID() {
		t.Fatalf("submit → grade → credit are not parent and child:\n%s", describe(spansOf(sr, submitTrace)))
	}

	// The access log lines carry the trace ids; lines outside a request carry none.
	logs := l.logs.String()
	for _, tid := range []string{createTrace, submitTrace} {
		if !strings.Contains(logs, `"trace_id":"`+tid+`"`) {
			t.Fatalf("no log line carries trace id %s", tid)
		}
	}
	if strings.Contains(logs, `"trace_id":null`) || strings.Contains(logs, `"trace_id":""`) {
		t.Fatal("a log line outside any request carries an empty trace_id")
	}
}
