package gateway

import (
	"regexp"
	"strings"
	"testing"

	_ "github.com/vanguard/vanguard/api"
)

var variable = regexp.MustCompile(`\{[^}]*\}`)

// sample is a concrete path of the template: every variable 7.
func sample(r Route) string {
	if r.Prefix {
		return r.Template + "members.xlsx"
	}
	return variable.ReplaceAllString(r.Template, "7")
}

// TestEveryRouteMapsToOneService: the table of every service's google.api.http rules and
// hand-mounted routes has no two services' routes matching one request, and a request to each
// route's path reaches that route's service (routes such as /v1/me and /v1/my/… included).
func TestEveryRouteMapsToOneService(t *testing.T) {
	routes, err := ProtoRoutes()
	if err != nil {
		t.Fatal(err)
	}
	services := map[string]int{}
	for _, r := range routes {
		services[r.Service]++
	}
	for _, svc := range []string{"org", "course", "quiz", "studyhour", "growth", "search"} {
		if services[svc] == 0 {
			t.Errorf("no route of %s: are its protos linked?", svc)
		}
	}
	if len(routes) < 150 {
		t.Errorf("%d routes from the protos: fewer than the services serve", len(routes))
	}
	table, err := NewTable(append(routes, Extra...))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range table.Routes() {
		got, ok := table.Match(r.Method, sample(r))
		if !ok || got.Service != r.Service {
			t.Errorf("%s %s (%s, %s): matched %+v, %v", r.Method, sample(r), r.Service, r.Template, got, ok)
		}
	}
	for _, c := range []struct{ method, path, svc string }{
		{"GET", "/v1/me", "org"}, {"GET", "/v1/my/courses", "course"}, {"GET", "/v1/my/exams", "quiz"},
		{"GET", "/v1/my/growth-file", "growth"}, {"GET", "/v1/search", "search"}, {"POST", "/v1/courses/12:publish", "course"},
		{"GET", "/v1/courses/12", "course"}, {"GET", "/v1/quiz/import-template.csv", "quiz"},
	} {
		if got, ok := table.Match(c.method, c.path); !ok || got.Service != c.svc {
			t.Errorf("%s %s: %+v %v, want %s", c.method, c.path, got, ok, c.svc)
		}
	}
	for _, c := range []struct{ method, path string }{
		{"GET", "/v1/nothing"}, {"DELETE", "/v1/me"}, {"POST", "/v1/courses/12:unknown"}, {"GET", "/v1/courses/"}, {"GET", "/v1"},
	} {
		if got, ok := table.Match(c.method, c.path); ok {
			t.Errorf("%s %s matched %+v", c.method, c.path, got)
		}
	}
	t.Logf("%d routes of %d services", len(table.Routes()), len(services))
}

// Routes of two services that one request could match are refused, naming both; the same
// overlap within one service is the service's own router's to resolve.
func TestAmbiguousRoutesAreRefused(t *testing.T) {
	for _, c := range []struct {
		a, b      Route
		ambiguous bool
	}{
		{Route{Service: "a", Method: "GET", Template: "/v1/my/{x}"}, Route{Service: "b", Method: "GET", Template: "/v1/my/courses"}, true},
		{Route{Service: "a", Method: "GET", Template: "/v1/my/{x}"}, Route{Service: "b", Method: "POST", Template: "/v1/my/courses"}, false},
		{Route{Service: "a", Method: "POST", Template: "/v1/x/{id}:go"}, Route{Service: "b", Method: "POST", Template: "/v1/x/{id}:stop"}, false},
		{Route{Service: "a", Method: "POST", Template: "/v1/x/{id}:go"}, Route{Service: "b", Method: "POST", Template: "/v1/x/{n}:go"}, true},
		{Route{Service: "a", Method: "GET", Template: "/v1/files/", Prefix: true}, Route{Service: "b", Method: "GET", Template: "/v1/files/{id}"}, true},
		{Route{Service: "a", Method: "GET", Template: "/v1/files/", Prefix: true}, Route{Service: "b", Method: "GET", Template: "/v1/filez/{id}"}, false},
		{Route{Service: "a", Method: "GET", Template: "/v1/my/{x}"}, Route{Service: "a", Method: "GET", Template: "/v1/my/courses"}, false},
	} {
		_, err := NewTable([]Route{c.a, c.b})
		if got := err != nil; got != c.ambiguous {
			t.Errorf("%s %s (%s) / %s %s (%s): error %v, want ambiguous %v", c.a.Method, c.a.Template, c.a.Service,
				c.b.Method, c.b.Template, c.b.Service, err, c.ambiguous)
		}
		if err != nil && !strings.Contains(err.Error(), c.a.Template) {
			t.Errorf("the error does not name the routes: %v", err)
		}
	}
}
