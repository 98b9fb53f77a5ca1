package outbox

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/go-kratos/kratos/v2/log"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/vanguard/vanguard/pkg/obs"
	"github.com/vanguard/vanguard/pkg/outbox/schema"
)

// The relay's metrics, labelled with the producing service (a constant label, so every
// producer's relay in one process, as in the standalone binary, registers its own):
//
//   - vanguard_outbox_relay_lag_seconds: from an event's write in its producer's transaction to
//     its first hand-off to a subscriber's Asynq queue, one observation per delivery (an event
//     with two subscribers is observed twice). Re-deliveries of unacknowledged events wait
//     RedeliverAfter by design and are not observed.
//   - vanguard_outbox_pending and vanguard_outbox_oldest_pending_seconds: the events not yet
//     handed to every subscriber's queue, and the age of the oldest of them, read from the
//     outbox tables at each scrape. A relay that is stuck (Redis down, the process wedged) shows
//     as a growing age while the lag histogram stops moving.

// collectTimeout bounds the outbox query of one scrape.
const collectTimeout = 3 * time.Second

func newRelayLag(producer string) prometheus.Histogram {
	return prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:        "vanguard_outbox_relay_lag_seconds",
		Help:        "Time from an event's commit in the producer's outbox to its first hand-off to a subscriber's Asynq queue, per delivery.",
		ConstLabels: prometheus.Labels{"producer": producer},
		Buckets:     obs.LagBuckets,
	})
}

// Pending returns how many events are not yet handed to every subscriber's queue (not fanned
// out yet, or with a delivery never relayed) and when the oldest of them was written (zero when
// none). Both parts read only rows the relay has not finished, through indexes.
func (o *Outbox) Pending(ctx context.Context) (int, time.Time, error) {
	// COUNT and MIN in one aggregate each: a MIN alone tempts PostgreSQL to walk the created_ms
	// index through every delivered event when its statistics are stale.
	q := "SELECT u.n, u.oldest, r.n, r.oldest FROM (SELECT COUNT(*) AS n, MIN(created_ms) AS oldest FROM " + schema.EventsTable +
		" WHERE fanned_out_ms IS NULL) u, (SELECT COUNT(DISTINCT d.event_id) AS n, MIN(e.created_ms) AS oldest FROM " + schema.DeliveriesTable +
		" d JOIN " + schema.EventsTable + " e ON e.id = d.event_id WHERE d.relayed_ms IS NULL AND d.acked_ms IS NULL) r"
	rows, err := o.db.Conn(ctx).QueryContext(ctx, q)
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("outbox.Pending: %w", err)
	}
	defer rows.Close()
	var unfanned, unrelayed int64
	var unfannedOldest, unrelayedOldest sql.NullInt64
	if rows.Next() {
		if err := rows.Scan(&unfanned, &unfannedOldest, &unrelayed, &unrelayedOldest); err != nil {
			return 0, time.Time{}, fmt.Errorf("outbox.Pending: %w", err)
		}
	}
	if err := rows.Err(); err != nil {
		return 0, time.Time{}, fmt.Errorf("outbox.Pending: %w", err)
	}
	// The two sets are disjoint: fanning out writes the deliveries and marks the event in one
	// transaction.
	var oldest time.Time
	for _, ms := range []sql.NullInt64{unfannedOldest, unrelayedOldest} {
		if t := time.UnixMilli(ms.Int64); ms.Valid && (oldest.IsZero() || t.Before(oldest)) {
			oldest = t
		}
	}
	return int(unfanned + unrelayed), oldest, nil
}

// pendingCollector exports Outbox.Pending at each scrape.
type pendingCollector struct {
	o       *Outbox
	log     *log.Helper
	pending *prometheus.Desc
	oldest  *prometheus.Desc
}

var _ prometheus.Collector = (*pendingCollector)(nil)

func newPendingCollector(o *Outbox, logger *log.Helper) *pendingCollector {
	labels := prometheus.Labels{"producer": o.producer}
	return &pendingCollector{
		o: o, log: logger,
		pending: prometheus.NewDesc("vanguard_outbox_pending",
			"Events committed to the producer's outbox and not yet handed to every subscriber's Asynq queue.", nil, labels),
		oldest: prometheus.NewDesc("vanguard_outbox_oldest_pending_seconds",
			"Age of the oldest event not yet handed to every subscriber's Asynq queue (0 when none).", nil, labels),
	}
}

// Describe implements prometheus.Collector.
func (c *pendingCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.pending
	ch <- c.oldest
}

// Collect implements prometheus.Collector. When the database does not answer, the two gauges
// are left out of the scrape (absent, not a reassuring 0) and the failure is logged.
func (c *pendingCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), collectTimeout)
	defer cancel()
	n, oldest, err := c.o.Pending(ctx)
	if err != nil {
		c.log.Warnw("msg", "outbox pending metrics unavailable", "error", err)
		return
	}
	age := 0.0
	if n > 0 {
		age = max(0, c.o.clock.Now().Sub(oldest).Seconds())
	}
	ch <- prometheus.MustNewConstMetric(c.pending, prometheus.GaugeValue, float64(n))
	ch <- prometheus.MustNewConstMetric(c.oldest, prometheus.GaugeValue, age)
}

// Collectors are the relay's Prometheus metrics (see above): its outbox's relay lag and the
// backlog gauges. Every process that runs the relay registers them (kit does, through
// kit.Producer).
func (r *Relay) Collectors() []prometheus.Collector {
	return []prometheus.Collector{r.o.relayLag, r.pending}
}
