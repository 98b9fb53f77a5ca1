package kit

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/go-kratos/kratos/v2/transport"
	kgrpc "github.com/go-kratos/kratos/v2/transport/grpc"
	khttp "github.com/go-kratos/kratos/v2/transport/http"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/vanguard/vanguard/pkg/outbox"
	"github.com/vanguard/vanguard/pkg/queue"
)

// Module is what every service module provides, whichever way it runs: alone in its own binary
// (RunService) or with the others in the standalone process. The optional parts below are
// discovered by type assertion, so a module implements only what it has.
type Module interface {
	// Name is the service's name ("quiz"): its database, event producer and service-credential
	// name.
	Name() string
	// Migrate creates or upgrades the module's schema.
	Migrate(ctx context.Context) error
	// Ready reports whether the module's dependencies (its database) answer; /readyz asks it.
	Ready(ctx context.Context) error
	// RegisterHTTP and RegisterGRPC mount the module's API.
	RegisterHTTP(*khttp.Server)
	RegisterGRPC(*kgrpc.Server)
	// Close releases the module's resources.
	Close() error
}

// PublicAPI is a module with operations callable without a token (org's sign-in).
type PublicAPI interface {
	PublicOperations() []string
}

// ServiceAPI is a module with operations only service credentials may call.
type ServiceAPI interface {
	ServiceOperations() []string
}

// Worker is a module with background work on Asynq.
type Worker interface {
	// Queues are the module's Asynq queues and their priorities.
	Queues() map[string]int
	// RegisterTasks registers its task handlers (including event subscribers' inboxes).
	RegisterTasks(*queue.Server)
	// Reconcile is one reconciler pass: rebuild lost work from the database.
	Reconcile(ctx context.Context) error
}

// Recoverer is a worker with work to rebuild once when a worker process starts: what lived only
// in the queue (tasks scheduled for later) and may have died with it. It runs at the start of
// the first reconciler pass (ReconcilePass), before Reconcile, until it succeeds once.
type Recoverer interface {
	Recover(ctx context.Context) error
}

// Producer is a module that writes events: every process that runs it (API and worker roles
// alike, since both write) runs its outbox relay.
type Producer interface {
	Relay() *outbox.Relay
}

// Instrumented is a module with Prometheus metrics of its own (quiz's grading lag, studyhour's
// heartbeats). Every process that runs the module registers them on its /metrics, in every role:
// a worker exports what its task handlers measure, an API process what its requests do. A
// Producer's relay metrics come with its Relay and are not listed here again.
type Instrumented interface {
	Collectors() []prometheus.Collector
}

// Concurrent is a Module whose worker runs more tasks at once than the one per CPU other
// workers run: one whose tasks mostly wait (on its database, on other services) and that runs
// as a single process, so it cannot add worker replicas instead. Others keep one slot per CPU:
// their workers scale by replicas, and more slots on a shared machine take CPU from the API
// (the harness's exam-end storm, quiz at four slots per CPU: submit p99 98 → 787 ms).
type Concurrent interface {
	WorkerConcurrency() int
}

// Modules is a list of modules with the helpers that treat them as one.
type Modules []Module

// PublicOperations collects every module's public operations.
func (ms Modules) PublicOperations() []string {
	var ops []string
	for _, m := range ms {
		if p, ok := m.(PublicAPI); ok {
			ops = append(ops, p.PublicOperations()...)
		}
	}
	return ops
}

// ServiceOperations collects every module's service-only operations.
func (ms Modules) ServiceOperations() []string {
	var ops []string
	for _, m := range ms {
		if s, ok := m.(ServiceAPI); ok {
			ops = append(ops, s.ServiceOperations()...)
		}
	}
	return ops
}

// Queues merges the workers' queues (a queue named twice keeps the higher priority).
func (ms Modules) Queues() map[string]int {
	out := map[string]int{}
	for _, m := range ms {
		if w, ok := m.(Worker); ok {
			for q, prio := range w.Queues() {
				out[q] = max(out[q], prio)
			}
		}
	}
	return out
}

// Register mounts every module's API.
func (ms Modules) Register(hs *khttp.Server, gs *kgrpc.Server) {
	for _, m := range ms {
		m.RegisterHTTP(hs)
		m.RegisterGRPC(gs)
	}
}

// RegisterTasks registers every worker's task handlers.
func (ms Modules) RegisterTasks(srv *queue.Server) {
	for _, m := range ms {
		if w, ok := m.(Worker); ok {
			w.RegisterTasks(srv)
		}
	}
}

// Reconcile runs every worker's reconciler pass; one failing does not stop the others.
func (ms Modules) Reconcile(ctx context.Context) error {
	var errs []error
	for _, m := range ms {
		if w, ok := m.(Worker); ok {
			errs = append(errs, w.Reconcile(ctx))
		}
	}
	return errors.Join(errs...)
}

// ReconcilePass is the reconciler's pass for a worker process: every Recoverer's Recover until
// each has succeeded once, then every worker's Reconcile.
func (ms Modules) ReconcilePass() func(ctx context.Context) error {
	recovered := make([]bool, len(ms))
	var mu sync.Mutex
	return func(ctx context.Context) error {
		var errs []error
		mu.Lock()
		for i, m := range ms {
			if r, ok := m.(Recoverer); ok && !recovered[i] {
				err := r.Recover(ctx)
				recovered[i] = err == nil
				errs = append(errs, err)
			}
		}
		mu.Unlock()
		return errors.Join(append(errs, ms.Reconcile(ctx))...)
	}
}

// Relays returns the producers' relay loops.
func (ms Modules) Relays() []transport.Server {
	var out []transport.Server
	for _, m := range ms {
		if p, ok := m.(Producer); ok {
			out = append(out, p.Relay())
		}
	}
	return out
}

// Collectors are every Instrumented module's collectors and every Producer relay's (its lag
// and backlog, labelled with the producer).
func (ms Modules) Collectors() []prometheus.Collector {
	var out []prometheus.Collector
	for _, m := range ms {
		if i, ok := m.(Instrumented); ok {
			out = append(out, i.Collectors()...)
		}
		if p, ok := m.(Producer); ok {
			out = append(out, p.Relay().Collectors()...)
		}
	}
	return out
}

// RegisterMetrics registers Collectors on reg; a collector reg refuses (a metric registered
// twice) is an error naming the module's metrics.
func (ms Modules) RegisterMetrics(reg prometheus.Registerer) error {
	for _, c := range ms.Collectors() {
		if err := reg.Register(c); err != nil {
			return fmt.Errorf("register module metrics: %w", err)
		}
	}
	return nil
}

// Ready checks every module.
func (ms Modules) Ready(ctx context.Context) error {
	for _, m := range ms {
		if err := m.Ready(ctx); err != nil {
			return err
		}
	}
	return nil
}

// Migrate migrates every module, in order.
func (ms Modules) Migrate(ctx context.Context) error {
	for _, m := range ms {
		if err := m.Migrate(ctx); err != nil {
			return err
		}
	}
	return nil
}
