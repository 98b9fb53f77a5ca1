package data

import (
	"slices"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vanguard/vanguard/app/studyhour/internal/biz"
)

// Heartbeat outcomes, the result label of vanguard_heartbeats_total.
const (
	beatCredited = "credited"
	beatRefused  = "refused"
	beatFailed   = "failed"
)

// HeartbeatMetrics is studyhour's heartbeats on Prometheus: vanguard_heartbeats_total{result}
// (credited, refused or failed) and vanguard_heartbeat_refusals_total{reason}, one per refused
// heartbeat, reason being the refusal members' players receive (biz.AllRefusals: hidden,
// too_fast, replayed, paused, capped, parallel, daily_cap, forged). Every series exists from the
// start at 0, so a refusal rate can be graphed before the first refusal.
type HeartbeatMetrics struct {
	beats    *prometheus.CounterVec
	refusals *prometheus.CounterVec
}

var _ biz.HeartbeatObserver = (*HeartbeatMetrics)(nil)

// NewHeartbeatMetrics creates the counters; register Collectors on the process's registry.
func NewHeartbeatMetrics() *HeartbeatMetrics {
	m := &HeartbeatMetrics{
		beats: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vanguard_heartbeats_total",
			Help: "Study heartbeats received, by result: credited, refused (earned nothing, see vanguard_heartbeat_refusals_total) or failed (answered with an error).",
		}, []string{"result"}),
		refusals: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vanguard_heartbeat_refusals_total",
			Help: "Study heartbeats refused, by reason (hidden, too_fast, replayed, paused, capped, parallel, daily_cap, forged).",
		}, []string{"reason"}),
	}
	for _, r := range []string{beatCredited, beatRefused, beatFailed} {
		m.beats.WithLabelValues(r)
	}
	for _, r := range biz.AllRefusals {
		m.refusals.WithLabelValues(string(r))
	}
	return m
}

// Heartbeat counts one heartbeat's outcome. A refusal outside biz.AllRefusals (a reason added
// without listing it) counts as "other", so the label set stays bounded.
func (m *HeartbeatMetrics) Heartbeat(refusal biz.Refusal, failed bool) {
	switch {
	case refusal != "":
		reason := string(refusal)
		if !slices.Contains(biz.AllRefusals, refusal) {
			reason = "other"
		}
		m.refusals.WithLabelValues(reason).Inc()
		m.beats.WithLabelValues(beatRefused).Inc()
	case failed:
		m.beats.WithLabelValues(beatFailed).Inc()
	default:
		m.beats.WithLabelValues(beatCredited).Inc()
	}
}

// Collectors are the metrics to register.
func (m *HeartbeatMetrics) Collectors() []prometheus.Collector {
	return []prometheus.Collector{m.beats, m.refusals}
}
