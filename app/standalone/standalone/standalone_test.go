package standalone

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	kerrors "github.com/go-kratos/kratos/v2/errors"
	"github.com/go-kratos/kratos/v2/log"
	kgrpc "github.com/go-kratos/kratos/v2/transport/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/types/known/emptypb"

	v1 "github.com/vanguard/vanguard/api/org/v1"
	"github.com/vanguard/vanguard/pkg/embedredis"
	"github.com/vanguard/vanguard/pkg/obs"
	"github.com/vanguard/vanguard/pkg/secret"
)

func testConfig(dir string) Config {
	return Config{
		HTTPAddr: "127.0.0.1:0", GRPCAddr: "127.0.0.1:0", DataDir: dir,
		Argon2: secret.Argon2Params{MemoryKiB: 256, Iterations: 1, Parallelism: 1},
	}
}

func login(t *testing.T, url, user, pw string) (int, map[string]any) {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"username": user, "password": pw})
	res, err := http.Post(url+"/v1/auth/login", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, out
}

func TestFirstStartBootstrapsAndSecondStartReuses(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	logger := log.NewFilter(obs.NewLogger(io.Discard, "test"))
	ctx := context.Background()

	// First start with no password given: a random one is generated and reported once.
	p, err := Build(ctx, testConfig(dir), logger)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.AdminPassword) < 12 {
		t.Fatalf("first start did not report a generated admin password: %q", p.AdminPassword)
	}
	for _, f := range []string{"org/org.db", "secrets/jwt_ed25519.pem", "secrets/id.key"} {
		st, err := os.Stat(filepath.Join(dir, f))
		if err != nil {
			t.Fatalf("data dir lacks %s: %v", f, err)
		}
		if strings.HasPrefix(f, "secrets/") && st.Mode().Perm() != 0o600 {
			t.Fatalf("%s has mode %v, want 0600", f, st.Mode().Perm())
		}
	}
	srv := httptest.NewServer(p.HTTP)
	status, out := login(t, srv.URL, "admin", p.AdminPassword)
	if status != 200 {
		t.Fatalf("admin login = %d %v", status, out)
	}
	token := out["accessToken"].(string)
	srv.Close()
	first := p.AdminPassword
	p.Close()

	// Second start, even with VANGUARD_ADMIN_PASSWORD set, keeps the existing admin and keys.
	cfg := testConfig(dir)
	cfg.AdminPassword = "Other-pass-2026"
	p, err = Build(ctx, cfg, logger)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if p.AdminPassword != "" {
		t.Fatal("second start reported a new admin password")
	}
	srv = httptest.NewServer(p.HTTP)
	defer srv.Close()
	if status, _ := login(t, srv.URL, "admin", first); status != 200 {
		t.Fatalf("admin login after restart = %d", status)
	}
	if status, _ := login(t, srv.URL, "admin", "Other-pass-2026"); status != 401 {
		t.Fatalf("second start must not reset the admin password (got %d)", status)
	}
	// The signing key survived the restart: the token from the first run still works.
	req, _ := http.NewRequest("GET", srv.URL+"/v1/me", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("token from before restart: %v %v", err, res)
	}
	res.Body.Close()
	if err := embedredis.Ping(ctx, p.RedisAddr); err != nil {
		t.Fatalf("embedded queue server at %q: %v", p.RedisAddr, err)
	}
	// No metrics token configured: /metrics does not exist on the public port (see metrics_test.go).
	for path, code := range map[string]int{"/healthz": 200, "/readyz": 200, "/metrics": 404} {
		res, err := http.Get(srv.URL + path)
		if err != nil || res.StatusCode != code {
			t.Fatalf("GET %s = %v %v", path, err, res)
		}
		res.Body.Close()
	}
}

func TestEnvPasswordAndGRPC(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(dir)
	cfg.AdminPassword = "Env-pass-2026"
	p, err := Build(context.Background(), cfg, log.NewFilter(obs.NewLogger(io.Discard, "test")))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if p.AdminPassword != "Env-pass-2026" {
		t.Fatalf("bootstrap password = %q", p.AdminPassword)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// Endpoint binds the listener; Start then serves on it (calling both concurrently races).
	u, err := p.GRPC.Endpoint()
	if err != nil {
		t.Fatal(err)
	}
	endpoint := u.Host
	go func() { _ = p.GRPC.Start(ctx) }()
	defer p.GRPC.Stop(context.Background())
	conn, err := kgrpc.DialInsecure(ctx, kgrpc.WithEndpoint(endpoint))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	authc := v1.NewAuthClient(conn)
	pair, err := authc.Login(ctx, &v1.LoginRequest{Username: "admin", Password: "Env-pass-2026"})
	if err != nil {
		t.Fatalf("gRPC login: %v", err)
	}
	// Without a token the gRPC API refuses like the HTTP one.
	if _, err := v1.NewOrgsClient(conn).ListOrgs(ctx, &v1.ListOrgsRequest{}); kerrors.Code(err) != 401 {
		t.Fatalf("gRPC without token = %v, want 401", err)
	}
	// Validation applies over gRPC too.
	if _, err := authc.Login(ctx, &v1.LoginRequest{}); kerrors.Reason(err) != "INVALID_ARGUMENT" {
		t.Fatalf("empty gRPC login = %v", err)
	}
	authed := metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+pair.AccessToken)
	me, err := authc.GetMe(authed, &emptypb.Empty{})
	if err != nil || me.Username != "admin" {
		t.Fatalf("gRPC GetMe = %v %v", me, err)
	}
	orgs, err := v1.NewOrgsClient(conn).ListOrgs(authed, &v1.ListOrgsRequest{})
	if err != nil || orgs.Total != 1 || orgs.Orgs[0].Code != "ROOT" {
		t.Fatalf("gRPC ListOrgs = %v %v", orgs, err)
	}
}
