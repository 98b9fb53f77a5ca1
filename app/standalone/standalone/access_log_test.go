package standalone

import (
	"net/http"
	"strings"
	"testing"
)

// Through the real router: every response carries a request id, and the request's log line
// names the verified caller and that id (never the request).
func TestAccessLogNamesCallerAndRequestID(t *testing.T) {
	l := startLiveWith(t, false)
	admin := l.login("admin", "Admin-pass-2026")
	req, _ := http.NewRequest("GET", l.url+"/v1/me", nil)
	req.Header.Set("Authorization", "Bearer "+admin)
	req.Header.Set("X-Request-ID", "trace-me-1")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 || res.Header.Get("X-Request-ID") != "trace-me-1" {
		t.Fatalf("GET /v1/me = %d, X-Request-ID %q", res.StatusCode, res.Header.Get("X-Request-ID"))
	}
	me := l.must(l.call("GET", "/v1/me", admin, nil), 200)
	var line string
	for _, s := range strings.Split(l.logs.String(), "\n") {
		if strings.Contains(s, `"request_id":"trace-me-1"`) {
			line = s
		}
	}
	if line == "" || !strings.Contains(line, `"user_id":`+me.s("id")) || !strings.Contains(line, "GetMe") {
		t.Fatalf("no log line with the caller and the request id; line %q in:\n%s", line, l.logs.String())
	}
}
