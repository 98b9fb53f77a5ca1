package outbox_test

import (
	"context"
	"errors"
	"os"
	"sort"
	"sync"
	"testing"
	"time"

	entsql "entgo.io/ent/dialect/sql"
	"github.com/alicebob/miniredis/v2"
	"github.com/go-kratos/kratos/v2/log"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	quizv1 "github.com/vanguard/vanguard/api/quiz/v1"
	"github.com/vanguard/vanguard/pkg/clock"
	"github.com/vanguard/vanguard/pkg/dbx"
	"github.com/vanguard/vanguard/pkg/outbox"
	"github.com/vanguard/vanguard/pkg/outbox/internal/testent"
	"github.com/vanguard/vanguard/pkg/outbox/internal/testent/effect"
	"github.com/vanguard/vanguard/pkg/queue"
	"github.com/vanguard/vanguard/pkg/testdb"
)

// testRedisDB is the database number this package's tests own on the real Redis.
const testRedisDB = 12

// store is one service's database in a test: its ent client and the outbox adapter on it.
type store struct {
	client *testent.Client
	db     outbox.DB
}

func openStore(t testing.TB, driver, dsn string) *store {
	t.Helper()
	sqlDB, dia, err := dbx.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	client := testent.NewClient(testent.Driver(entsql.OpenDB(dia, sqlDB)))
	t.Cleanup(func() { client.Close() })
	if err := client.Schema.Create(context.Background()); err != nil {
		t.Fatal(err)
	}
	return &store{client: client, db: outbox.FromEnt(dbx.NewEnt(client, sqlDB, dia, client.Tx, (*testent.Tx).Client))}
}

// conn returns the ent client bound to ctx's transaction.
func (s *store) conn(ctx context.Context) *testent.Client {
	if tx, ok := dbx.TxFrom[*testent.Tx](ctx); ok {
		return tx.Client()
	}
	return s.client
}

// effects returns how often subscriber applied each event of producer.
func (s *store) effects(t testing.TB, subscriber string) map[int64]int {
	t.Helper()
	rows, err := s.client.Effect.Query().Where(effect.Subscriber(subscriber)).All(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	m := map[int64]int{}
	for _, r := range rows {
		m[r.EventID]++
	}
	return m
}

// forEachDB runs fn on SQLite and PostgreSQL; newDSN gives a fresh database of that kind.
func forEachDB(t *testing.T, fn func(t *testing.T, driver string, newDSN func() string)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, "sqlite", func() string { return testdb.SQLite(t) }) })
	t.Run("postgres", func(t *testing.T) { fn(t, "postgres", func() string { return testdb.Postgres(t) }) })
}

// realRedis returns the real Redis (flushed), or skips/fails like the other packages.
func realRedis(t testing.TB) asynq.RedisClientOpt {
	t.Helper()
	addr := os.Getenv("VANGUARD_TEST_REDIS_ADDR")
	if addr == "" {
		addr = "127.0.0.1:6379"
	}
	c := redis.NewClient(&redis.Options{Addr: addr, DB: testRedisDB})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		if os.Getenv("VANGUARD_TEST_REQUIRE_SERVICES") == "1" {
			t.Fatalf("redis at %s unreachable: %v", addr, err)
		}
		t.Skipf("redis at %s unreachable: %v", addr, err)
	}
	if err := c.FlushDB(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	return asynq.RedisClientOpt{Addr: addr, DB: testRedisDB}
}

func miniRedis(t testing.TB) asynq.RedisClientOpt {
	return asynq.RedisClientOpt{Addr: miniredis.RunT(t).Addr()}
}

// routes: two subscribers of attempt.graded, each on its own queue.
var twoSubscribers = outbox.Routes{
	"attempt.graded": {{Name: "suba", Queue: "suba"}, {Name: "subb", Queue: "subb"}},
}

// graded is a test event.
func graded(i int64) *quizv1.AttemptGraded {
	return &quizv1.AttemptGraded{AttemptId: i, ExamId: 1, UserId: 1000 + i, Number: 1, MaxScore: 100}
}

// subscriberRig serves two subscribers' queues with handlers that record effects.
type subscriberRig struct {
	srv  *queue.Server
	subs map[string]*store
	// fail, when set, makes apply fail for (subscriber, event) while it returns true.
	fail func(sub string, id int64) bool
	mu   sync.Mutex
	runs map[string]int
}

func newSubscriberRig(t testing.TB, opt asynq.RedisConnOpt, subs map[string]*store, acker outbox.Acker, producer string) *subscriberRig {
	t.Helper()
	rig := &subscriberRig{subs: subs, runs: map[string]int{}}
	queues := map[string]int{}
	for name := range subs {
		queues[name] = 1
	}
	srv, err := queue.NewServer(opt, queue.Config{
		Queues: queues, Concurrency: 8, ShutdownTimeout: 3 * time.Second,
		RetryDelayFunc:    func(int, error, *asynq.Task) time.Duration { return 20 * time.Millisecond },
		TaskCheckInterval: 10 * time.Millisecond, HealthCheckInterval: 100 * time.Millisecond, DelayedTaskCheckInterval: 50 * time.Millisecond,
	}, log.NewStdLogger(testWriter{t}))
	if err != nil {
		t.Fatal(err)
	}
	for name, st := range subs {
		name, st := name, st
		apply := func(ctx context.Context, e *outbox.Event) error {
			var msg quizv1.AttemptGraded
			if err := e.Decode(&msg); err != nil {
				return err
			}
			rig.mu.Lock()
			rig.runs[name]++
			rig.mu.Unlock()
			if rig.fail != nil && rig.fail(name, e.ID) {
				return errors.New("subscriber down")
			}
			return st.conn(ctx).Effect.Create().SetSubscriber(name).SetProducer(e.Producer).SetEventID(e.ID).Exec(ctx)
		}
		in, err := outbox.NewInbox(name, st.db, map[string]outbox.Acker{producer: acker}, apply, clock.Real{})
		if err != nil {
			t.Fatal(err)
		}
		srv.Handle(outbox.TaskType(name), in)
	}
	rig.srv = srv
	return rig
}

// start serves the rig's queues until the test ends.
func (rig *subscriberRig) start(t testing.TB) {
	t.Helper()
	errc := make(chan error, 1)
	go func() { errc <- rig.srv.Start(context.Background()) }()
	t.Cleanup(func() {
		_ = rig.srv.Stop(context.Background())
		if err := <-errc; err != nil {
			t.Errorf("queue server: %v", err)
		}
	})
}

// testWriter sends asynq's log lines to t.Log (shown only on failure).
type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) { w.t.Log(string(p)); return len(p), nil }

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// exactlyOnce fails unless effects holds each of want exactly once and nothing else.
func exactlyOnce(t testing.TB, sub string, effects map[int64]int, want []int64) {
	t.Helper()
	var dup, missing, extra []int64
	wantSet := map[int64]bool{}
	for _, id := range want {
		wantSet[id] = true
		switch effects[id] {
		case 0:
			missing = append(missing, id)
		case 1:
		default:
			dup = append(dup, id)
		}
	}
	for id := range effects {
		if !wantSet[id] {
			extra = append(extra, id)
		}
	}
	sort.Slice(extra, func(i, j int) bool { return extra[i] < extra[j] })
	if len(dup)+len(missing)+len(extra) > 0 {
		t.Fatalf("%s: %d duplicates %v, %d missing %v, %d unexpected %v", sub, len(dup), head(dup), len(missing), head(missing), len(extra), head(extra))
	}
}

func head(s []int64) []int64 {
	if len(s) > 10 {
		return s[:10]
	}
	return s
}
