package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-kratos/kratos/v2/log"
	"github.com/redis/go-redis/v9"

	"github.com/vanguard/vanguard/app/org"
	"github.com/vanguard/vanguard/pkg/authn"
	"github.com/vanguard/vanguard/pkg/clock"
	"github.com/vanguard/vanguard/pkg/kit"
	"github.com/vanguard/vanguard/pkg/obs"
	"github.com/vanguard/vanguard/pkg/secret"
)

// The committed config file loads and validates with its defaults; a bad value from the
// environment fails at load time, naming the setting.
func TestCommittedConfigValidates(t *testing.T) {
	var fc fileConfig
	if err := kit.LoadConfig("../../configs/config.yaml", &fc); err != nil {
		t.Fatal(err)
	}
	for env, setting := range map[string]string{"VANGUARD_GRPC_ADDR": "server.grpc_addr", "VANGUARD_REFRESH_TTL": "auth.refresh_ttl"} {
		t.Run(env, func(t *testing.T) {
			t.Setenv(env, "nonsense")
			err := kit.LoadConfig("../../configs/config.yaml", &fileConfig{})
			if err == nil || !strings.Contains(err.Error(), setting) {
				t.Fatalf("bad %s: %v, want an error naming %s", env, err, setting)
			}
		})
	}
}

// The command line: org's own subcommands beside serve and migrate, and no roles but all.
func TestRunRefusesBadCommandLines(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"serve", "-role", "worker"}, "org has no separate api and worker roles"},
		{[]string{"migrate", "-role", "api"}, "org has no separate api and worker roles"},
		{[]string{"keygen", "extra"}, "usage: org keygen"},
		{[]string{"service-secret"}, "usage: org service-secret"},
		{[]string{"service-secret", "Not A Name"}, "usage: org service-secret"},
		{[]string{"rotate"}, `unknown command "rotate"`},
		{[]string{"-conf", "x.yaml", "migrate"}, `unexpected argument "migrate"`},
		{[]string{"serve", "-conf", "/nonexistent/org.yaml"}, "/nonexistent/org.yaml"},
	} {
		err := run(tc.args)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("run(%q) = %v, want an error containing %q", tc.args, err, tc.want)
		}
	}
	t.Setenv("VANGUARD_SERVICE_KEY", "")
	if err := run([]string{"service-secret", "quiz"}); err == nil || !strings.Contains(err.Error(), "VANGUARD_SERVICE_KEY") {
		t.Errorf("service-secret without a key = %v, want an error naming VANGUARD_SERVICE_KEY", err)
	}
}

// serveRedisDB is the real Redis database this package's tests own (flushed before use).
const serveRedisDB = 13

// serve runs org through kit.RunService with its own key and its revocation wiring: /healthz
// answers, its tokens are accepted, a member's token is refused soon after staff reset the
// member's password, and it stops when its context ends.
func TestServe(t *testing.T) {
	rc := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379", DB: serveRedisDB})
	defer rc.Close()
	if err := rc.FlushDB(context.Background()).Err(); err != nil {
		if os.Getenv("VANGUARD_TEST_REQUIRE_SERVICES") == "1" {
			t.Fatalf("Redis is required: %v", err)
		}
		t.Skipf("Redis unreachable: %v", err)
	}
	key, err := authn.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	pemBytes, _ := authn.MarshalPrivateKeyPEM(key)
	logger := log.NewFilter(obs.NewLogger(io.Discard, "org"))
	m, err := org.New(org.Config{
		DatabaseDriver: "sqlite", DatabaseDSN: filepath.Join(t.TempDir(), "org.db"), SigningKeyPEM: pemBytes,
		IDKey: bytes.Repeat([]byte{7}, 32), Argon2: secret.Argon2Params{MemoryKiB: 256, Iterations: 1, Parallelism: 1},
	}, logger, clock.Real{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := migrate(ctx, m); err != nil {
		t.Fatal(err)
	}
	if created, err := m.Bootstrap(ctx, "Admin-pass-2026"); err != nil || !created {
		t.Fatalf("bootstrap: created %v, %v", created, err)
	}
	var fc fileConfig
	fc.Server = kit.ServerConfig{HTTPAddr: freeAddr(t), GRPCAddr: freeAddr(t)}
	fc.Redis = kit.RedisConfig{Addr: "127.0.0.1:6379", DB: serveRedisDB}
	done := make(chan error, 1)
	go func() { done <- serve(ctx, &fc, m, logger) }()
	base := "http://" + fc.Server.HTTPAddr
	call := func(method, path, token string, body any) (int, map[string]any) {
		t.Helper()
		var rd io.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			rd = bytes.NewReader(b)
		}
		req, _ := http.NewRequest(method, base+path, rd)
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, nil
		}
		defer res.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(res.Body).Decode(&out)
		return res.StatusCode, out
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if code, _ := call("GET", "/healthz", "", nil); code == http.StatusOK {
			break
		}
		select {
		case err := <-done:
			t.Fatalf("serve ended: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("org did not start serving")
		}
	}
	login := func(user, pw string) string {
		t.Helper()
		code, out := call("POST", "/v1/auth/login", "", map[string]any{"username": user, "password": pw})
		tok, _ := out["accessToken"].(string)
		if code != http.StatusOK || tok == "" {
			t.Fatalf("login %s: %d %v", user, code, out)
		}
		return tok
	}
	admin := login("admin", "Admin-pass-2026")
	code, me := call("GET", "/v1/me", admin, nil)
	if code != http.StatusOK {
		t.Fatalf("GET /v1/me as admin: %d %v", code, me)
	}
	code, acct := call("POST", "/v1/accounts", admin, map[string]any{"username": "mm", "displayName": "mm",
		"password": "Passw0rd-mm", "roles": []string{"MEMBER"}, "orgId": me["orgId"]})
	if code != http.StatusOK {
		t.Fatalf("create account: %d %v", code, acct)
	}
	member := login("mm", "Passw0rd-mm")
	if code, out := call("GET", "/v1/me", member, nil); code != http.StatusOK {
		t.Fatalf("GET /v1/me as member: %d %v", code, out)
	}
	if code, out := call("POST", "/v1/accounts/"+fmt.Sprint(acct["id"])+"/password", admin, map[string]any{"newPassword": "Reset-pass-2026"}); code != http.StatusOK {
		t.Fatalf("reset password: %d %v", code, out)
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if code, _ := call("GET", "/v1/me", member, nil); code == http.StatusUnauthorized {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the member's token still works after the password reset")
		}
	}
	if n, err := rc.Keys(ctx, "*revoked*").Result(); err != nil || len(n) == 0 {
		t.Fatalf("no revocation stored in Redis: %v %v", n, err)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop after its context ended")
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
