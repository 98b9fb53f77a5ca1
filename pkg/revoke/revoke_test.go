package revoke_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	kerrors "github.com/go-kratos/kratos/v2/errors"
	"github.com/go-kratos/kratos/v2/log"
	"github.com/redis/go-redis/v9"

	"github.com/vanguard/vanguard/pkg/auth"
	"github.com/vanguard/vanguard/pkg/authn"
	"github.com/vanguard/vanguard/pkg/clock"
	"github.com/vanguard/vanguard/pkg/embedredis"
	"github.com/vanguard/vanguard/pkg/revoke"
)

// testRedisDB is the real Redis database this package owns (flushed before each test).
const testRedisDB = 9

// backend is a Redis-protocol server the tests run against; client returns a new client of it
// named name (so a test can find and kill its connections).
type backend struct {
	name   string
	client func(t *testing.T, name string) *redis.Client
}

func realRedis(t *testing.T) backend {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379", DB: testRedisDB})
	defer c.Close()
	if err := c.FlushDB(context.Background()).Err(); err != nil {
		if os.Getenv("VANGUARD_TEST_REQUIRE_SERVICES") == "1" {
			t.Fatalf("Redis is required: %v", err)
		}
		t.Skipf("Redis unreachable: %v", err)
	}
	return backend{name: "redis", client: func(t *testing.T, name string) *redis.Client {
		c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379", DB: testRedisDB, ClientName: name})
		t.Cleanup(func() { c.Close() })
		return c
	}}
}

func embedded(t *testing.T) backend {
	t.Helper()
	s, err := embedredis.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return backend{name: "embedded", client: func(t *testing.T, name string) *redis.Client {
		c := redis.NewClient(&redis.Options{Addr: s.Addr(), ClientName: name})
		t.Cleanup(func() { c.Close() })
		return c
	}}
}

// eachBackend runs fn on real Redis and on the embedded server.
func eachBackend(t *testing.T, fn func(t *testing.T, b backend)) {
	t.Run("redis", func(t *testing.T) { fn(t, realRedis(t)) })
	t.Run("embedded", func(t *testing.T) { fn(t, embedded(t)) })
}

func unique(prefix string) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// process is one verifying process: its own Redis client, revocation list, verifier and
// running subscriber.
type process struct {
	sub      *revoke.Subscriber
	verifier *authn.Verifier
}

func startProcess(t *testing.T, b backend, ns string, signer *authn.Signer, o revoke.Options) *process {
	t.Helper()
	o.Namespace = ns
	if o.PingInterval == 0 {
		o.PingInterval = 200 * time.Millisecond
	}
	o.RetryMin, o.RetryMax = 20*time.Millisecond, 200*time.Millisecond
	o.Logger = log.NewFilter(log.DefaultLogger, log.FilterLevel(log.LevelError))
	v := authn.NewVerifier(clock.Real{}, signer.PublicKey())
	sub := revoke.Listen(context.Background(), b.client(t, unique("revoke-test-")), v, o)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = sub.Start(ctx)
	}()
	t.Cleanup(func() {
		stop, cancelStop := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancelStop()
		if err := sub.Stop(stop); err != nil {
			t.Errorf("stop subscriber: %v", err)
		}
		cancel()
		<-done
	})
	eventually(t, 3*time.Second, "subscribed", sub.Subscribed)
	return &process{sub: sub, verifier: v}
}

func eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not %s within %s", what, within)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func newSigner(t *testing.T) *authn.Signer {
	t.Helper()
	key, err := authn.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return authn.NewSigner(key, clock.Real{})
}

func sign(t *testing.T, s *authn.Signer, uid, version int64) string {
	t.Helper()
	tok, _, err := s.Sign(&auth.Principal{UserID: uid, Username: "u", Roles: []string{auth.RoleMember}, OrgID: 1, OrgPath: "/1/", SessionVersion: version})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func refused(v *authn.Verifier, tok string) bool {
	_, err := v.Verify(tok)
	return kerrors.Reason(err) == authn.ReasonTokenRevoked
}

// TestPublishReachesEverySubscriber: a revocation published once reaches two processes within
// a second; each then refuses the user's old token with TOKEN_REVOKED and still accepts a token
// with the new version and the tokens of other users.
func TestPublishReachesEverySubscriber(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		ns, signer := unique("t"), newSigner(t)
		p1 := startProcess(t, b, ns, signer, revoke.Options{})
		p2 := startProcess(t, b, ns, signer, revoke.Options{})
		old, other, fresh := sign(t, signer, 7, 0), sign(t, signer, 8, 0), sign(t, signer, 7, 1)
		for _, p := range []*process{p1, p2} {
			if _, err := p.verifier.Verify(old); err != nil {
				t.Fatalf("token before the revocation: %v", err)
			}
		}
		pub := revoke.NewBroadcaster(b.client(t, "publisher"), revoke.Options{Namespace: ns})
		if err := pub.Publish(context.Background(), auth.Revocation{UserID: 7, Version: 1, At: time.Now()}); err != nil {
			t.Fatal(err)
		}
		for i, p := range []*process{p1, p2} {
			eventually(t, time.Second, "revoked in process "+string(rune('1'+i)), func() bool { return refused(p.verifier, old) })
			if _, err := p.verifier.Verify(fresh); err != nil {
				t.Fatalf("token with the new version: %v", err)
			}
			if _, err := p.verifier.Verify(other); err != nil {
				t.Fatalf("another user's token: %v", err)
			}
		}
		// A process in another namespace (another deployment on the same Redis) hears nothing.
		p3 := startProcess(t, b, unique("other"), signer, revoke.Options{})
		time.Sleep(100 * time.Millisecond)
		if refused(p3.verifier, old) {
			t.Fatal("a revocation crossed namespaces")
		}
	})
}

// TestLateStarterLoadsStoredRevocations: a process that starts after the publish knows the
// revocation before serving (Listen loads the stored keys), and revocations too old to cover a
// live token are neither stored nor loaded.
func TestLateStarterLoadsStoredRevocations(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		ns, signer := unique("t"), newSigner(t)
		pub := revoke.NewBroadcaster(b.client(t, "publisher"), revoke.Options{Namespace: ns})
		now := time.Now()
		err := pub.Publish(context.Background(),
			auth.Revocation{UserID: 7, Version: 2, At: now},
			auth.Revocation{UserID: 7, Version: 1, At: now.Add(-time.Second)},
			auth.Revocation{UserID: 9, Version: 1, At: now.Add(-auth.RevocationTTL - time.Second)},
		)
		if err != nil {
			t.Fatal(err)
		}
		v := authn.NewVerifier(clock.Real{}, signer.PublicKey())
		sub := revoke.Listen(context.Background(), b.client(t, "late"), v, revoke.Options{Namespace: ns})
		if sub.List().Len() != 1 {
			t.Fatalf("late starter knows %d users, want 1", sub.List().Len())
		}
		if !refused(v, sign(t, signer, 7, 1)) || refused(v, sign(t, signer, 7, 2)) || refused(v, sign(t, signer, 9, 0)) {
			t.Fatal("late starter applies the wrong versions")
		}
		// The stored key expires with the token lifetime.
		keys, err := b.client(t, "inspect").Keys(context.Background(), ns+":revoked:*").Result()
		if err != nil || len(keys) != 2 {
			t.Fatalf("stored keys = %v, %v", keys, err)
		}
		ttl, _ := b.client(t, "inspect").PTTL(context.Background(), ns+":revoked:7:2").Result()
		if ttl <= auth.RevocationTTL-5*time.Second || ttl > auth.RevocationTTL {
			t.Fatalf("key TTL = %s, want about %s", ttl, auth.RevocationTTL)
		}
	})
}

// TestReconnectHealsMissedRevocation on real Redis: a revocation whose message never reached a
// process (only its key was written) is loaded after the subscriber's connection is killed and
// re-established — well before the periodic reload (an hour here).
func TestReconnectHealsMissedRevocation(t *testing.T) {
	b := realRedis(t)
	ns, signer := unique("t"), newSigner(t)
	name := unique("revoke-victim-")
	v := authn.NewVerifier(clock.Real{}, signer.PublicKey())
	victim := b.client(t, name)
	sub := revoke.Listen(context.Background(), victim, v, revoke.Options{
		Namespace: ns, Resync: time.Hour, PingInterval: 200 * time.Millisecond,
		RetryMin: 20 * time.Millisecond, RetryMax: 200 * time.Millisecond,
		Logger: log.NewFilter(log.DefaultLogger, log.FilterLevel(log.LevelError)),
	})
	go func() { _ = sub.Start(context.Background()) }()
	t.Cleanup(func() { _ = sub.Stop(context.Background()) })
	eventually(t, 3*time.Second, "subscribed", sub.Subscribed)

	admin := b.client(t, "admin")
	writeMissed(t, admin, ns, auth.Revocation{UserID: 7, Version: 1, At: time.Now()})
	time.Sleep(100 * time.Millisecond)
	old := sign(t, signer, 7, 0)
	if refused(v, old) {
		t.Fatal("revocation seen without a message: the test would prove nothing")
	}
	// Kill the subscriber's connections (found by client name; nobody else's).
	list, err := admin.ClientList(context.Background()).Result()
	if err != nil {
		t.Fatal(err)
	}
	killed := 0
	for _, line := range strings.Split(list, "\n") {
		if strings.Contains(line, " name="+name+" ") {
			id := strings.TrimPrefix(strings.Fields(line)[0], "id=")
			if err := admin.Do(context.Background(), "CLIENT", "KILL", "ID", id).Err(); err == nil {
				killed++
			}
		}
	}
	if killed == 0 {
		t.Fatalf("no connection named %s in CLIENT LIST", name)
	}
	eventually(t, 3*time.Second, "resubscribed", func() bool { return sub.Subscriptions() >= 2 })
	eventually(t, time.Second, "healed", func() bool { return refused(v, old) })
}

// TestRestartedServerHealsMissedRevocation on the embedded server's engine (miniredis): the
// server goes away, a revocation is stored while the subscriber cannot hear it, the server comes
// back on the same port with its data, and the subscriber resubscribes and loads it.
func TestRestartedServerHealsMissedRevocation(t *testing.T) {
	mr := miniredis.NewMiniRedis()
	if err := mr.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(mr.Close)
	ns, signer := unique("t"), newSigner(t)
	v := authn.NewVerifier(clock.Real{}, signer.PublicKey())
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr(), MaxRetries: -1})
	t.Cleanup(func() { rdb.Close() })
	sub := revoke.Listen(context.Background(), rdb, v, revoke.Options{
		Namespace: ns, Resync: time.Hour, PingInterval: 200 * time.Millisecond,
		RetryMin: 20 * time.Millisecond, RetryMax: 100 * time.Millisecond,
		Logger: log.NewFilter(log.DefaultLogger, log.FilterLevel(log.LevelError)),
	})
	go func() { _ = sub.Start(context.Background()) }()
	t.Cleanup(func() { _ = sub.Stop(context.Background()) })
	eventually(t, 3*time.Second, "subscribed", sub.Subscribed)

	mr.Close()
	eventually(t, 3*time.Second, "disconnected", func() bool { return !sub.Subscribed() })
	val, _ := json.Marshal(auth.Revocation{UserID: 7, Version: 1, At: time.Now()})
	if err := mr.Set(ns+":revoked:7:1", string(val)); err != nil {
		t.Fatal(err)
	}
	old := sign(t, signer, 7, 0)
	if refused(v, old) {
		t.Fatal("revoked while disconnected")
	}
	if err := mr.Restart(); err != nil {
		t.Fatal(err)
	}
	eventually(t, 3*time.Second, "healed after the restart", func() bool { return refused(v, old) })
	if sub.Subscriptions() < 2 {
		t.Fatalf("subscriptions = %d, want a resubscription", sub.Subscriptions())
	}
}

// writeMissed stores a revocation's key without publishing it, as if its message was lost.
func writeMissed(t *testing.T, c *redis.Client, ns string, rev auth.Revocation) {
	t.Helper()
	val, _ := json.Marshal(rev)
	key := ns + ":revoked:" + itoa(rev.UserID) + ":" + itoa(rev.Version)
	if err := c.Set(context.Background(), key, val, auth.RevocationTTL).Err(); err != nil {
		t.Fatal(err)
	}
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }
