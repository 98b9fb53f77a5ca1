package gateway

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// Each request reaches the service its route names, with its method, path, query, body and
// token; a /v1 path no route matches is 404 here; the web app has the rest; a service that
// does not answer is a 502 in the API's error shape.
func TestHandlerRoutesToTheServices(t *testing.T) {
	routes, err := ProtoRoutes()
	if err != nil {
		t.Fatal(err)
	}
	table, err := NewTable(append(routes, Extra...))
	if err != nil {
		t.Fatal(err)
	}
	upstreams := map[string]*url.URL{}
	for _, svc := range []string{"org", "course", "quiz", "studyhour", "growth", "search"} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			w.Header().Set("X-Service", svc)
			_, _ = io.WriteString(w, r.Method+" "+r.URL.RequestURI()+" "+r.Header.Get("Authorization")+" "+string(body)+" "+r.Header.Get("X-Forwarded-For"))
		}))
		t.Cleanup(srv.Close)
		upstreams[svc], _ = url.Parse(srv.URL)
	}
	dead, _ := url.Parse("http://127.0.0.1:1")
	web := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "web app") })
	h, err := Handler(table, upstreams, web)
	if err != nil {
		t.Fatal(err)
	}
	gw := httptest.NewServer(h)
	defer gw.Close()
	call := func(method, path, body string) (int, string, string) {
		t.Helper()
		req, _ := http.NewRequest(method, gw.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer tok")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, res.Header.Get("X-Service"), string(b)
	}
	for _, c := range []struct{ method, path, body, svc string }{
		{"GET", "/v1/me", "", "org"},
		{"GET", "/v1/search?q=%E5%85%9A&page=2", "", "search"},
		{"POST", "/v1/courses/12:publish", "{}", "course"},
		{"PUT", "/v1/attempts/3/answers/1", `{"version":1}`, "quiz"},
		{"GET", "/v1/my/growth-file", "", "growth"},
		{"GET", "/openapi/studyhour.yaml", "", "studyhour"},
		{"GET", "/v1/import-templates/members.xlsx", "", "org"},
	} {
		code, svc, body := call(c.method, c.path, c.body)
		if code != 200 || svc != c.svc || !strings.HasPrefix(body, c.method+" "+c.path+" Bearer tok "+c.body+" 127.0.0.1") {
			t.Errorf("%s %s: %d from %q: %s", c.method, c.path, code, svc, body)
		}
	}
	if code, svc, body := call("GET", "/v1/nothing", ""); code != 404 || svc != "" || !strings.Contains(body, `"reason":"NOT_FOUND"`) {
		t.Errorf("an unknown API path: %d %q %s", code, svc, body)
	}
	if code, _, body := call("GET", "/m/search", ""); code != 200 || body != "web app" {
		t.Errorf("the web app: %d %s", code, body)
	}
	upstreams["search"] = dead
	h, _ = Handler(table, upstreams, web)
	gw2 := httptest.NewServer(h)
	defer gw2.Close()
	res, err := http.Get(gw2.URL + "/v1/search?q=x")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 502 || !strings.Contains(string(b), `"reason":"UNAVAILABLE"`) {
		t.Errorf("a dead service: %d %s", res.StatusCode, b)
	}
	delete(upstreams, "growth")
	if _, err := Handler(table, upstreams, web); err == nil {
		t.Error("a table without an upstream for growth was accepted")
	}
}

// Extra lists exactly the /v1 routes the services' server packages mount by hand.
func TestExtraMatchesTheServers(t *testing.T) {
	files, err := filepath.Glob("../../app/*/internal/server/*.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("server packages: %v %v", files, err)
	}
	mount := regexp.MustCompile(`Handle(Func|Prefix)?\("(/v1/[^"]*)"`)
	var found []string
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		svc := strings.Split(filepath.ToSlash(f), "/")[3]
		for _, m := range mount.FindAllStringSubmatch(string(src), -1) {
			found = append(found, svc+" "+m[2])
		}
	}
	var listed []string
	for _, r := range Extra {
		listed = append(listed, r.Service+" "+r.Template)
	}
	slices.Sort(found)
	slices.Sort(listed)
	if !slices.Equal(found, listed) {
		t.Errorf("mounted by hand %v, Extra %v", found, listed)
	}
}
