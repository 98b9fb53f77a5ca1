package kit_test

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"

	kerrors "github.com/go-kratos/kratos/v2/errors"
	"github.com/go-kratos/kratos/v2/middleware"
	"github.com/go-kratos/kratos/v2/transport"

	"github.com/vanguard/vanguard/pkg/authn"
	"github.com/vanguard/vanguard/pkg/clock"
	"github.com/vanguard/vanguard/pkg/kit"
	"github.com/vanguard/vanguard/pkg/obs"
)

type header http.Header

func (h header) Get(k string) string      { return http.Header(h).Get(k) }
func (h header) Set(k, v string)          { http.Header(h).Set(k, v) }
func (h header) Add(k, v string)          { http.Header(h).Add(k, v) }
func (h header) Values(k string) []string { return http.Header(h).Values(k) }
func (h header) Keys() []string           { return nil }

type serverTransport struct{ op string }

func (t serverTransport) Kind() transport.Kind            { return transport.KindHTTP }
func (t serverTransport) Endpoint() string                { return "http://test" }
func (t serverTransport) Operation() string               { return t.op }
func (t serverTransport) RequestHeader() transport.Header { return header{} }
func (t serverTransport) ReplyHeader() transport.Header   { return header{} }

// A handler that panics answers 500, and the shared chain still counts and logs the request (the
// recovery sits inside metrics and the access log), without the request message.
func TestPanicIsCountedAndLogged(t *testing.T) {
	key, _ := authn.GenerateKey()
	var logs bytes.Buffer
	metrics := obs.NewMetrics()
	const op = "/test.v1.Test/Boom"
	mw, err := kit.Middleware(kit.Options{
		Verifier:         authn.NewVerifier(clock.Real{}, authn.NewSigner(key, clock.Real{}).PublicKey()),
		PublicOperations: []string{op}, Logger: obs.NewLogger(&logs, "test"), Metrics: metrics,
	})
	if err != nil {
		t.Fatal(err)
	}
	h := middleware.Chain(mw...)(func(context.Context, any) (any, error) { panic("boom") })
	ctx := transport.NewServerContext(context.Background(), serverTransport{op: op})
	if _, err := h(ctx, "password=secret-in-request"); kerrors.Code(err) != 500 {
		t.Fatalf("panic answered %v, want 500", err)
	}
	out := logs.String()
	if !strings.Contains(out, `"msg":"request"`) || !strings.Contains(out, `"code":500`) || !strings.Contains(out, "handler panicked") {
		t.Fatalf("log lacks the access line or the panic:\n%s", out)
	}
	if strings.Contains(out, "secret-in-request") {
		t.Fatal("the request message reached the log")
	}
	families, err := metrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	counted := false
	for _, f := range families {
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if strings.HasSuffix(f.GetName(), "requests_total") && labels["code"] == "500" && m.GetCounter().GetValue() == 1 {
				counted = true
			}
		}
	}
	if !counted {
		t.Fatal("the panicking request was not counted as a 500")
	}
}
