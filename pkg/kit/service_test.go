package kit

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-kratos/kratos/v2/log"
	"github.com/go-kratos/kratos/v2/transport"
	kgrpc "github.com/go-kratos/kratos/v2/transport/grpc"
	khttp "github.com/go-kratos/kratos/v2/transport/http"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/vanguard/vanguard/pkg/auth"
	"github.com/vanguard/vanguard/pkg/authn"
	"github.com/vanguard/vanguard/pkg/clock"
	"github.com/vanguard/vanguard/pkg/queue"
	"github.com/vanguard/vanguard/pkg/revoke"
)

// serviceTestRedisDB is the real Redis database this package's tests own (flushed before use).
const serviceTestRedisDB = 10

func TestParseCommand(t *testing.T) {
	orgExtra := []string{"keygen", "service-secret"}
	for _, tc := range []struct {
		name  string
		args  []string
		extra []string
		want  Command
	}{
		{"default serve", nil, nil, Command{Name: "serve", ConfPath: "def.yaml", Role: "all"}},
		{"flags only", []string{"-conf", "x.yaml", "-role", "api"}, nil, Command{Name: "serve", ConfPath: "x.yaml", Role: "api"}},
		{"migrate", []string{"migrate", "-conf", "x.yaml"}, nil, Command{Name: "migrate", ConfPath: "x.yaml", Role: "all"}},
		{"worker", []string{"serve", "-role", "worker"}, orgExtra, Command{Name: "serve", ConfPath: "def.yaml", Role: "worker"}},
		{"extra without args", []string{"keygen"}, orgExtra, Command{Name: "keygen", ConfPath: "def.yaml", Role: "all", Args: []string{}}},
		{"extra with an arg", []string{"service-secret", "quiz"}, orgExtra, Command{Name: "service-secret", ConfPath: "def.yaml", Role: "all", Args: []string{"quiz"}}},
		{"extra with flags and an arg", []string{"service-secret", "-conf", "x.yaml", "quiz"}, orgExtra, Command{Name: "service-secret", ConfPath: "x.yaml", Role: "all", Args: []string{"quiz"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseCommand("svc", "def.yaml", tc.args, tc.extra...)
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Args) == 0 && len(tc.want.Args) == 0 {
				got.Args, tc.want.Args = nil, nil
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("ParseCommand(%q) = %+v, want %+v", tc.args, got, tc.want)
			}
		})
	}
	for _, tc := range []struct {
		name  string
		args  []string
		extra []string
		want  string
	}{
		{"unknown command", []string{"keygen"}, nil, `unknown command "keygen"`},
		{"unknown command with extras", []string{"bogus"}, orgExtra, "serve, migrate, keygen, service-secret"},
		// The subcommand comes first: `-conf f migrate` must not serve.
		{"subcommand after flags", []string{"-conf", "x.yaml", "migrate"}, nil, `unexpected argument "migrate"`},
		{"stray argument", []string{"serve", "now"}, nil, `unexpected argument "now"`},
		{"bad role", []string{"serve", "-role", "both"}, nil, "-role must be all, api or worker"},
		{"unknown flag", []string{"migrate", "-config", "x"}, nil, "flag provided but not defined"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseCommand("svc", "def.yaml", tc.args, tc.extra...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("ParseCommand(%q) = %v, want an error containing %q", tc.args, err, tc.want)
			}
		})
	}
}

// stubModule is a module with one authenticated HTTP route and no background work (like org).
type stubModule struct{}

func (stubModule) Name() string                  { return "stub" }
func (stubModule) Migrate(context.Context) error { return nil }
func (stubModule) Ready(context.Context) error   { return nil }
func (stubModule) RegisterGRPC(*kgrpc.Server)    {}
func (stubModule) Close() error                  { return nil }

// RegisterHTTP mounts GET /v1/stub/me: the caller's username, through the server's middleware.
func (stubModule) RegisterHTTP(s *khttp.Server) {
	s.Route("/").GET("/v1/stub/me", func(ctx khttp.Context) error {
		khttp.SetOperation(ctx, "/stub.v1.Stub/Me")
		h := ctx.Middleware(func(c context.Context, _ any) (any, error) {
			p, err := auth.Require(c)
			if err != nil {
				return nil, err
			}
			return map[string]string{"username": p.Username}, nil
		})
		out, err := h(ctx, nil)
		if err != nil {
			return err
		}
		return ctx.Result(http.StatusOK, out)
	})
}

// fakeServer records its start and stop.
type fakeServer struct{ started, stopped atomic.Bool }

func (f *fakeServer) Start(ctx context.Context) error { f.started.Store(true); return nil }
func (f *fakeServer) Stop(ctx context.Context) error  { f.stopped.Store(true); return nil }

// serviceProcess is RunService running in a goroutine until the test ends.
type serviceProcess struct {
	base   string
	cancel context.CancelFunc
	done   chan error
}

// startService runs RunService(spec, m) with free local addresses, waits for /healthz and stops
// it at cleanup, failing the test if it ends with an error.
func startService(t *testing.T, spec ServiceSpec, m Module) *serviceProcess {
	t.Helper()
	spec.Server.HTTPAddr, spec.Server.GRPCAddr = freeLocalAddr(t), freeLocalAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	p := &serviceProcess{base: "http://" + spec.Server.HTTPAddr, cancel: cancel, done: make(chan error, 1)}
	go func() { p.done <- RunService(ctx, spec, m, nil, log.NewFilter(log.NewStdLogger(io.Discard))) }()
	t.Cleanup(func() { p.stop(t) })
	deadline := time.Now().Add(10 * time.Second)
	for {
		if res, err := http.Get(p.base + "/healthz"); err == nil {
			res.Body.Close()
			if res.StatusCode != http.StatusOK {
				t.Fatalf("/healthz = %d", res.StatusCode)
			}
			return p
		}
		select {
		case err := <-p.done:
			p.done <- err
			t.Fatalf("RunService ended: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("RunService did not start serving")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop cancels the process's context and waits for RunService to return (once).
func (p *serviceProcess) stop(t *testing.T) {
	t.Helper()
	p.cancel()
	select {
	case err, ok := <-p.done:
		if ok {
			close(p.done)
			if err != nil {
				t.Errorf("RunService: %v", err)
			}
		}
	case <-time.After(10 * time.Second):
		t.Error("RunService did not stop after its context ended")
	}
}

// get returns the status and body of GET base+path with the bearer token (if any).
func (p *serviceProcess) get(t *testing.T, path, token string) (int, string) {
	t.Helper()
	req, err := http.NewRequest("GET", p.base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(body)
}

func freeLocalAddr(t *testing.T) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer lis.Close()
	return lis.Addr().String()
}

// newSigner returns a token signer with a fresh key.
func newSigner(t *testing.T) *authn.Signer {
	t.Helper()
	key, err := authn.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return authn.NewSigner(key, clock.Real{})
}

func signToken(t *testing.T, s *authn.Signer, p *auth.Principal) string {
	t.Helper()
	tok, _, err := s.Sign(p)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// With a preset verifier and revocation hook (org's shape), RunService needs no org connection,
// no public key file and no Redis: it verifies tokens with the given verifier, runs and stops the
// hook's servers, releases them after, and mounts no queue monitor for a module without queues.
func TestRunServiceWithPresetVerifier(t *testing.T) {
	signer := newSigner(t)
	verifier := authn.NewVerifier(clock.Real{}, signer.PublicKey())
	rev := &fakeServer{}
	var hookVerifier *authn.Verifier
	var released atomic.Bool
	p := startService(t, ServiceSpec{Name: "stub", Role: "all", Verifier: verifier,
		Revocations: func(_ context.Context, v *authn.Verifier) ([]transport.Server, func() error, error) {
			hookVerifier = v
			return []transport.Server{rev}, func() error { released.Store(true); return nil }, nil
		},
	}, stubModule{})

	if hookVerifier != verifier {
		t.Fatal("the revocation hook did not get the preset verifier")
	}
	if code, body := p.get(t, "/v1/stub/me", ""); code != http.StatusUnauthorized {
		t.Fatalf("no token: %d %s, want 401", code, body)
	}
	if code, body := p.get(t, "/v1/stub/me", signToken(t, newSigner(t), &auth.Principal{UserID: 1, Username: "x", OrgPath: "/1/"})); code != http.StatusUnauthorized {
		t.Fatalf("token of another key: %d %s, want 401", code, body)
	}
	code, body := p.get(t, "/v1/stub/me", signToken(t, signer, &auth.Principal{UserID: 7, Username: "ann", OrgPath: "/1/", Roles: []string{auth.RoleAdmin}}))
	var me struct{ Username string }
	if code != http.StatusOK || json.Unmarshal([]byte(body), &me) != nil || me.Username != "ann" {
		t.Fatalf("preset key's token: %d %s, want 200 for ann", code, body)
	}
	if code, _ := p.get(t, "/admin/queues/", signToken(t, signer, &auth.Principal{UserID: 7, Username: "ann", OrgPath: "/1/", Roles: []string{auth.RoleAdmin}})); code != http.StatusNotFound {
		t.Fatalf("/admin/queues without queues = %d, want 404", code)
	}
	if !rev.started.Load() {
		t.Fatal("the revocation hook's server was not started")
	}
	p.stop(t)
	if !rev.stopped.Load() || !released.Load() {
		t.Fatalf("after stop: revocation server stopped %v, released %v; want both", rev.stopped.Load(), released.Load())
	}
}

// A preset verifier without a revocation hook gets the default: a Redis subscriber that makes it
// refuse tokens of revoked sessions.
func TestRunServicePresetVerifierListensToRevocations(t *testing.T) {
	rc := serviceRedis(t)
	signer := newSigner(t)
	verifier := authn.NewVerifier(clock.Real{}, signer.PublicKey())
	p := startService(t, ServiceSpec{Name: "stub", Role: "api", Verifier: verifier,
		Redis: asynq.RedisClientOpt{Addr: "127.0.0.1:6379", DB: serviceTestRedisDB}}, stubModule{})
	token := signToken(t, signer, &auth.Principal{UserID: 42, Username: "bob", OrgPath: "/1/", SessionVersion: 1})
	if code, body := p.get(t, "/v1/stub/me", token); code != http.StatusOK {
		t.Fatalf("before revocation: %d %s, want 200", code, body)
	}
	pub := revoke.NewBroadcaster(rc, revoke.Options{})
	if err := pub.Publish(context.Background(), auth.Revocation{UserID: 42, Version: 2, At: time.Now()}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		code, _ := p.get(t, "/v1/stub/me", token)
		if code == http.StatusUnauthorized {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("revoked session's token still answers %d", code)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A role that leaves nothing to run, or an API role with no way to verify tokens, fails at once.
func TestRunServiceRefusesWhatCannotRun(t *testing.T) {
	logger := log.NewFilter(log.NewStdLogger(io.Discard))
	for _, tc := range []struct {
		name string
		spec ServiceSpec
		want string
	}{
		{"worker without queues", ServiceSpec{Name: "stub", Role: "worker"}, `role "worker" has nothing to run`},
		{"api without verifier", ServiceSpec{Name: "stub", Role: "api"}, "no token verifier"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			err := RunService(ctx, tc.spec, stubModule{}, nil, logger)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("RunService = %v, want an error containing %q", err, tc.want)
			}
			if errors.Is(err, context.DeadlineExceeded) {
				t.Fatal("RunService waited for its context instead of failing")
			}
		})
	}
}

// queuedStub is a stub module with a task queue, so it has a worker role.
type queuedStub struct{ stubModule }

func (queuedStub) Queues() map[string]int          { return map[string]int{"stubq": 1} }
func (queuedStub) RegisterTasks(*queue.Server)     {}
func (queuedStub) Reconcile(context.Context) error { return nil }

// The worker role serves its probes and its queue's depth on its HTTP address, and no API.
func TestRunServiceWorkerServesProbesAndQueueDepth(t *testing.T) {
	serviceRedis(t)
	p := startService(t, ServiceSpec{Name: "stub", Role: "worker",
		Redis: asynq.RedisClientOpt{Addr: "127.0.0.1:6379", DB: serviceTestRedisDB}}, queuedStub{})
	if code, _ := p.get(t, "/readyz", ""); code != http.StatusOK {
		t.Fatalf("/readyz = %d", code)
	}
	if code, body := p.get(t, "/metrics", ""); code != http.StatusOK || !strings.Contains(body, `asynq_queue_size{queue="stubq"} 0`) {
		t.Fatalf("/metrics = %d: %.300s", code, body)
	}
	if code, _ := p.get(t, "/v1/stub/me", ""); code != http.StatusNotFound {
		t.Fatalf("the worker serves the API: %d", code)
	}
}

// serviceRedis is the real Redis's database of these tests, flushed (skipped when unreachable
// unless VANGUARD_TEST_REQUIRE_SERVICES=1).
func serviceRedis(t *testing.T) *redis.Client {
	t.Helper()
	rc := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379", DB: serviceTestRedisDB})
	t.Cleanup(func() { _ = rc.Close() })
	if err := rc.FlushDB(context.Background()).Err(); err != nil {
		if os.Getenv("VANGUARD_TEST_REQUIRE_SERVICES") == "1" {
			t.Fatalf("Redis is required: %v", err)
		}
		t.Skipf("Redis unreachable: %v", err)
	}
	return rc
}
