package outbox_test

import (
	"context"
	"testing"

	"github.com/hibiken/asynq"
	"go.opentelemetry.io/otel/trace"

	"github.com/vanguard/vanguard/pkg/clock"
	"github.com/vanguard/vanguard/pkg/outbox"
)

// An event written inside a trace is relayed as a task that carries that trace context, so the
// subscriber's handler continues the request's trace in another service; an event written
// outside any trace is relayed without one.
func TestRelayedEventsCarryTheWritersTrace(t *testing.T) {
	forEachDB(t, func(t *testing.T, driver string, newDSN func() string) {
		redisOpt := miniRedis(t)
		producer := openStore(t, driver, newDSN())
		o, err := outbox.New("quiz", producer.db, twoSubscribers, newQueue(t, redisOpt), clock.Real{}, outbox.Config{})
		if err != nil {
			t.Fatal(err)
		}
		tid, _ := trace.TraceIDFromHex("4bf92f3577b34da6a3ce929d0e0e4736")
		sid, _ := trace.SpanIDFromHex("00f067aa0ba902b7")
		traced := trace.ContextWithSpanContext(context.Background(), trace.NewSpanContext(trace.SpanContextConfig{
			TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled}))
		if err := producer.db.InTx(traced, func(ctx context.Context) error { return o.Add(ctx, graded(1)) }); err != nil {
			t.Fatal(err)
		}
		if err := o.Add(context.Background(), graded(2)); err != nil {
			t.Fatal(err)
		}
		if _, err := o.Drain(context.Background()); err != nil {
			t.Fatal(err)
		}
		insp := asynq.NewInspector(redisOpt)
		defer insp.Close()
		for _, q := range []string{"suba", "subb"} {
			tasks, err := insp.ListPendingTasks(q)
			if err != nil {
				t.Fatal(err)
			}
			if len(tasks) != 2 {
				t.Fatalf("%s: %d tasks, want 2", q, len(tasks))
			}
			byID := map[string]string{}
			for _, ti := range tasks {
				byID[ti.ID] = ti.Headers["traceparent"]
			}
			ids, _ := producer.client.OutboxEvent.Query().IDs(context.Background())
			if got, want := byID[outbox.TaskID(q, "quiz", ids[0])], "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"; got != want {
				t.Fatalf("%s: the traced event's task carries traceparent %q, want %q", q, got, want)
			}
			if got := byID[outbox.TaskID(q, "quiz", ids[1])]; got != "" {
				t.Fatalf("%s: the untraced event's task carries traceparent %q", q, got)
			}
		}
	})
}
