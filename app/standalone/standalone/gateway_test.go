package standalone

import (
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/vanguard/vanguard/pkg/gateway"
)

// TestGatewayInFront puts the gateway, with the route table of every proto, in front of the
// real services (here all in one process): a sign-in, the caller's own account, a search and a
// course's publication go through it with the caller's token; an unknown API path stops there.
func TestGatewayInFront(t *testing.T) {
	sr := recordSpans(t)
	l := startLive(t)
	routes, err := gateway.ProtoRoutes()
	if err != nil {
		t.Fatal(err)
	}
	table, err := gateway.NewTable(append(routes, gateway.Extra...))
	if err != nil {
		t.Fatal(err)
	}
	up, _ := url.Parse(l.url)
	ups := map[string]*url.URL{}
	for _, svc := range []string{"org", "course", "quiz", "studyhour", "growth", "search"} {
		ups[svc] = up
	}
	h, err := gateway.Handler(table, ups, nil)
	if err != nil {
		t.Fatal(err)
	}
	gw := httptest.NewServer(h)
	defer gw.Close()
	g := &live{t: t, url: gw.URL, p: l.p, ctx: l.ctx, clock: l.clock}
	admin := g.login("admin", "Admin-pass-2026")
	if r := g.must(g.call("GET", "/v1/me", admin, nil), 200); r.s("username") != "admin" {
		t.Fatalf("/v1/me through the gateway: %s", r.raw)
	}
	c := g.must(g.call("POST", "/v1/courses", admin, map[string]any{"title": "网关课程"}), 200).s("id")
	g.must(g.call("POST", "/v1/courses/"+c+":publish", admin, map[string]any{}), 409, "COURSE_STATE") // the service answered
	g.must(g.call("GET", "/v1/search/status", admin, nil), 200)
	g.must(g.call("GET", "/v1/me", "", nil), 401)
	if r := g.call("GET", "/v1/no-such-thing", admin, nil); r.status != 404 || r.s("reason") != "NOT_FOUND" {
		t.Fatalf("an unknown path: %d %s", r.status, r.raw)
	}

	// The gateway's span continues the client's trace and is the parent of the service's.
	const tid, parent = "5b8efff798038103d269b633813fc60c", "eee19b7ec3c1b174"
	g.must(g.traced("GET", "/v1/me", admin, nil, tid, parent), 200)
	var gwSpan, svcSpan sdktrace.ReadOnlySpan
	for _, s := range spansOf(sr, tid) {
		switch s.Name() {
		case "GET /v1/me":
			gwSpan = s
		case "/api.org.v1.Auth/GetMe":
			svcSpan = s
		}
	}
	if gwSpan == nil || svcSpan == nil || gwSpan.Parent().SpanID().String() != parent ||
		svcSpan.Parent().SpanID() != gwSpan.SpanContext().SpanID() || !svcSpan.Parent().IsRemote() {
		t.Fatalf("gateway → service trace:\n%s", describe(spansOf(sr, tid)))
	}
}
