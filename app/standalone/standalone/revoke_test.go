package standalone

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/go-kratos/kratos/v2/log"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	orgv1 "github.com/vanguard/vanguard/api/org/v1"
	"github.com/vanguard/vanguard/app/quiz"
	"github.com/vanguard/vanguard/pkg/audit"
	"github.com/vanguard/vanguard/pkg/clock"
	"github.com/vanguard/vanguard/pkg/kit"
	"github.com/vanguard/vanguard/pkg/obs"
	"github.com/vanguard/vanguard/pkg/queue"
	"github.com/vanguard/vanguard/pkg/secret"
	"github.com/vanguard/vanguard/pkg/testdb"
)

// revokeRedisDB is the real Redis database of the revocation tests that need one.
const revokeRedisDB = 8

// memberRoutes are a member's GETs on each service of the process: org, course and quiz.
var memberRoutes = []string{"/v1/me", "/v1/my/courses", "/v1/my/exams"}

// revokedEverywhere waits (up to a few seconds) until token gets 401 TOKEN_REVOKED on every
// route at base, and reports how long that took.
func revokedEverywhere(t *testing.T, base, token string, routes ...string) time.Duration {
	t.Helper()
	start := time.Now()
	deadline := start.Add(5 * time.Second)
	for _, route := range routes {
		for {
			status, reason := get(t, base+route, token)
			if status == 401 && reason == "TOKEN_REVOKED" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("GET %s%s with the old token = %d %s, want 401 TOKEN_REVOKED within 5s", base, route, status, reason)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	return time.Since(start)
}

func get(t *testing.T, url, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	r := reply{status: res.StatusCode, raw: string(raw)}
	_ = json.Unmarshal(raw, &r.json)
	return r.status, r.s("reason")
}

func okEverywhere(t *testing.T, base, token string, routes ...string) {
	t.Helper()
	for _, route := range routes {
		if status, reason := get(t, base+route, token); status != 200 {
			t.Fatalf("GET %s%s = %d %s, want 200", base, route, status, reason)
		}
	}
}

// TestSessionEndingChangesRevokeAccessTokensEverywhere drives the four ways org ends a member's
// sessions through the public API of a standalone process: a signed-in member's access token
// works on org, course and quiz routes; after staff reset the password, staff change the roles,
// the member changes the own password, or staff disable the account, the same token gets 401
// TOKEN_REVOKED on all three within seconds (the clock is frozen, so the token has not expired
// and the new sign-in happens in the same second as the revocation), and a fresh sign-in works.
func TestSessionEndingChangesRevokeAccessTokensEverywhere(t *testing.T) {
	l := startLiveWith(t, false)
	admin := l.login("admin", "Admin-pass-2026")
	root := l.must(l.call("GET", "/v1/me", admin, nil), 200).s("orgId")
	org := l.must(l.call("POST", "/v1/orgs", admin, map[string]any{"parentId": root, "name": "一支部", "code": "R1", "type": "BRANCH"}), 200).s("id")
	account := func(name, role string) string {
		return l.must(l.call("POST", "/v1/accounts", admin, map[string]any{"username": name, "displayName": name, "password": "Passw0rd-" + name, "roles": []string{role}, "orgId": org}), 200).s("id")
	}
	account("rstaff", "STAFF")
	staff := l.login("rstaff", "Passw0rd-rstaff")

	tests := []struct {
		name   string
		change func(id, token string)
		// password to sign in with afterwards; "" when the account can no longer sign in.
		password string
	}{
		{"staff resets the password", func(id, _ string) {
			l.must(l.call("POST", "/v1/accounts/"+id+"/password", staff, map[string]any{"newPassword": "Reset-pass-2026"}), 200)
		}, "Reset-pass-2026"},
		{"staff changes the roles", func(id, _ string) {
			l.must(l.call("PUT", "/v1/accounts/"+id+"/roles", staff, map[string]any{"roles": []string{"TRAINER", "MEMBER"}}), 200)
		}, "Passw0rd-rm2"},
		{"member changes the own password", func(_, token string) {
			l.must(l.call("POST", "/v1/me/password", token, map[string]any{"oldPassword": "Passw0rd-rm3", "newPassword": "Own-pass-2026"}), 200)
		}, "Own-pass-2026"},
		{"staff disables the account", func(id, _ string) {
			l.must(l.call("PATCH", "/v1/accounts/"+id, staff, map[string]any{"status": "DISABLED"}), 200)
		}, ""},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := fmt.Sprintf("rm%d", i+1)
			id := account(name, "MEMBER")
			token := l.login(name, "Passw0rd-"+name)
			okEverywhere(t, l.url, token, memberRoutes...)

			tt.change(id, token)
			took := revokedEverywhere(t, l.url, token, memberRoutes...)
			t.Logf("revoked on org, course and quiz after %s", took)
			// The refresh token went with it.
			if tt.password == "" {
				l.must(l.call("POST", "/v1/auth/login", "", map[string]any{"username": name, "password": "Passw0rd-" + name}), 403)
				return
			}
			fresh := l.login(name, tt.password)
			okEverywhere(t, l.url, fresh, memberRoutes...)
		})
	}
	// Nobody else lost a session.
	okEverywhere(t, l.url, staff, "/v1/me")
}

// TestRestartRepublishesRevocations: the embedded Redis starts empty with the process, so org
// republishes from its database at start — a token revoked before a restart stays refused after
// it (within the token's lifetime), while a token signed after the revocation still works.
func TestRestartRepublishesRevocations(t *testing.T) {
	dir := t.TempDir()
	clk := clock.NewFake(time.Now().UTC().Truncate(time.Second))
	first := startAt(t, dir, clk, "")
	admin := first.login("admin", "Admin-pass-2026")
	root := first.must(first.call("GET", "/v1/me", admin, nil), 200).s("orgId")
	id := first.must(first.call("POST", "/v1/accounts", admin, map[string]any{"username": "rr", "displayName": "rr", "password": "Passw0rd-rr", "roles": []string{"MEMBER"}, "orgId": root}), 200).s("id")
	old := first.login("rr", "Passw0rd-rr")
	first.must(first.call("POST", "/v1/accounts/"+id+"/password", admin, map[string]any{"newPassword": "Reset-pass-2026"}), 200)
	revokedEverywhere(t, first.url, old, "/v1/me")
	fresh := first.login("rr", "Reset-pass-2026")
	first.stop()

	clk.Advance(time.Minute)
	second := startAt(t, dir, clk, "")
	revokedEverywhere(t, second.url, old, memberRoutes...)
	okEverywhere(t, second.url, fresh, memberRoutes...)
}

// TestRevocationReachesEveryAPIReplica runs the distributed shape on one real Redis: org (in a
// standalone process) revokes, and two quiz API replicas started through kit.RunService — each
// its own process-like server with its own subscriber — refuse the token within seconds.
func TestRevocationReachesEveryAPIReplica(t *testing.T) {
	rc := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379", DB: revokeRedisDB})
	err := rc.FlushDB(context.Background()).Err()
	rc.Close()
	if err != nil {
		if os.Getenv("VANGUARD_TEST_REQUIRE_SERVICES") == "1" {
			t.Fatalf("Redis is required: %v", err)
		}
		t.Skipf("Redis unreachable: %v", err)
	}
	quizDSN := testdb.Postgres(t)
	l := startAt(t, t.TempDir(), clock.NewFake(time.Now().UTC().Truncate(time.Second)), fmt.Sprintf("redis://127.0.0.1:6379/%d", revokeRedisDB))
	grpcURL, err := l.p.GRPC.Endpoint()
	if err != nil {
		t.Fatal(err)
	}
	redisOpt := asynq.RedisClientOpt{Addr: "127.0.0.1:6379", DB: revokeRedisDB}
	replicas := []string{startQuizAPI(t, dialable(grpcURL), quizDSN, redisOpt, true), startQuizAPI(t, dialable(grpcURL), quizDSN, redisOpt, false)}

	admin := l.login("admin", "Admin-pass-2026")
	root := l.must(l.call("GET", "/v1/me", admin, nil), 200).s("orgId")
	id := l.must(l.call("POST", "/v1/accounts", admin, map[string]any{"username": "rq", "displayName": "rq", "password": "Passw0rd-rq", "roles": []string{"MEMBER"}, "orgId": root}), 200).s("id")
	token := l.login("rq", "Passw0rd-rq")
	for _, base := range replicas {
		okEverywhere(t, base, token, "/v1/my/exams")
	}
	l.must(l.call("PUT", "/v1/accounts/"+id+"/roles", admin, map[string]any{"roles": []string{"TRAINER", "MEMBER"}}), 200)
	for i, base := range replicas {
		took := revokedEverywhere(t, base, token, "/v1/my/exams")
		t.Logf("replica %d refuses the token after %s", i+1, took)
	}
	fresh := l.login("rq", "Passw0rd-rq")
	for _, base := range replicas {
		okEverywhere(t, base, fresh, "/v1/my/exams")
	}
}

// startQuizAPI runs one quiz API process through kit.RunService and returns its base URL.
func startQuizAPI(t *testing.T, orgEndpoint, dsn string, redisOpt asynq.RedisConnOpt, migrate bool) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	logger := log.NewFilter(obs.NewLogger(io.Discard, "quiz"))
	tasks, err := queue.NewClient(redisOpt)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := kit.DialOrg(ctx, orgEndpoint)
	if err != nil {
		t.Fatal(err)
	}
	m, err := quiz.New(quiz.Config{DatabaseDriver: "postgres", DatabaseDSN: dsn, Tasks: tasks,
		Orgs: orgv1.NewOrgsClient(conn), Accounts: orgv1.NewAccountsClient(conn), Audit: audit.Discard}, logger, clock.Real{})
	if err != nil {
		t.Fatal(err)
	}
	if migrate {
		if err := m.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
	}
	httpAddr, grpcAddr := freeAddr(t), freeAddr(t)
	done := make(chan error, 1)
	go func() {
		done <- kit.RunService(ctx, kit.ServiceSpec{Name: "quiz", Role: "api", Server: kit.ServerConfig{HTTPAddr: httpAddr, GRPCAddr: grpcAddr},
			Redis: redisOpt}, m, conn, logger)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("quiz API process: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("quiz API process did not stop")
		}
		m.Close()
		conn.Close()
		tasks.Close()
	})
	base := "http://" + httpAddr
	deadline := time.Now().Add(10 * time.Second)
	for {
		if res, err := http.Get(base + "/healthz"); err == nil {
			res.Body.Close()
			return base
		}
		select {
		case err := <-done:
			t.Fatalf("quiz API process ended: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("quiz API process did not start")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer lis.Close()
	return lis.Addr().String()
}

// stoppable is a running standalone process that a test can stop before its end.
type stoppable struct {
	*live
	stop func()
}

// startAt starts a standalone process on dir with clk (HTTP and gRPC only), on the embedded
// Redis or redisAddr.
func startAt(t *testing.T, dir string, clk *clock.Fake, redisAddr string) stoppable {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p, err := Build(context.Background(), Config{
		HTTPAddr: lis.Addr().String(), GRPCAddr: "127.0.0.1:0", DataDir: dir, AdminPassword: "Admin-pass-2026",
		HTTPListener: lis, Clock: clk, Argon2: secret.Argon2Params{MemoryKiB: 256, Iterations: 1, Parallelism: 1},
		RedisAddr: redisAddr,
	}, log.NewFilter(obs.NewLogger(io.Discard, "test")))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() { _ = p.HTTP.Start(ctx) }()
	go func() { _ = p.GRPC.Start(ctx) }()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		sctx, done := context.WithTimeout(context.Background(), 5*time.Second)
		defer done()
		_ = p.HTTP.Stop(sctx)
		_ = p.GRPC.Stop(sctx)
		p.Close()
	}
	t.Cleanup(stop)
	l := &live{t: t, url: "http://" + lis.Addr().String(), clock: clk, p: p, ctx: ctx}
	for i := 0; i < 100; i++ {
		if res, err := http.Get(l.url + "/healthz"); err == nil {
			res.Body.Close()
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	return stoppable{live: l, stop: stop}
}
