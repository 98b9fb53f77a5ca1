package standalone

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
)

// rawRequest sends body with the given headers (no Content-Type unless given) and returns status
// and body.
func (l *live) rawRequest(method, url string, body []byte, header map[string]string) (int, string) {
	l.t.Helper()
	req, _ := http.NewRequest(method, url, bytes.NewReader(body))
	if body == nil {
		req.Body = nil
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		l.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(raw)
}

// /metrics with a scrape token configured: on the public port only with that bearer token; on
// the separate internal listener without one. (Without a token it is 404: routes_test.go.)
func TestMetricsTokenAndInternalListener(t *testing.T) {
	const token = "scrape-token-4f1c9a"
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := startLiveConfig(t, false, func(c *Config) {
		c.MetricsToken = token
		c.MetricsListener = lis
	})
	l.login("admin", "Admin-pass-2026") // so the request counters have a sample

	for name, auth := range map[string]string{
		"no token": "", "wrong token": "Bearer " + token + "x", "token prefix": "Bearer " + token[:8],
		"not bearer": "Basic " + token, "admin access token": "Bearer " + l.login("admin", "Admin-pass-2026"),
	} {
		h := map[string]string{}
		if auth != "" {
			h["Authorization"] = auth
		}
		status, body := l.rawRequest("GET", l.url+"/metrics", nil, h)
		if status != http.StatusUnauthorized || strings.Contains(body, "vanguard_requests_total") {
			t.Errorf("public /metrics with %s = %d %.80q, want 401", name, status, body)
		}
	}
	status, body := l.rawRequest("GET", l.url+"/metrics", nil, map[string]string{"Authorization": "Bearer " + token})
	if status != 200 || !strings.Contains(body, "vanguard_requests_total") || !strings.Contains(body, "/api.org.v1.Auth/Login") {
		t.Fatalf("public /metrics with the token = %d %.200q", status, body)
	}

	internal := "http://" + lis.Addr().String()
	status, body = l.rawRequest("GET", internal+"/metrics", nil, nil)
	if status != 200 || !strings.Contains(body, "vanguard_requests_total") {
		t.Fatalf("internal /metrics = %d %.200q", status, body)
	}
	// The internal listener serves metrics only, not the API.
	if status, _ := l.rawRequest("POST", internal+"/v1/auth/login", []byte(`{}`), nil); status != http.StatusNotFound {
		t.Fatalf("API on the metrics listener = %d, want 404", status)
	}
}

// A JSON body without Content-Type is read as JSON (the same answers as with application/json);
// other media types, and undeclared bodies that are not JSON, get 415 with a Chinese message.
func TestRequestBodyMediaTypes(t *testing.T) {
	l := startLive(t)
	login := func(pw string) []byte {
		b, _ := json.Marshal(map[string]string{"username": "admin", "password": pw})
		return b
	}
	url := l.url + "/v1/auth/login"
	for _, pw := range []string{"Admin-pass-2026", "wrong-password-1"} {
		wantStatus, wantBody := l.rawRequest("POST", url, login(pw), map[string]string{"Content-Type": "application/json"})
		status, body := l.rawRequest("POST", url, login(pw), nil)
		var want, got map[string]any
		_ = json.Unmarshal([]byte(wantBody), &want)
		_ = json.Unmarshal([]byte(body), &got)
		if status != wantStatus || (status == 200) != (got["accessToken"] != nil) || want["reason"] != got["reason"] {
			t.Fatalf("no Content-Type: %d %s; application/json: %d %s", status, body, wantStatus, wantBody)
		}
	}
	if status, body := l.rawRequest("POST", url, login("Admin-pass-2026"), map[string]string{"Content-Type": "application/json; charset=utf-8"}); status != 200 {
		t.Fatalf("application/json with charset = %d %s", status, body)
	}
	for _, ct := range []string{"text/plain", "application/xml", "application/x-www-form-urlencoded", ""} {
		body := login("Admin-pass-2026")
		h := map[string]string{"Content-Type": ct}
		if ct == "" {
			body, h = []byte("username=admin&password=Admin-pass-2026"), nil
		}
		status, raw := l.rawRequest("POST", url, body, h)
		var e map[string]any
		_ = json.Unmarshal([]byte(raw), &e)
		msg, _ := e["message"].(string)
		if status != http.StatusUnsupportedMediaType || e["reason"] != "UNSUPPORTED_MEDIA_TYPE" || !strings.Contains(msg, "application/json") || !strings.Contains(msg, "请") {
			t.Errorf("Content-Type %q = %d %s, want 415 with a Chinese message", ct, status, raw)
		}
	}
}
