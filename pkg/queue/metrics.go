package queue

import (
	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
)

// QueueCollector exports each queue's depth and latency from Redis at every scrape:
// asynq_queue_size (tasks pending, scheduled, retrying or running: what a worker HPA scales on)
// and asynq_queue_latency_seconds (how long the oldest pending task has waited).
type QueueCollector struct {
	inspector *asynq.Inspector
	queues    []string
	size      *prometheus.Desc
	latency   *prometheus.Desc
}

var _ prometheus.Collector = (*QueueCollector)(nil)

// NewQueueCollector reads the queues through an Inspector on redis.
func NewQueueCollector(redis asynq.RedisConnOpt, queues ...string) *QueueCollector {
	return &QueueCollector{
		inspector: asynq.NewInspector(redis), queues: queues,
		size:    prometheus.NewDesc("asynq_queue_size", "Tasks in the queue: pending, scheduled, retrying or running.", []string{"queue"}, nil),
		latency: prometheus.NewDesc("asynq_queue_latency_seconds", "How long the oldest pending task has waited.", []string{"queue"}, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *QueueCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.size
	ch <- c.latency
}

// Collect implements prometheus.Collector; a queue Redis cannot describe (never used yet) is 0.
func (c *QueueCollector) Collect(ch chan<- prometheus.Metric) {
	for _, q := range c.queues {
		size, latency := 0.0, 0.0
		if info, err := c.inspector.GetQueueInfo(q); err == nil {
			size, latency = float64(info.Size), info.Latency.Seconds()
		}
		ch <- prometheus.MustNewConstMetric(c.size, prometheus.GaugeValue, size, q)
		ch <- prometheus.MustNewConstMetric(c.latency, prometheus.GaugeValue, latency, q)
	}
}

// Close closes the Inspector's Redis connection.
func (c *QueueCollector) Close() error { return c.inspector.Close() }
