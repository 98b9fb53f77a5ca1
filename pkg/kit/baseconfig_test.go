package kit_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vanguard/vanguard/pkg/kit"
)

// svcConfig is a service config as the binaries declare theirs: the shared sections inlined.
type svcConfig struct {
	kit.BaseConfig
	Org kit.OrgLink `json:"org"`
}

func (c *svcConfig) Validate() error { return errors.Join(c.BaseConfig.Validate(), c.Org.Validate()) }

const goodYAML = `
server:
  http_addr: "0.0.0.0:8002"
  grpc_addr: "0.0.0.0:9002"
database:
  driver: postgres
  dsn: "postgres://postgres@127.0.0.1:5432/vanguard_quiz?sslmode=disable"
redis:
  addr: "127.0.0.1:6379"
  db: 3
org:
  grpc_endpoint: "org:9000"
`

// A config embedding BaseConfig loads with its shared sections inlined and is validated at
// load time; each bad setting is refused with its name.
func TestLoadConfigValidatesAndNamesTheSetting(t *testing.T) {
	dir := t.TempDir()
	write := func(yaml string) string {
		p := filepath.Join(dir, "c.yaml")
		if err := os.WriteFile(p, []byte(yaml), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	var c svcConfig
	if err := kit.LoadConfig(write(goodYAML), &c); err != nil {
		t.Fatal(err)
	}
	if c.Server.GRPCAddr != "0.0.0.0:9002" || c.Database.Driver != "postgres" || c.Redis.DB != 3 || c.Org.GRPCEndpoint != "org:9000" {
		t.Fatalf("loaded %+v", c)
	}
	var withSlots svcConfig
	if err := kit.LoadConfig(write(strings.Replace(goodYAML, `grpc_addr: "0.0.0.0:9002"`, "grpc_addr: \"0.0.0.0:9002\"\n  worker_concurrency: 12", 1)), &withSlots); err != nil {
		t.Fatal(err)
	}
	if withSlots.Server.WorkerConcurrency != 12 || c.Server.WorkerConcurrency != 0 {
		t.Fatalf("worker_concurrency = %d (unset: %d)", withSlots.Server.WorkerConcurrency, c.Server.WorkerConcurrency)
	}
	var withInterval svcConfig
	if err := kit.LoadConfig(write(strings.Replace(goodYAML, `grpc_addr: "0.0.0.0:9002"`, "grpc_addr: \"0.0.0.0:9002\"\n  reconcile_interval: 15s", 1)), &withInterval); err != nil {
		t.Fatal(err)
	}
	if withInterval.Server.ReconcileEvery() != 15*time.Second || c.Server.ReconcileEvery() != 0 {
		t.Fatalf("reconcile_interval = %v (unset: %v)", withInterval.Server.ReconcileEvery(), c.Server.ReconcileEvery())
	}
	var withOutbox svcConfig
	if err := kit.LoadConfig(write(goodYAML+"outbox:\n  redeliver_after: 90s\n  retention: 72h\n"), &withOutbox); err != nil {
		t.Fatal(err)
	}
	if r := withOutbox.Outbox.Relay(); r.RedeliverAfter != 90*time.Second || r.Retention != 72*time.Hour {
		t.Fatalf("outbox settings = %+v", r)
	}
	// notEchoed, when set, is a secret in the bad value that the error (printed at start) must
	// not repeat.
	bad := []struct{ from, to, setting, notEchoed string }{
		{`http_addr: "0.0.0.0:8002"`, `http_addr: "8002"`, "server.http_addr", ""},
		{`grpc_addr: "0.0.0.0:9002"`, `grpc_addr: ""`, "server.grpc_addr", ""},
		{`driver: postgres`, `driver: mysql`, "database.driver", ""},
		{`dsn: "postgres://postgres@127.0.0.1:5432/vanguard_quiz?sslmode=disable"`, `dsn: "host=db user=x password=Db-S3cret-81"`, "database.dsn", "Db-S3cret-81"},
		{`addr: "127.0.0.1:6379"`, `addr: "redis"`, "redis.addr", ""},
		{`db: 3`, `db: 42`, "redis.db", ""},
		{`grpc_endpoint: "org:9000"`, `grpc_endpoint: ""`, "org.grpc_endpoint", ""},
		{`grpc_addr: "0.0.0.0:9002"`, "grpc_addr: \"0.0.0.0:9002\"\n  metrics_token: \"Sh0rt-tok\"", "server.metrics_token", "Sh0rt-tok"},
		{`db: 3`, "db: 3\noutbox:\n  retention: \"a week\"", "outbox.retention", ""},
		{`grpc_addr: "0.0.0.0:9002"`, "grpc_addr: \"0.0.0.0:9002\"\n  worker_concurrency: -1", "server.worker_concurrency", ""},
		{`grpc_addr: "0.0.0.0:9002"`, "grpc_addr: \"0.0.0.0:9002\"\n  reconcile_interval: 0s", "server.reconcile_interval", ""},
		{`grpc_addr: "0.0.0.0:9002"`, "grpc_addr: \"0.0.0.0:9002\"\n  reconcile_interval: \"every minute\"", "server.reconcile_interval", ""},
		{`grpc_endpoint: "org:9000"`, "grpc_endpoint: \"org:9000\"\n  service_secret: \"Svc-S3cret-not-64-hex\"", "org.service_secret", "Svc-S3cret-not-64-hex"},
	}
	for _, b := range bad {
		var c svcConfig
		err := kit.LoadConfig(write(strings.Replace(goodYAML, b.from, b.to, 1)), &c)
		if err == nil || !strings.Contains(err.Error(), b.setting) {
			t.Errorf("%s → %v, want an error naming %s", b.to, err, b.setting)
		} else if b.notEchoed != "" && strings.Contains(err.Error(), b.notEchoed) {
			t.Errorf("%s → %v: the error repeats the secret", b.to, err)
		}
	}
}
