package authn_test

import (
	"context"
	"io"
	"net/http"
	"testing"

	"github.com/go-kratos/kratos/v2/log"
	"github.com/go-kratos/kratos/v2/middleware"
	"github.com/go-kratos/kratos/v2/transport"

	"github.com/vanguard/vanguard/pkg/auth"
	"github.com/vanguard/vanguard/pkg/authn"
	"github.com/vanguard/vanguard/pkg/clock"
)

// Run with `make bench`. These benchmarks report figures only; they assert no timings.

// benchHeader is an http.Header behind kratos' transport.Header interface.
type benchHeader http.Header

func (h benchHeader) Get(k string) string      { return http.Header(h).Get(k) }
func (h benchHeader) Set(k, v string)          { http.Header(h).Set(k, v) }
func (h benchHeader) Add(k, v string)          { http.Header(h).Add(k, v) }
func (h benchHeader) Values(k string) []string { return http.Header(h).Values(k) }
func (h benchHeader) Keys() []string {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	return keys
}

// benchTransport is a fake kratos server transport carrying a request header, as the HTTP and
// gRPC servers put one in the context before the middleware chain runs.
type benchTransport struct {
	op          string
	req, replyH benchHeader
}

func (t *benchTransport) Kind() transport.Kind            { return transport.KindHTTP }
func (t *benchTransport) Endpoint() string                { return "http://127.0.0.1:8000" }
func (t *benchTransport) Operation() string               { return t.op }
func (t *benchTransport) RequestHeader() transport.Header { return t.req }
func (t *benchTransport) ReplyHeader() transport.Header   { return t.replyH }

// benchSetup returns a verifier and a valid access token for a staff principal.
func benchSetup(b *testing.B) (*authn.Verifier, string) {
	b.Helper()
	key, err := authn.GenerateKey()
	if err != nil {
		b.Fatal(err)
	}
	clk := clock.Real{}
	signer := authn.NewSigner(key, clk)
	token, _, err := signer.Sign(&auth.Principal{
		UserID: 42, Username: "zhangsan", Roles: []string{auth.RoleStaff, auth.RoleMember},
		OrgID: 9, OrgPath: "/1/4/9/",
	})
	if err != nil {
		b.Fatal(err)
	}
	return authn.NewVerifier(clk, signer.PublicKey()), token
}

var benchSinkPrincipal *auth.Principal

// BenchmarkVerify measures Verifier.Verify of a valid Ed25519-signed access token seen before
// (the verified-token cache: a SHA-256, a map lookup and the revocation check).
func BenchmarkVerify(b *testing.B) {
	v, token := benchSetup(b)
	b.ReportAllocs()
	for b.Loop() {
		p, err := v.Verify(token)
		if err != nil {
			b.Fatal(err)
		}
		benchSinkPrincipal = p
	}
}

// BenchmarkVerifyUncached is Verify with the verified-token cache off: the full Ed25519 check
// on every call, the cost the cache saves (same run, same token).
func BenchmarkVerifyUncached(b *testing.B) {
	v, token := benchSetup(b)
	v.CacheSize = 0
	b.ReportAllocs()
	for b.Loop() {
		p, err := v.Verify(token)
		if err != nil {
			b.Fatal(err)
		}
		benchSinkPrincipal = p
	}
}

// benchRequest runs one request through h the way a kratos server does: a server transport in
// the context, then the handler chain. The handler is a no-op that only reads the principal.
func benchRequest(b *testing.B, h middleware.Handler, token string) {
	b.Helper()
	tr := &benchTransport{
		op:     "/api.org.v1.Org/GetOrg",
		req:    benchHeader{"Authorization": []string{"Bearer " + token}},
		replyH: benchHeader{},
	}
	b.ReportAllocs()
	for b.Loop() {
		ctx := transport.NewServerContext(context.Background(), tr)
		if _, err := h(ctx, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func benchNoopHandler(ctx context.Context, _ any) (any, error) {
	benchSinkPrincipal, _ = auth.FromContext(ctx)
	return nil, nil
}

// BenchmarkMiddleware is the full authn.Server middleware (header lookup, token verification,
// principal in the context) around a no-op handler.
func BenchmarkMiddleware(b *testing.B) {
	v, token := benchSetup(b)
	h := middleware.Chain(authn.Server(v, log.NewStdLogger(io.Discard), "/api.org.v1.Auth/Login"))(benchNoopHandler)
	// Sanity check outside the timed loop: the principal must reach the handler.
	ctx := transport.NewServerContext(context.Background(), &benchTransport{
		op: "/api.org.v1.Org/GetOrg", req: benchHeader{"Authorization": []string{"Bearer " + token}}, replyH: benchHeader{},
	})
	benchSinkPrincipal = nil
	if _, err := h(ctx, nil); err != nil || benchSinkPrincipal == nil || benchSinkPrincipal.UserID != 42 {
		b.Fatalf("middleware did not authenticate: err=%v principal=%+v", err, benchSinkPrincipal)
	}
	benchRequest(b, h, token)
}

// BenchmarkMiddlewareBaseline is the same chain and request without the auth middleware, so
// Middleware − Baseline is the per-request cost of token verification in the same run.
func BenchmarkMiddlewareBaseline(b *testing.B) {
	_, token := benchSetup(b)
	h := middleware.Chain()(benchNoopHandler)
	benchRequest(b, h, token)
}

// BenchmarkMiddlewareRejected measures the cost of refusing a request with a bad token
// (verification failure plus the denial log line, discarded here).
func BenchmarkMiddlewareRejected(b *testing.B) {
	v, _ := benchSetup(b)
	h := middleware.Chain(authn.Server(v, log.NewStdLogger(io.Discard)))(benchNoopHandler)
	tr := &benchTransport{
		op:     "/api.org.v1.Org/GetOrg",
		req:    benchHeader{"Authorization": []string{"Bearer not.a.token"}},
		replyH: benchHeader{},
	}
	b.ReportAllocs()
	for b.Loop() {
		ctx := transport.NewServerContext(context.Background(), tr)
		if _, err := h(ctx, nil); err == nil {
			b.Fatal("bad token accepted")
		}
	}
}
