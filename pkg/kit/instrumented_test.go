package kit

import (
	"context"
	"net/http"
	"strings"
	"testing"

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
