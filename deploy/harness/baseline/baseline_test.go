package baseline

import (
	"context"
	"database/sql"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/vanguard/vanguard/pkg/testdb"
)

// testRedisDB is the database number this package's test owns on the machine's Redis.
const testRedisDB = 6

// requireServices skips (or, with VANGUARD_TEST_REQUIRE_SERVICES=1, fails) without PostgreSQL
// and Redis, as the other service tests do.
func requireServices(t *testing.T) {
	t.Helper()
	rc := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379", DB: testRedisDB})
	defer rc.Close()
	if err := rc.Ping(context.Background()).Err(); err != nil {
		if os.Getenv("VANGUARD_TEST_REQUIRE_SERVICES") == "1" {
			t.Fatalf("Redis is required: %v", err)
		}
		t.Skipf("Redis unreachable: %v", err)
	}
}

// TestBaselines runs each baseline for a second against the machine's PostgreSQL and Redis and
// checks that it measured real work: operations done, a rate, one latency per operation; the
// INSERT baseline itself checks every acknowledged row is stored.
func TestBaselines(t *testing.T) {
	requireServices(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	check := func(t *testing.T, r *Result, err error, name string) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		t.Log(r)
		if !strings.Contains(r.Name, name) {
			t.Errorf("Name = %q, want it to say %q", r.Name, name)
		}
		if r.Ops <= 0 || r.PerSecond <= 0 || r.Duration < 900*time.Millisecond {
			t.Errorf("nothing measured: %+v", r)
		}
		if r.Latency.N != r.Ops || r.Latency.P50 <= 0 || r.Latency.P50 > r.Latency.P99 || r.Latency.P99 > r.Latency.Max {
			t.Errorf("latency %v does not describe %d operations", r.Latency, r.Ops)
		}
	}
	t.Run("insert", func(t *testing.T) {
		dsn := testdb.Postgres(t) // proves PostgreSQL answers; its server hosts the baseline database
		admin, err := sql.Open("pgx", dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer admin.Close()
		base := dsn[:strings.LastIndex(dsn, "/")+1]
		r, err := InsertTPS(ctx, admin, func(db string) string { return base + db + "?sslmode=disable" }, 4, time.Second)
		check(t, r, err, "INSERT")
		var left int
		if err := admin.QueryRowContext(ctx, "SELECT count(*) FROM pg_database WHERE datname LIKE 'harness_baseline_%'").Scan(&left); err != nil {
			t.Fatal(err)
		}
		if left != 0 {
			t.Errorf("%d baseline databases left behind", left)
		}
	})
	t.Run("asynq", func(t *testing.T) {
		r, err := AsynqNoop(ctx, "127.0.0.1:6379", testRedisDB, 2, 200, time.Second)
		check(t, r, err, "Asynq")
		rc := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379", DB: testRedisDB})
		defer rc.Close()
		if n, err := rc.DBSize(ctx).Result(); err != nil || n != 0 {
			t.Errorf("redis db %d holds %d keys after the baseline (err %v)", testRedisDB, n, err)
		}
	})
	t.Run("http", func(t *testing.T) {
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
		r, err := BareHTTP(ctx, client, 8, time.Second)
		check(t, r, err, "net/http")
	})
}
