package standalone

import (
	"net/http"
	"strings"
	"testing"
)

// The web app answers every path no route claims, through the real router, and nothing of the
// server's: API paths, the OpenAPI documents, the queue monitor, health and blobs keep their own
// answers (a mistyped API path is a JSON 404, never the app's page).
func TestWebAppBesideTheAPI(t *testing.T) {
	l := startLiveWith(t, false)
	for _, p := range []string{"/", "/login", "/m/exams/12", "/s/accounts"} {
		status, body := l.rawRequest("GET", l.url+p, nil, nil)
		if status != http.StatusOK || !strings.Contains(body, "先锋学习平台") {
			t.Errorf("GET %s = %d %.80q", p, status, body)
		}
	}
	res, err := http.Get(l.url + "/m")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("app page CSP = %q", csp)
	}
	if res.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("app page headers: %v", res.Header)
	}
	for _, c := range []struct {
		method, path string
		status       int
	}{
		{"GET", "/v1/no-such-thing", http.StatusNotFound},
		{"GET", "/v1/auth/login", http.StatusNotFound}, // a POST route: no GET there
		{"GET", "/admin/nothing-here", http.StatusNotFound},
		{"GET", "/admin/queues/", http.StatusUnauthorized},
		{"GET", "/openapi/org.yaml", http.StatusOK},
		{"GET", "/openapi/none.yaml", http.StatusNotFound},
		{"GET", "/healthz", http.StatusOK},
		{"GET", "/blob/nope", http.StatusForbidden}, // the blob store's answer to an unsigned URL
		{"GET", "/assets/index-gone.js", http.StatusNotFound},
		{"POST", "/m/exams", http.StatusMethodNotAllowed},
	} {
		status, body := l.rawRequest(c.method, l.url+c.path, nil, nil)
		if status != c.status || strings.Contains(body, `id="app"`) || strings.Contains(body, "先锋学习平台") {
			t.Errorf("%s %s = %d %.80q, want %d and not the app", c.method, c.path, status, body, c.status)
		}
	}
}
