package standalone

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	khttp "github.com/go-kratos/kratos/v2/transport/http"

	"github.com/vanguard/vanguard/pkg/auth"
	"github.com/vanguard/vanguard/pkg/authn"
)

// Every API route of every service refuses a request without a valid token — walked from the
// router itself, so an endpoint added later without protection fails this test. The public
// ones are listed explicitly.
func TestEveryRouteRequiresAToken(t *testing.T) {
	l := startLive(t)
	public := map[string]bool{
		"POST /v1/auth/login": true, "POST /v1/auth/refresh": true, "POST /v1/auth/logout": true,
		"GET /v1/auth/public-key": true,
	}
	// Raw handlers: probes, documents and templates hold no data; /blob/ checks its own
	// signatures; /admin/queues checks tokens itself (tested in pkg/queue and the course journey);
	// /metrics wants the scrape token and, with none configured as here, does not exist.
	rawPublic := regexp.MustCompile(`^/(healthz|readyz|openapi/|v1/import-templates/|v1/quiz/import-template|blob/|admin/queues)`)

	other, _ := authn.GenerateKey()
	forged, _, err := authn.NewSigner(other, l.clock).Sign(&auth.Principal{UserID: 1, Username: "admin", Roles: []string{"admin"}, OrgID: 1, OrgPath: "/1/"})
	if err != nil {
		t.Fatal(err)
	}
	vars := regexp.MustCompile(`\{[^}]+\}`)
	checked := 0
	err = l.p.HTTP.WalkRoute(func(r khttp.RouteInfo) error {
		path := vars.ReplaceAllString(r.Path, "1")
		if r.Method == "" || rawPublic.MatchString(r.Path) {
			return nil
		}
		key := r.Method + " " + r.Path
		if public[key] {
			return nil
		}
		checked++
		for name, tok := range map[string]string{"no token": "", "garbage": "x.y.z", "other key": forged} {
			res := l.call(r.Method, path, tok, map[string]any{})
			if res.status != http.StatusUnauthorized {
				t.Errorf("%s with %s = %d %s, want 401", key, name, res.status, res.raw)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Raw handlers have no methods, so the walk skips them: /metrics is checked by hand. Not even
	// an admin's access token opens it — only the scrape token does.
	for name, tok := range map[string]string{"no token": "", "admin token": l.login("admin", "Admin-pass-2026")} {
		if res := l.call("GET", "/metrics", tok, nil); res.status != http.StatusNotFound {
			t.Errorf("GET /metrics with %s = %d, want 404", name, res.status)
		}
	}
	// org + course + quiz expose dozens of operations; a walk that finds few means it broke.
	t.Logf("protected routes walked: %d", checked)
	if checked < 60 {
		t.Fatalf("only %d protected routes walked", checked)
	}
	for key := range public {
		if !strings.HasPrefix(key, "POST ") && !strings.HasPrefix(key, "GET ") {
			t.Fatalf("bad public route %q", key)
		}
	}
}
