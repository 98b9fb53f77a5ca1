package webui_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/vanguard/vanguard/pkg/webui"
)

var files = fstest.MapFS{
	"index.html":                     {Data: []byte(`<!doctype html><div id="app"></div>`)},
	"favicon.svg":                    {Data: []byte(`<svg/>`)},
	"assets/index-abc123.js":         {Data: []byte(`console.log("plain")`)},
	"assets/index-abc123.js.gz":      {Data: []byte(`GZ`)},
	"assets/index-abc123.js.br":      {Data: []byte(`BR`)},
	"assets/LoginPage-def456.css":    {Data: []byte(`.a{}`)},
	"assets/LoginPage-def456.css.gz": {Data: []byte(`GZCSS`)},
}

func get(t *testing.T, h http.Handler, method, target string, hdr map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(method, target, nil)
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestServesTheApp(t *testing.T) {
	h := webui.Handler(files, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
	t.Run("hashed assets are cached for a year, precompressed as the client accepts", func(t *testing.T) {
		for _, c := range []struct{ accept, enc, body string }{
			{"gzip, deflate, br", "br", "BR"},
			{"gzip", "gzip", "GZ"},
			{"br;q=0, gzip", "gzip", "GZ"},
			{"", "", `console.log("plain")`},
			{"identity", "", `console.log("plain")`},
		} {
			w := get(t, h, "GET", "/assets/index-abc123.js", map[string]string{"Accept-Encoding": c.accept})
			if w.Code != 200 || w.Header().Get("Content-Encoding") != c.enc || w.Body.String() != c.body {
				t.Errorf("Accept-Encoding %q: %d %q %q", c.accept, w.Code, w.Header().Get("Content-Encoding"), w.Body.String())
			}
			if got := w.Header().Get("Cache-Control"); got != "public, max-age=31536000, immutable" {
				t.Errorf("asset Cache-Control = %q", got)
			}
			if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/javascript") {
				t.Errorf("asset Content-Type = %q", ct)
			}
			if w.Header().Get("Vary") != "Accept-Encoding" {
				t.Errorf("Vary = %q", w.Header().Get("Vary"))
			}
		}
		// No .br of the CSS: gzip then.
		w := get(t, h, "GET", "/assets/LoginPage-def456.css", map[string]string{"Accept-Encoding": "br, gzip"})
		if w.Header().Get("Content-Encoding") != "gzip" || w.Body.String() != "GZCSS" || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/css") {
			t.Errorf("css: %q %q %q", w.Header().Get("Content-Encoding"), w.Body.String(), w.Header().Get("Content-Type"))
		}
	})
	t.Run("the app's own paths get index.html, revalidated each time", func(t *testing.T) {
		for _, p := range []string{"/", "/login", "/m/exams/12", "/a", "/s/accounts?page=2", "/index.html", "/m/../login"} {
			w := get(t, h, "GET", p, nil)
			if w.Code != 200 || !strings.Contains(w.Body.String(), `id="app"`) {
				t.Errorf("%s: %d %q", p, w.Code, w.Body.String())
			}
			if w.Header().Get("Cache-Control") != "no-cache" || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/html") {
				t.Errorf("%s: Cache-Control %q, Content-Type %q", p, w.Header().Get("Cache-Control"), w.Header().Get("Content-Type"))
			}
		}
		first := get(t, h, "GET", "/m", nil)
		again := get(t, h, "GET", "/m", map[string]string{"If-None-Match": first.Header().Get("ETag")})
		if first.Header().Get("ETag") == "" || again.Code != http.StatusNotModified {
			t.Errorf("revalidation: ETag %q, then %d", first.Header().Get("ETag"), again.Code)
		}
	})
	t.Run("never the server's paths, and no page in place of a missing file", func(t *testing.T) {
		for _, p := range []string{"/v1/nope", "/v1", "/openapi/x.yaml", "/admin", "/admin/queues/x", "/blob/k", "/healthz", "/readyz", "/metrics",
			"/assets/index-old999.js", "/robots.txt", "/m/../v1/me"} {
			w := get(t, h, "GET", p, nil)
			if w.Code != http.StatusNotFound || strings.Contains(w.Body.String(), `id="app"`) {
				t.Errorf("%s: %d %q", p, w.Code, w.Body.String())
			}
		}
	})
	t.Run("security headers on every page", func(t *testing.T) {
		w := get(t, h, "GET", "/login", nil)
		csp := w.Header().Get("Content-Security-Policy")
		for _, want := range []string{"script-src 'self'", "frame-ancestors 'none'", "object-src 'none'", "default-src 'self'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("CSP %q lacks %q", csp, want)
			}
		}
		if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
			t.Errorf("CSP allows inline or eval: %q", csp)
		}
		if w.Header().Get("X-Content-Type-Options") != "nosniff" || w.Header().Get("Referrer-Policy") != "same-origin" || w.Header().Get("X-Frame-Options") != "DENY" {
			t.Errorf("headers: %v", w.Header())
		}
	})
	t.Run("read-only", func(t *testing.T) {
		if w := get(t, h, "POST", "/login", nil); w.Code != http.StatusMethodNotAllowed {
			t.Errorf("POST: %d", w.Code)
		}
		if w := get(t, h, "HEAD", "/assets/index-abc123.js", nil); w.Code != 200 || w.Body.Len() != 0 {
			t.Errorf("HEAD: %d, %d bytes", w.Code, w.Body.Len())
		}
	})
}

// Without the webui build tag the binary carries a placeholder page saying how to build the app.
func TestPlaceholderOrBuild(t *testing.T) {
	h := webui.Handler(webui.Files(), time.Now())
	w := get(t, h, "GET", "/m", nil)
	if w.Code != 200 {
		t.Fatalf("GET /m: %d", w.Code)
	}
	if !webui.Built && !strings.Contains(w.Body.String(), "make run") {
		t.Errorf("placeholder page: %q", w.Body.String())
	}
	if webui.Built && !strings.Contains(w.Body.String(), `id="app"`) {
		t.Errorf("built app page: %q", w.Body.String())
	}
}
