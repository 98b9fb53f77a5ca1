package queue_test

import (
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/vanguard/vanguard/pkg/queue"
)

// The collector reports each queue's depth from Redis at scrape time (what a worker's HPA scales
// on): 0 for a queue never used, then its pending and scheduled tasks.
func TestQueueCollector(t *testing.T) {
	forEachRedis(t, func(t *testing.T, opt asynq.RedisClientOpt) {
		c := queue.NewQueueCollector(opt, testQueue, "unused")
		defer c.Close()
		reg := prometheus.NewRegistry()
		reg.MustRegister(c)
		want := func(n int) string {
			return "# HELP asynq_queue_size Tasks in the queue: pending, scheduled, retrying or running.\n# TYPE asynq_queue_size gauge\n" +
				"asynq_queue_size{queue=\"" + testQueue + "\"} " + itoa(n) + "\nasynq_queue_size{queue=\"unused\"} 0\n"
		}
		if err := testutil.GatherAndCompare(reg, strings.NewReader(want(0)), "asynq_queue_size"); err != nil {
			t.Fatal(err)
		}
		cl, err := queue.NewClient(opt)
		if err != nil {
			t.Fatal(err)
		}
		defer cl.Close()
		for i := range 3 {
			if err := cl.Enqueue(t.Context(), asynq.NewTask("t", nil), asynq.Queue(testQueue), asynq.TaskID("m"+itoa(i))); err != nil {
				t.Fatal(err)
			}
		}
		if err := cl.Enqueue(t.Context(), asynq.NewTask("t", nil), asynq.Queue(testQueue), asynq.ProcessIn(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := testutil.GatherAndCompare(reg, strings.NewReader(want(4)), "asynq_queue_size"); err != nil {
			t.Fatal(err)
		}
	})
}

func itoa(n int) string { return string(rune('0' + n)) }
