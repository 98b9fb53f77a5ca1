// Package apierrtest checks a service's error translation against its biz package: every
// exported error the biz package declares must become a client error (4xx) with a reason the
// service's error_reason.proto declares (or a shared auth/validation reason), bare and wrapped.
//
// The biz package's errors are found by parsing its source (go/parser, no reflection): exported
// package-level vars named Err… or built with errors.New/fmt.Errorf, exported types with an
// Error() method, and exported aliases of such types from this module (bizerr.FieldError,
// sheet.ImportError). A test supplies a value for each name; an error added to biz later without
// a value fails the test, so it cannot silently become a 500.
package apierrtest

import (
	"bufio"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	kerrors "github.com/go-kratos/kratos/v2/errors"

	"github.com/vanguard/vanguard/pkg/apierr"
	"github.com/vanguard/vanguard/pkg/authn"
	"github.com/vanguard/vanguard/pkg/validate"
)

// SharedReasons are the reasons, with their HTTP codes, that every service may answer with
// although its error_reason.proto does not list them: pkg/auth's and pkg/validate's.
var SharedReasons = map[string]int{
	authn.ReasonUnauthenticated:  401,
	authn.ReasonTokenExpired:     401,
	authn.ReasonTokenRevoked:     401,
	authn.ReasonPermissionDenied: 403,
	validate.Reason:              400,
}

// Suite describes one service's translation and the biz package it must cover.
type Suite struct {
	// BizDir is the biz package's directory, relative to the test's package (e.g. "../biz").
	BizDir string
	// ProtoFile is the service's error_reason.proto, relative to the test's package.
	ProtoFile string
	// Samples holds, by the name biz declares, the sentinel itself or sample values of the
	// error type (several when fields choose the reason, e.g. an Exam flag).
	Samples map[string][]error
	// InternalOnly names errors that never leave the service (consumed inside biz or data), each
	// with the reason why. They need samples too and must still map to 500, so the list cannot go
	// stale. Keep it tiny.
	InternalOnly map[string]string
	// Translate is the service's biz→API translation.
	Translate func(error) error
}

// Run checks that the samples cover exactly what biz declares, and that each sample, bare and
// wrapped with fmt.Errorf("…: %w"), becomes a 4xx error with a declared reason and its code.
func (s Suite) Run(t *testing.T) {
	t.Helper()
	declared := ExportedErrors(t, s.BizDir)
	reasons := ProtoReasons(t, s.ProtoFile)
	for name, code := range SharedReasons {
		if c, ok := reasons[name]; ok && c != code {
			t.Errorf("%s: %s is %d, but the shared reason is %d", s.ProtoFile, name, c, code)
		}
		reasons[name] = code
	}

	for _, name := range declared {
		if _, sampled := s.Samples[name]; !sampled {
			t.Errorf("biz declares error %s, but the test has no sample of it: add one to Samples so its API reason is checked", name)
		}
	}
	for name := range s.Samples {
		if !slices.Contains(declared, name) {
			t.Errorf("Samples has %s, which biz does not declare (any more)", name)
		}
	}

	for name, why := range s.InternalOnly {
		if !slices.Contains(declared, name) {
			t.Errorf("InternalOnly has %s, which biz does not declare (any more)", name)
		}
		if why == "" {
			t.Errorf("InternalOnly %s: say why it never reaches a client", name)
		}
	}

	for name, samples := range s.Samples {
		if len(samples) == 0 {
			t.Errorf("Samples %s: no value", name)
		}
		if _, internal := s.InternalOnly[name]; internal {
			for _, sample := range samples {
				if got := kerrors.FromError(s.Translate(sample)); got.Code < 500 {
					t.Errorf("InternalOnly %s now maps to %d %s: drop it from InternalOnly", name, got.Code, got.Reason)
				}
			}
			continue
		}
		for i, sample := range samples {
			for _, err := range []error{sample, fmt.Errorf("x: %w", sample)} {
				got := kerrors.FromError(s.Translate(err))
				label := fmt.Sprintf("%s[%d] (%v)", name, i, err)
				switch code, ok := reasons[got.Reason]; {
				case got.Code >= 500 || got.Reason == apierr.ReasonInternal:
					t.Errorf("%s became %d %s; every biz error needs a client reason", label, got.Code, got.Reason)
				case !ok:
					t.Errorf("%s became reason %q, which %s does not declare", label, got.Reason, s.ProtoFile)
				case int(got.Code) != code:
					t.Errorf("%s became %d %s; %s declares %s as %d", label, got.Code, got.Reason, s.ProtoFile, got.Reason, code)
				case got.Message == "":
					t.Errorf("%s became %d %s without a message", label, got.Code, got.Reason)
				}
			}
		}
	}
}

// ExportedErrors parses the Go package in dir (test files excluded) and returns the names of its
// exported errors, sorted: package-level vars named Err… or initialised with errors.New or
// fmt.Errorf, types with an Error() method, and aliases of error types declared in dir or in a
// package of this module.
func ExportedErrors(t testing.TB, dir string) []string {
	t.Helper()
	pkg := parseDir(t, dir)
	var names []string
	for _, f := range pkg.files {
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok {
				continue
			}
			for _, spec := range gd.Specs {
				switch sp := spec.(type) {
				case *ast.ValueSpec:
					if gd.Tok != token.VAR {
						continue
					}
					for i, id := range sp.Names {
						if !id.IsExported() {
							continue
						}
						if strings.HasPrefix(id.Name, "Err") || (i < len(sp.Values) && isErrorConstructor(sp.Values[i])) {
							names = append(names, id.Name)
						}
					}
				case *ast.TypeSpec:
					if !sp.Name.IsExported() {
						continue
					}
					if !sp.Assign.IsValid() {
						if pkg.errorTypes[sp.Name.Name] {
							names = append(names, sp.Name.Name)
						}
						continue
					}
					if aliasOfError(t, dir, f, sp.Type, pkg) {
						names = append(names, sp.Name.Name)
					}
				}
			}
		}
	}
	slices.Sort(names)
	return names
}

// ProtoReasons reads an error_reason.proto and returns each reason with its HTTP code
// ((errors.code), else the enum's (errors.default_code)).
func ProtoReasons(t testing.TB, path string) map[string]int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("open error reasons: %v", err)
	}
	defer f.Close()
	var (
		defaultRe = regexp.MustCompile(`\(errors\.default_code\)\s*=\s*(\d+)`)
		valueRe   = regexp.MustCompile(`^\s*([A-Z][A-Z0-9_]*)\s*=\s*\d+\s*(?:\[\s*\(errors\.code\)\s*=\s*(\d+)\s*\])?\s*;`)
		def       int
		explicit  = map[string]int{}
		names     []string
	)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if m := defaultRe.FindStringSubmatch(line); m != nil {
			def, _ = strconv.Atoi(m[1])
			continue
		}
		if m := valueRe.FindStringSubmatch(line); m != nil {
			names = append(names, m[1])
			if m[2] != "" {
				explicit[m[1]], _ = strconv.Atoi(m[2])
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	if len(names) == 0 {
		t.Fatalf("%s declares no error reasons", path)
	}
	reasons := make(map[string]int, len(names))
	for _, n := range names {
		if c, ok := explicit[n]; ok {
			reasons[n] = c
		} else {
			reasons[n] = def
		}
	}
	return reasons
}

// parsedPackage is one package's non-test files and the names of its types that have an
// Error() string method.
type parsedPackage struct {
	files      []*ast.File
	errorTypes map[string]bool
}

func parseDir(t testing.TB, dir string) parsedPackage {
	t.Helper()
	fset := token.NewFileSet()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("read package %s: %v", dir, err)
	}
	p := parsedPackage{errorTypes: map[string]bool{}}
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || !strings.HasSuffix(n, ".go") || strings.HasSuffix(n, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, n), nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatalf("parse %s: %v", n, err)
		}
		p.files = append(p.files, f)
		for _, decl := range f.Decls {
			fd, ok := decl.(*ast.FuncDecl)
			if !ok || fd.Recv == nil || fd.Name.Name != "Error" || len(fd.Recv.List) != 1 ||
				fd.Type.Params.NumFields() != 0 || fd.Type.Results.NumFields() != 1 {
				continue
			}
			if res, ok := fd.Type.Results.List[0].Type.(*ast.Ident); !ok || res.Name != "string" {
				continue
			}
			recv := fd.Recv.List[0].Type
			if star, ok := recv.(*ast.StarExpr); ok {
				recv = star.X
			}
			if id, ok := recv.(*ast.Ident); ok {
				p.errorTypes[id.Name] = true
			}
		}
	}
	if len(p.files) == 0 {
		t.Fatalf("no Go files in %s", dir)
	}
	return p
}

// isErrorConstructor reports whether e is a call of errors.New or fmt.Errorf.
func isErrorConstructor(e ast.Expr) bool {
	call, ok := e.(*ast.CallExpr)
	if !ok {
		return false
	}
	sel, ok := call.Fun.(*ast.SelectorExpr)
	if !ok {
		return false
	}
	pkg, ok := sel.X.(*ast.Ident)
	return ok && (pkg.Name == "errors" && sel.Sel.Name == "New" || pkg.Name == "fmt" && sel.Sel.Name == "Errorf")
}

// aliasOfError reports whether an alias's target is an error type: one of pkg's own, or one of a
// package of this module imported by f (found through go.mod). Aliases of types outside the
// module are not followed.
func aliasOfError(t testing.TB, dir string, f *ast.File, target ast.Expr, pkg parsedPackage) bool {
	t.Helper()
	switch x := target.(type) {
	case *ast.Ident:
		return pkg.errorTypes[x.Name]
	case *ast.SelectorExpr:
		id, ok := x.X.(*ast.Ident)
		if !ok {
			return false
		}
		path := importPath(f, id.Name)
		root, module := moduleRoot(t, dir)
		rel, ok := strings.CutPrefix(path, module+"/")
		if !ok {
			return false
		}
		return parseDir(t, filepath.Join(root, filepath.FromSlash(rel))).errorTypes[x.Sel.Name]
	}
	return false
}

// importPath returns the path f imports under name (an explicit name, else the last element).
func importPath(f *ast.File, name string) string {
	for _, imp := range f.Imports {
		path, _ := strconv.Unquote(imp.Path.Value)
		if imp.Name != nil {
			if imp.Name.Name == name {
				return path
			}
			continue
		}
		if path[strings.LastIndex(path, "/")+1:] == name {
			return path
		}
	}
	return ""
}

// moduleRoot finds the go.mod above dir and returns its directory and module path.
func moduleRoot(t testing.TB, dir string) (root, module string) {
	t.Helper()
	d, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	for {
		b, err := os.ReadFile(filepath.Join(d, "go.mod"))
		if err == nil {
			for line := range strings.Lines(string(b)) {
				if m, ok := strings.CutPrefix(strings.TrimSpace(line), "module "); ok {
					return d, strings.Trim(strings.TrimSpace(m), `"`)
				}
			}
			t.Fatalf("%s/go.mod has no module line", d)
		}
		parent := filepath.Dir(d)
		if parent == d {
			t.Fatalf("no go.mod above %s", dir)
		}
		d = parent
	}
}
