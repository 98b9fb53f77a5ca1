package standalone

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"github.com/go-kratos/kratos/v2/log"
	"github.com/go-kratos/kratos/v2/transport"
	"github.com/redis/go-redis/v9"

	"github.com/vanguard/vanguard/pkg/clock"
	"github.com/vanguard/vanguard/pkg/obs"
	"github.com/vanguard/vanguard/pkg/secret"
	"github.com/vanguard/vanguard/pkg/testdb"
)

// The standalone binary on PostgreSQL (one database per service, created on first start) and a
// real Redis: the quiz journey's core runs end to end.
func TestStandaloneOnPostgresAndRedis(t *testing.T) {
	admin := os.Getenv("VANGUARD_TEST_PG")
	if admin == "" {
		admin = testdb.DefaultPG
	}
	pg, err := sql.Open("pgx", admin)
	if err == nil {
		err = pg.Ping()
	}
	rc := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379", DB: 14})
	defer rc.Close()
	if err == nil {
		err = rc.FlushDB(context.Background()).Err()
	}
	if err != nil {
		if os.Getenv("VANGUARD_TEST_REQUIRE_SERVICES") == "1" {
			t.Fatalf("PostgreSQL and Redis are required: %v", err)
		}
		t.Skipf("PostgreSQL or Redis unreachable: %v", err)
	}
	b := make([]byte, 5)
	_, _ = rand.Read(b)
	prefix := "vg_sa_" + hex.EncodeToString(b)
	t.Cleanup(func() {
		for _, svc := range []string{"org", "course", "quiz", "studyhour", "growth", "search"} {
			_, _ = pg.Exec("DROP DATABASE IF EXISTS " + prefix + "_" + svc + " WITH (FORCE)")
		}
		pg.Close()
	})

	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	clk := clock.NewFake(time.Now().UTC().Truncate(time.Second))
	p, err := Build(context.Background(), Config{
		HTTPAddr: lis.Addr().String(), GRPCAddr: "127.0.0.1:0", DataDir: t.TempDir(), AdminPassword: "Admin-pass-2026",
		HTTPListener: lis, Clock: clk, Argon2: secret.Argon2Params{MemoryKiB: 256, Iterations: 1, Parallelism: 1},
		ReconcileInterval: 200 * time.Millisecond, PostgresURL: admin, DatabasePrefix: prefix,
		RedisAddr: "redis://127.0.0.1:6379/14",
	}, log.NewFilter(obs.NewLogger(io.Discard, "test")))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	l := &live{t: t, url: "http://" + lis.Addr().String(), clock: clk, p: p, ctx: ctx}
	for _, s := range []transport.Server{p.HTTP, p.GRPC} {
		go func() { _ = s.Start(ctx) }()
	}
	l.startWorkers()
	t.Cleanup(func() {
		cancel()
		stop, done := context.WithTimeout(context.Background(), 5*time.Second)
		defer done()
		for _, s := range p.Servers() {
			_ = s.Stop(stop)
		}
		p.Close()
	})
	if p.redis != nil {
		t.Fatal("an embedded Redis was started although a Redis URL was given")
	}
	var ready bool
	for i := 0; i < 100 && !ready; i++ {
		r := l.call("GET", "/readyz", "", nil)
		ready = r.status == 200
		time.Sleep(20 * time.Millisecond)
	}
	if !ready {
		t.Fatal("/readyz never became ready")
	}

	w := newQuizWorld(t, l)
	now := clk.Now()
	exam := w.exam(t, "IMMEDIATE", now.Add(-time.Minute), now.Add(time.Hour), 30, 1, w.tf)
	att := l.must(l.call("POST", "/v1/exams/"+exam+"/attempts", w.m1, map[string]any{}), 200).s("id")
	l.must(l.call("PUT", "/v1/attempts/"+att+"/answers/1", w.m1, map[string]any{"value": map[string]any{"choices": []string{"true"}}, "version": 1}), 200)
	l.must(l.call("POST", "/v1/attempts/"+att+":submit", w.m1, map[string]any{}), 200)
	waitStatus(t, l, w.trainer, exam, "graded")
	if r := l.must(l.call("GET", "/v1/attempts/"+att, w.m1, nil), 200); r.s("score") != "2" {
		t.Fatalf("graded attempt = %s", r.raw)
	}
	var n int
	if err := pg.QueryRow("SELECT count(*) FROM pg_database WHERE datname LIKE $1", prefix+"_%").Scan(&n); err != nil || n != 6 {
		t.Fatalf("service databases = %d (err %v), want 6 (org, course, quiz, studyhour, growth, search)", n, err)
	}
	// Search's state is on PostgreSQL: its first reindex found the bank's questions.
	l.waitSearch(w.trainer, "最高领导机关", "a question on PostgreSQL", has("question:"+w.tf))
	// The graded attempt reached growth through Redis: the member's file, on PostgreSQL, has it.
	for i := 0; ; i++ {
		r := l.call("GET", "/v1/my/growth-file", w.m1, nil)
		if r.status == 200 && r.s("content", "exams", "0", "examId") == exam {
			break
		}
		if i > 400 {
			t.Fatalf("the growth file never showed the exam: %s", r.raw)
		}
		time.Sleep(25 * time.Millisecond)
	}
}
