package org_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/go-kratos/kratos/v2/log"

	"github.com/vanguard/vanguard/app/org"
	"github.com/vanguard/vanguard/pkg/authn"
	"github.com/vanguard/vanguard/pkg/clock"
	"github.com/vanguard/vanguard/pkg/kit"
	"github.com/vanguard/vanguard/pkg/obs"
	"github.com/vanguard/vanguard/pkg/secret"
	"github.com/vanguard/vanguard/pkg/testdb"
)

const adminPassword = "Admin-pass-2026"

// env is one org service behind its real HTTP router, on a real database, with a fake clock.
type env struct {
	t      *testing.T
	srv    *httptest.Server
	clock  *clock.Fake
	module *org.Module
	key    []byte // signing key PEM
}

func newEnv(t *testing.T, driver, dsn string) *env {
	t.Helper()
	key, err := authn.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	pemBytes, _ := authn.MarshalPrivateKeyPEM(key)
	clk := clock.NewFake(time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC))
	logger := log.NewFilter(obs.NewLogger(io.Discard, "org-test"))
	if os.Getenv("VANGUARD_TEST_LOG") != "" {
		logger = log.NewFilter(obs.NewLogger(os.Stderr, "org-test"))
	}
	m, err := org.New(org.Config{
		DatabaseDriver: driver, DatabaseDSN: dsn, SigningKeyPEM: pemBytes,
		IDKey:  bytes.Repeat([]byte{7}, 32),
		Argon2: secret.Argon2Params{MemoryKiB: 256, Iterations: 1, Parallelism: 1},
	}, logger, clk)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	ctx := context.Background()
	if err := m.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if created, err := m.Bootstrap(ctx, adminPassword); err != nil || !created {
		t.Fatalf("bootstrap created=%v err=%v", created, err)
	}
	hs, _, err := kit.NewServers(kit.Options{
		HTTPAddr: "127.0.0.1:0", GRPCAddr: "127.0.0.1:0",
		Verifier:         authn.NewVerifier(clk, m.Signer().PublicKey()),
		PublicOperations: m.PublicOperations(), Logger: logger, Metrics: obs.NewMetrics(), Ready: m.Ready,
	})
	if err != nil {
		t.Fatal(err)
	}
	m.RegisterHTTP(hs)
	srv := httptest.NewServer(hs)
	t.Cleanup(srv.Close)
	return &env{t: t, srv: srv, clock: clk, module: m, key: pemBytes}
}

// resp is an HTTP answer: status, headers, raw body and the body decoded as JSON.
type resp struct {
	Status int
	Header http.Header
	Raw    string
	JSON   map[string]any
}

func (r resp) str(path ...string) string {
	var v any = r.JSON
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return ""
		}
		v = m[p]
	}
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return ""
	default:
		b, _ := json.Marshal(x)
		return string(b)
	}
}

func (e *env) do(method, path, token string, body any) resp {
	e.t.Helper()
	return e.doWith(method, path, token, body, nil)
}

// doWith is do with extra request headers (cookies included, as "Cookie").
func (e *env) doWith(method, path, token string, body any, header map[string]string) resp {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	out := resp{Status: res.StatusCode, Header: res.Header, Raw: string(raw)}
	_ = json.Unmarshal(raw, &out.JSON)
	return out
}

// expect fails the test unless r has the status (and, if given, the error reason).
func (e *env) expect(r resp, status int, reason ...string) resp {
	e.t.Helper()
	if r.Status != status {
		e.t.Fatalf("status = %d, want %d; body: %s", r.Status, status, r.Raw)
	}
	if len(reason) > 0 && r.str("reason") != reason[0] {
		e.t.Fatalf("reason = %q, want %q; body: %s", r.str("reason"), reason[0], r.Raw)
	}
	return r
}

type session struct{ access, refresh string }

func (e *env) login(user, pw string) session {
	e.t.Helper()
	r := e.expect(e.do("POST", "/v1/auth/login", "", map[string]any{"username": user, "password": pw}), 200)
	return session{access: r.str("accessToken"), refresh: r.str("refreshToken")}
}

func (e *env) createOrg(tok string, parent, name, code, typ string) string {
	e.t.Helper()
	body := map[string]any{"name": name, "code": code, "type": typ}
	if parent != "" {
		body["parentId"] = parent
	}
	return e.expect(e.do("POST", "/v1/orgs", tok, body), 200).str("id")
}

func (e *env) createAccount(tok, orgID, username string, roles ...string) string {
	e.t.Helper()
	return e.expect(e.do("POST", "/v1/accounts", tok, map[string]any{
		"username": username, "displayName": "用户" + username, "password": "Passw0rd-" + username,
		"roles": roles, "orgId": orgID,
	}), 200).str("id")
}

func csvBody(lines ...string) []byte { return []byte(strings.Join(lines, "\n") + "\n") }

// each runs fn against SQLite and PostgreSQL.
func each(t *testing.T, fn func(t *testing.T, e *env)) {
	testdb.Each(t, func(t *testing.T, driver, dsn string) { fn(t, newEnv(t, driver, dsn)) })
}
