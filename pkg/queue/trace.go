package queue

import (
	"context"
	"maps"

	"github.com/hibiken/asynq"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/vanguard/vanguard/pkg/obs"
)

// withTraceContext returns task carrying ctx's trace context in its headers (traceparent), so
// the handler's span continues the trace of the request that enqueued it. A task enqueued
// outside any trace (the reconciler, a relay) is returned as it is. The copy keeps the type,
// payload and headers; options must be passed to Enqueue, not to asynq.NewTask (every caller
// does: a task's own options cannot be read back).
func withTraceContext(ctx context.Context, task *asynq.Task) *asynq.Task {
	if !trace.SpanContextFromContext(ctx).IsValid() {
		return task
	}
	headers := propagation.MapCarrier{}
	maps.Copy(headers, task.Headers())
	obs.Propagator.Inject(ctx, headers)
	return asynq.NewTaskWithHeaders(task.Type(), task.Payload(), headers)
}

// traceTasks runs each task in a consumer span that continues the enqueuer's trace, so the
// handler's log lines carry the trace id of the request that caused the task.
func traceTasks(next asynq.Handler) asynq.Handler {
	return asynq.HandlerFunc(func(ctx context.Context, task *asynq.Task) error {
		ctx = obs.Propagator.Extract(ctx, propagation.MapCarrier(task.Headers()))
		id, _ := asynq.GetTaskID(ctx)
		queue, _ := asynq.GetQueueName(ctx)
		retried, _ := asynq.GetRetryCount(ctx)
		ctx, span := obs.Tracer().Start(ctx, "task "+task.Type(), trace.WithSpanKind(trace.SpanKindConsumer),
			trace.WithAttributes(attribute.String("messaging.system", "asynq"), attribute.String("messaging.destination.name", queue),
				attribute.String("messaging.message.id", id), attribute.Int("vanguard.task.retry", retried)))
		defer span.End()
		err := next.ProcessTask(ctx, task)
		obs.EndSpan(span, err)
		return err
	})
}
