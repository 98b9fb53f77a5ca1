// Package gateway routes the public HTTP API of the distributed mode to the services that own
// it. The route table is generated from the protos' google.api.http rules (each service's
// package api.<svc>.v1 names the service), plus the few routes services mount by hand; paths
// such as /v1/me and /v1/my/... follow no per-service prefix, so the table, not a prefix,
// decides. A table whose routes of two services could match one request is refused.
package gateway

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"google.golang.org/genproto/googleapis/api/annotations"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
)

// Route is one HTTP route of a service: a method and a path template of google.api.http
// (/v1/courses/{id}:publish), or a prefix a service serves by hand.
type Route struct {
	Service  string
	Method   string // GET, POST, …; "*" for any
	Template string
	// Prefix routes match every path starting with Template.
	Prefix bool
	segs   []string
	verb   string
}

// Extra are the routes services mount by hand beside their protos' (their server packages).
var Extra = []Route{
	{Service: "org", Method: "GET", Template: "/v1/import-templates/", Prefix: true},
	{Service: "quiz", Method: "GET", Template: "/v1/quiz/import-template.xlsx"},
	{Service: "quiz", Method: "GET", Template: "/v1/quiz/import-template.csv"},
}

// parse splits a template into its segments ("{id}" for a variable) and its custom verb.
func (r *Route) parse() error {
	if !strings.HasPrefix(r.Template, "/") {
		return fmt.Errorf("gateway: %s %s: a template starts with /", r.Method, r.Template)
	}
	path := r.Template
	if !r.Prefix {
		if i := strings.LastIndex(path, ":"); i > strings.LastIndex(path, "/") && i > strings.LastIndex(path, "}") {
			path, r.verb = path[:i], path[i+1:]
		}
	}
	r.segs = strings.Split(strings.TrimSuffix(path[1:], "/"), "/")
	for _, s := range r.segs {
		if strings.HasPrefix(s, "{") && (!strings.HasSuffix(s, "}") || strings.Contains(s, "=")) {
			return fmt.Errorf("gateway: %s %s: only {name} variables are supported", r.Method, r.Template)
		}
	}
	return nil
}

func isVar(seg string) bool { return strings.HasPrefix(seg, "{") }

// ProtoRoutes reads the google.api.http rules of every service of every api.<svc>.v1 package
// linked into the binary (import the api packages to link them).
func ProtoRoutes() ([]Route, error) {
	var out []Route
	var err error
	protoregistry.GlobalFiles.RangeFiles(func(f protoreflect.FileDescriptor) bool {
		pkg := string(f.Package())
		svc, ok := strings.CutPrefix(pkg, "api.")
		if !ok || !strings.HasSuffix(svc, ".v1") || svc == "events.v1" {
			return true
		}
		svc = strings.TrimSuffix(svc, ".v1")
		for i := range f.Services().Len() {
			ms := f.Services().Get(i).Methods()
			for j := range ms.Len() {
				m := ms.Get(j)
				rule, ok := proto.GetExtension(m.Options(), annotations.E_Http).(*annotations.HttpRule)
				if !ok || rule == nil {
					continue
				}
				for _, b := range append([]*annotations.HttpRule{rule}, rule.GetAdditionalBindings()...) {
					method, tmpl := binding(b)
					if tmpl == "" {
						err = errors.Join(err, fmt.Errorf("gateway: %s: an http rule without a path", m.FullName()))
						continue
					}
					out = append(out, Route{Service: svc, Method: method, Template: tmpl})
				}
			}
		}
		return true
	})
	slices.SortFunc(out, func(a, b Route) int {
		return strings.Compare(a.Service+a.Template+a.Method, b.Service+b.Template+b.Method)
	})
	return out, err
}

func binding(r *annotations.HttpRule) (method, template string) {
	switch p := r.GetPattern().(type) {
	case *annotations.HttpRule_Get:
		return "GET", p.Get
	case *annotations.HttpRule_Post:
		return "POST", p.Post
	case *annotations.HttpRule_Put:
		return "PUT", p.Put
	case *annotations.HttpRule_Patch:
		return "PATCH", p.Patch
	case *annotations.HttpRule_Delete:
		return "DELETE", p.Delete
	case *annotations.HttpRule_Custom:
		return p.Custom.GetKind(), p.Custom.GetPath()
	}
	return "", ""
}

// Table finds the service of a request.
type Table struct {
	routes []Route
}

// Overlap reports whether one request could match both routes: the same method (or any), and
// segment by segment equal literals or a variable on either side, with the same verb; a prefix
// route overlaps whatever starts with its segments.
func Overlap(a, b Route) bool {
	if a.Method != b.Method && a.Method != "*" && b.Method != "*" {
		return false
	}
	if a.Prefix || b.Prefix {
		p, o := a, b
		if !a.Prefix {
			p, o = b, a
		}
		if len(o.segs) < len(p.segs) && !o.Prefix {
			return false
		}
		for i := range min(len(p.segs), len(o.segs)) {
			if !isVar(p.segs[i]) && !isVar(o.segs[i]) && p.segs[i] != o.segs[i] {
				return false
			}
		}
		return true
	}
	if len(a.segs) != len(b.segs) || a.verb != b.verb {
		return false
	}
	for i := range a.segs {
		if !isVar(a.segs[i]) && !isVar(b.segs[i]) && a.segs[i] != b.segs[i] {
			return false
		}
	}
	return true
}

// NewTable checks the routes and refuses a table where a request could match routes of two
// services.
func NewTable(routes []Route) (*Table, error) {
	t := &Table{routes: slices.Clone(routes)}
	var errs []error
	for i := range t.routes {
		if err := t.routes[i].parse(); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	for i, a := range t.routes {
		for _, b := range t.routes[i+1:] {
			if a.Service != b.Service && Overlap(a, b) {
				errs = append(errs, fmt.Errorf("gateway: %s %s (%s) and %s %s (%s) match the same requests",
					a.Method, a.Template, a.Service, b.Method, b.Template, b.Service))
			}
		}
	}
	return t, errors.Join(errs...)
}

// Routes are the table's routes.
func (t *Table) Routes() []Route { return slices.Clone(t.routes) }

// matches reports whether the route matches a request (path without its query).
func (r *Route) matches(method, path string) bool {
	if r.Method != method && r.Method != "*" {
		return false
	}
	if r.Prefix {
		return strings.HasPrefix(path, r.Template)
	}
	if !strings.HasPrefix(path, "/") {
		return false
	}
	segs := strings.Split(path[1:], "/")
	if len(segs) != len(r.segs) {
		return false
	}
	last := segs[len(segs)-1]
	if r.verb != "" {
		var ok bool
		if last, ok = strings.CutSuffix(last, ":"+r.verb); !ok {
			return false
		}
		segs[len(segs)-1] = last
	}
	for i, s := range r.segs {
		if isVar(s) {
			if segs[i] == "" || (r.verb == "" && i == len(segs)-1 && strings.Contains(segs[i], ":")) {
				return false
			}
			continue
		}
		if segs[i] != s {
			return false
		}
	}
	return true
}

// Match returns the service a request goes to: the route that matches with the most literal
// segments (within one service, as the service's own router would choose).
func (t *Table) Match(method, path string) (Route, bool) {
	var best Route
	found, score := false, -1
	for _, r := range t.routes {
		if !r.matches(method, path) {
			continue
		}
		n := 0
		for _, s := range r.segs {
			if !isVar(s) {
				n++
			}
		}
		if n > score {
			best, found, score = r, true, n
		}
	}
	return best, found
}
