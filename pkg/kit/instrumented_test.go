package kit

import (
	"context"
	"io"
	"net/http"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-kratos/kratos/v2/log"
	"github.com/go-kratos/kratos/v2/transport"
	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/vanguard/vanguard/pkg/authn"
	"github.com/vanguard/vanguard/pkg/clock"
)

// instrumentedStub is a module with a queue and a metric of its own, counted once already so
// the scrape shows a sample.
type instrumentedStub struct {
	queuedStub
	work prometheus.Counter
}

func newInstrumentedStub() instrumentedStub {
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "stub_work_total", Help: "Work the stub module did."})
	c.Add(3)
	return instrumentedStub{work: c}
}

func (s instrumentedStub) Collectors() []prometheus.Collector { return []prometheus.Collector{s.work} }

// A module's own metrics are on /metrics in both roles: the API role's (behind the scrape token)
// and the worker role's (beside its queue's depth).
func TestRunServiceExportsModuleMetrics(t *testing.T) {
	const token = "scrape-token-7d2e"
	serviceRedis(t)
	redisOpt := asynq.RedisClientOpt{Addr: "127.0.0.1:6379", DB: serviceTestRedisDB}
	verifier := authn.NewVerifier(clock.Real{}, newSigner(t).PublicKey())
	api := startService(t, ServiceSpec{Name: "stub", Role: "api", Verifier: verifier, Server: ServerConfig{MetricsToken: token}, Redis: redisOpt,
		Revocations: func(context.Context, *authn.Verifier) ([]transport.Server, func() error, error) { return nil, nil, nil },
	}, newInstrumentedStub())
	if code, body := api.get(t, "/metrics", token); code != http.StatusOK || !strings.Contains(body, "stub_work_total 3") {
		t.Fatalf("API role /metrics = %d: %.300s", code, body)
	}

	worker := startService(t, ServiceSpec{Name: "stub", Role: "worker", Redis: redisOpt}, newInstrumentedStub())
	code, body := worker.get(t, "/metrics", "")
	if code != http.StatusOK || !strings.Contains(body, "stub_work_total 3") || !strings.Contains(body, `asynq_queue_size{queue="stubq"}`) {
		t.Fatalf("worker role /metrics = %d: %.300s", code, body)
	}
}

// Two modules handing over the same metric is refused at start, with the reason, instead of
// a panic or a silently missing metric.
func TestRegisterMetricsRefusesDuplicates(t *testing.T) {
	a := newInstrumentedStub()
	if got := (Modules{a, stubModule{}}).Collectors(); len(got) != 1 || got[0] != a.work {
		t.Fatalf("Collectors = %v, want the instrumented module's one (the plain module has none)", got)
	}
	reg := prometheus.NewRegistry()
	err := Modules{a, newInstrumentedStub()}.RegisterMetrics(reg)
	if err == nil || !strings.Contains(err.Error(), "register module metrics") {
		t.Fatalf("RegisterMetrics with a duplicate = %v, want an error", err)
	}
}

// queueNamed is a module with one queue of its own name; concurrentStub also asks for slots.
type queueNamed struct {
	queuedStub
	q string
}

func (s queueNamed) Queues() map[string]int { return map[string]int{s.q: 1} }

type concurrentStub struct {
	queueNamed
	slots int
}

func (s concurrentStub) WorkerConcurrency() int { return s.slots }

// A worker runs one task per CPU at once, unless its module asks for more (Concurrent) or the
// config's server.worker_concurrency says otherwise; read back from the servers asynq
// registers in Redis.
func TestWorkerSlots(t *testing.T) {
	serviceRedis(t)
	redisOpt := asynq.RedisClientOpt{Addr: "127.0.0.1:6379", DB: serviceTestRedisDB}
	insp := asynq.NewInspector(redisOpt)
	defer insp.Close()
	for _, c := range []struct {
		m      Module
		config int
		want   int
	}{
		{queueNamed{q: "slots_default"}, 0, runtime.NumCPU()},
		{concurrentStub{queueNamed{q: "slots_module"}, 7}, 0, 7},
		{concurrentStub{queueNamed{q: "slots_config"}, 7}, 3, 3},
	} {
		q := c.m.(Worker).Queues()
		p := startService(t, ServiceSpec{Name: "stub", Role: "worker", Redis: redisOpt, Server: ServerConfig{WorkerConcurrency: c.config}}, c.m)
		got, deadline := -1, time.Now().Add(10*time.Second)
		for got < 0 && time.Now().Before(deadline) {
			servers, err := insp.Servers()
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range servers {
				for name := range q {
					if _, ok := s.Queues[name]; ok {
						got = s.Concurrency
					}
				}
			}
			time.Sleep(50 * time.Millisecond)
		}
		p.stop(t)
		if got != c.want {
			t.Errorf("%v (config %d): %d task slots, want %d", q, c.config, got, c.want)
		}
	}
}

// RunService leaves Kratos's global logger as the process first set it: setting it again (as
// kratos.New does when given a logger) races with the servers of the process that read it
// without a lock, which -race caught when a test started a second service.
func TestRunServiceKeepsTheGlobalLogger(t *testing.T) {
	setGlobalLogger(log.NewStdLogger(io.Discard))
	before := log.GetLogger()
	serviceRedis(t)
	redisOpt := asynq.RedisClientOpt{Addr: "127.0.0.1:6379", DB: serviceTestRedisDB}
	startService(t, ServiceSpec{Name: "stub", Role: "worker", Redis: redisOpt}, newInstrumentedStub())
	if after := log.GetLogger(); after != before {
		t.Fatalf("global logger after RunService = %T %p, want the one set first (%T %p)", after, after, before, before)
	}
}

// reconcileCounter is a worker module that counts its reconciler passes.
type reconcileCounter struct {
	queueNamed
	passes *atomic.Int32
}

func (s reconcileCounter) Reconcile(context.Context) error { s.passes.Add(1); return nil }

// The worker's reconciler runs at start and then every server.reconcile_interval; without the
// setting, every minute (so only the start's pass within the test).
func TestReconcileInterval(t *testing.T) {
	serviceRedis(t)
	redisOpt := asynq.RedisClientOpt{Addr: "127.0.0.1:6379", DB: serviceTestRedisDB}
	var fast, slow atomic.Int32
	startService(t, ServiceSpec{Name: "fast", Role: "worker", Redis: redisOpt, Server: ServerConfig{ReconcileInterval: "100ms"}},
		reconcileCounter{queueNamed{q: "fastq"}, &fast})
	startService(t, ServiceSpec{Name: "slow", Role: "worker", Redis: redisOpt}, reconcileCounter{queueNamed{q: "slowq"}, &slow})
	deadline := time.Now().Add(10 * time.Second)
	for fast.Load() < 4 || slow.Load() < 1 {
		if time.Now().After(deadline) {
			t.Fatalf("in 10 s: %d reconciler passes at a 100 ms interval, %d at the default", fast.Load(), slow.Load())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if n := slow.Load(); n != 1 {
		t.Fatalf("default interval: %d passes within the test, want the start's one", n)
	}
}
