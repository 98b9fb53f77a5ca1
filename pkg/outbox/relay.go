package outbox

import (
	"context"
	"sync"
	"time"

	"github.com/go-kratos/kratos/v2/log"
)

// Relay runs an outbox's delivery loop as a Kratos transport server: it drains right after each
// nudge (a commit that wrote events), and every SweepInterval re-delivers what was not
// acknowledged in time and prunes old events. Every process that writes events runs one.
type Relay struct {
	o   *Outbox
	log *log.Helper
	// pending exports the outbox's backlog at each scrape (Collectors).
	pending *pendingCollector
	cancel  context.CancelFunc
	done    chan struct{}
	mu      sync.Mutex
}

// NewRelay returns the relay loop of o.
func NewRelay(o *Outbox, logger log.Logger) *Relay {
	h := log.NewHelper(log.With(logger, "module", "outbox", "producer", o.producer))
	return &Relay{o: o, log: h, pending: newPendingCollector(o, h)}
}

// Start begins the loop and returns at once.
func (r *Relay) Start(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cancel != nil {
		return nil
	}
	ctx, r.cancel = context.WithCancel(context.WithoutCancel(ctx))
	r.done = make(chan struct{})
	go r.loop(ctx)
	return nil
}

// Stop ends the loop and waits for the current drain to finish.
func (r *Relay) Stop(context.Context) error {
	r.mu.Lock()
	cancel, done := r.cancel, r.done
	r.cancel = nil
	r.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
	return nil
}

func (r *Relay) loop(ctx context.Context) {
	defer close(r.done)
	sweep := time.NewTicker(r.o.cfg.SweepInterval)
	defer sweep.Stop()
	lastPrune := time.Time{}
	// At start, relay what a crash left behind (new events and unacknowledged deliveries whose
	// tasks may have died with an embedded Redis) without waiting for the sweep.
	if _, err := r.o.Recover(ctx); err != nil && ctx.Err() == nil {
		r.log.Warnw("msg", "outbox recovery relay failed", "error", err)
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-r.o.nudge:
			r.drain(ctx)
		case <-sweep.C:
			r.drain(ctx)
			if time.Since(lastPrune) > time.Hour {
				lastPrune = time.Now()
				if n, err := r.o.Prune(ctx); err != nil {
					r.log.Warnw("msg", "outbox prune failed", "error", err)
				} else if n > 0 {
					r.log.Infow("msg", "outbox pruned", "events", n)
				}
			}
		}
	}
}

func (r *Relay) drain(ctx context.Context) {
	if _, err := r.o.Drain(ctx); err != nil && ctx.Err() == nil {
		// The sweep (and the reconciler) try again; a Redis outage must not stop the loop.
		r.log.Warnw("msg", "outbox relay failed", "error", err)
	}
}
