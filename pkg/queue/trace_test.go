package queue_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// A task enqueued inside a span runs in a consumer span of the same trace, child of the
// enqueuer's span, and the handler's context carries it; a task enqueued outside any trace
// starts a trace of its own and keeps its payload and headers.
func TestTasksContinueTheEnqueuersTrace(t *testing.T) {
	sr := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sr))
	prev := otel.GetTracerProvider()
	otel.SetTracerProvider(tp)
	t.Cleanup(func() { otel.SetTracerProvider(prev) })
	forEachRedis(t, func(t *testing.T, opt asynq.RedisClientOpt) {
		srv, _ := newServer(t, opt, fastConfig())
		var mu sync.Mutex
		seen := map[string]trace.SpanContext{}
		payloads := map[string]string{}
		srv.HandleFunc("test:traced", func(ctx context.Context, task *asynq.Task) error {
			id, _ := asynq.GetTaskID(ctx)
			mu.Lock()
			defer mu.Unlock()
			seen[id] = trace.SpanContextFromContext(ctx)
			payloads[id] = string(task.Payload()) + "|" + task.Headers()["x-kept"]
			return nil
		})
		c := newClient(t, opt)
		ctx, parent := tp.Tracer("test").Start(context.Background(), "request")
		if err := c.Enqueue(ctx, asynq.NewTaskWithHeaders("test:traced", []byte(`{"id":1}`), map[string]string{"x-kept": "yes"}),
			asynq.Queue(testQueue), asynq.TaskID("in-trace")); err != nil {
			t.Fatal(err)
		}
		parent.End()
		if err := c.Enqueue(context.Background(), asynq.NewTask("test:traced", []byte(`{"id":2}`)), asynq.Queue(testQueue), asynq.TaskID("no-trace")); err != nil {
			t.Fatal(err)
		}
		stop := run(t, srv)
		waitFor(t, 5*time.Second, "both tasks handled", func() bool { mu.Lock(); defer mu.Unlock(); return len(seen) == 2 })
		if err := stop(); err != nil {
			t.Fatal(err)
		}
		in, out := seen["in-trace"], seen["no-trace"]
		if in.TraceID() != parent.SpanContext().TraceID() {
			t.Fatalf("the task's trace %s is not the enqueuer's %s", in.TraceID(), parent.SpanContext().TraceID())
		}
		if !out.IsValid() || out.TraceID() == parent.SpanContext().TraceID() {
			t.Fatalf("a task enqueued outside a trace: span context %v", out)
		}
		if payloads["in-trace"] != `{"id":1}|yes` || payloads["no-trace"] != `{"id":2}|` {
			t.Fatalf("payloads or headers changed: %v", payloads)
		}
		var consumer sdktrace.ReadOnlySpan
		for _, s := range sr.Ended() {
			if s.SpanContext().SpanID() == in.SpanID() {
				consumer = s
			}
		}
		if consumer == nil || consumer.SpanKind() != trace.SpanKindConsumer || consumer.Name() != "task test:traced" ||
			consumer.Parent().SpanID() != parent.SpanContext().SpanID() {
			t.Fatalf("consumer span: %+v", consumer)
		}
	})
}
