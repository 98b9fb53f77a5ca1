package data

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vanguard/vanguard/app/quiz/internal/biz"
	"github.com/vanguard/vanguard/pkg/obs"
)

// GradingMetrics is quiz's grading on Prometheus: vanguard_grading_lag_seconds, the time from an
// attempt's submission (as the database recorded it) to the commit of its first grade, observed
// by the process that graded it (a worker, or the standalone process). Regrades after a key fix
// and trainers' essay scores are not grading lag and are not observed.
type GradingMetrics struct {
	lag prometheus.Histogram
}

var _ biz.GradingObserver = (*GradingMetrics)(nil)

// NewGradingMetrics creates the histogram; register Collectors on the process's registry.
func NewGradingMetrics() *GradingMetrics {
	return &GradingMetrics{lag: prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "vanguard_grading_lag_seconds",
		Help:    "Time from an attempt's recorded submission to the commit of its first grade (regrades excluded).",
		Buckets: obs.LagBuckets,
	})}
}

// FirstGraded observes one attempt's grading lag.
func (m *GradingMetrics) FirstGraded(lag time.Duration) { m.lag.Observe(lag.Seconds()) }

// Collectors are the metrics to register.
func (m *GradingMetrics) Collectors() []prometheus.Collector {
	return []prometheus.Collector{m.lag}
}
