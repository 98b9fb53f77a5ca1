package queue

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime/debug"
	"sync"
	"time"

	"github.com/go-kratos/kratos/v2/log"
	"github.com/go-kratos/kratos/v2/transport"
)

// DefaultReconcileInterval is used when a Reconciler is given no positive interval.
const DefaultReconcileInterval = time.Minute

// Reconciler keeps the queue in step with the database, which is the source of truth. Its pass
// looks for rows whose state says work is pending — lesson media still "processing", attempts
// "submitted" but not graded, growth files marked for compiling — and enqueues their tasks
// with the conventional TaskID, so work already queued is not duplicated while work the queue
// lost (the embedded Redis restarted, a Redis failover dropped writes, an enqueue after a
// commit failed) is queued again. Request handlers still enqueue at once; the reconciler only
// guarantees that nothing stays pending forever.
//
// It is a Kratos transport server: Start runs the pass once, then again every interval
// (jittered by ±10% so replicas do not run in step). A failing or panicking pass is logged and
// retried at the next tick; it never stops the process.
type Reconciler struct {
	name     string
	interval time.Duration
	pass     func(context.Context) error
	log      *log.Helper

	mu            sync.Mutex
	started       bool
	stopRequested bool
	stopping      chan struct{} // closed when Stop is called
	done          chan struct{} // closed when Start's loop has returned
	cancelPass    context.CancelFunc
}

var _ transport.Server = (*Reconciler)(nil)

// NewReconciler returns a reconciler named name (for logs) that runs pass at start and then
// every interval (DefaultReconcileInterval if interval is not positive). The pass should be
// cheap when nothing is pending and must enqueue with TaskIDs, since it re-enqueues everything
// it finds.
func NewReconciler(name string, interval time.Duration, pass func(context.Context) error, logger log.Logger) *Reconciler {
	if interval <= 0 {
		interval = DefaultReconcileInterval
	}
	if logger == nil {
		logger = log.GetLogger()
	}
	return &Reconciler{
		name:     name,
		interval: interval,
		pass:     pass,
		log:      log.NewHelper(log.With(logger, "module", "queue", "reconciler", name)),
		stopping: make(chan struct{}),
		done:     make(chan struct{}),
	}
}

// Start runs the first pass at once and the following ones every interval, blocking until Stop
// is called or ctx ends. Passes run with ctx's values but are not cancelled by it: a pass in
// progress is allowed to finish (see Stop). It returns an error only if started twice.
func (r *Reconciler) Start(ctx context.Context) error {
	r.mu.Lock()
	if r.started {
		r.mu.Unlock()
		return errors.New("queue: reconciler " + r.name + " already started")
	}
	r.started = true
	if r.stopRequested {
		r.mu.Unlock()
		close(r.done)
		return nil
	}
	passCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	r.cancelPass = cancel
	r.mu.Unlock()
	defer close(r.done)
	defer cancel()

	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-r.stopping:
			return nil
		case <-ctx.Done():
			return nil
		case <-timer.C:
		}
		r.runPass(passCtx)
		timer.Reset(jitter(r.interval))
	}
}

// Stop ends the loop, waiting for a pass in progress to finish. If ctx ends first the pass's
// context is cancelled and Stop returns ctx.Err().
func (r *Reconciler) Stop(ctx context.Context) error {
	r.mu.Lock()
	if !r.stopRequested {
		r.stopRequested = true
		close(r.stopping)
	}
	started := r.started
	cancel := r.cancelPass
	r.mu.Unlock()
	if !started {
		return nil
	}
	select {
	case <-r.done:
		return nil
	case <-ctx.Done():
		if cancel != nil {
			cancel()
		}
		return fmt.Errorf("queue: stop reconciler %s: %w", r.name, ctx.Err())
	}
}

// runPass runs one pass, logging its error or panic.
func (r *Reconciler) runPass(ctx context.Context) {
	start := time.Now()
	defer func() {
		if p := recover(); p != nil {
			r.log.Errorw("msg", "reconcile pass panicked", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
		}
	}()
	if err := r.pass(ctx); err != nil {
		r.log.Errorw("msg", "reconcile pass failed", "error", err, "took", time.Since(start))
		return
	}
	r.log.Debugw("msg", "reconcile pass done", "took", time.Since(start))
}

// jitter returns d changed by a random amount within ±10%.
func jitter(d time.Duration) time.Duration {
	tenth := int64(d) / 10
	if tenth <= 0 {
		return d
	}
	return d - time.Duration(tenth) + time.Duration(rand.Int64N(2*tenth+1))
}
