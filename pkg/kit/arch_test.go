package kit_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The layering rules below are checked on the import graph that `go list -deps` reports (test
// files excluded), so a dependency pulled in through any number of packages counts.

// wrappedLibraries are the third-party modules a domain package may reach, each only through the
// one pkg package that wraps it (and through other third-party packages, for the library's own
// dependencies). They are pure in-memory libraries, not SDKs of external systems; anything else
// from outside the standard library and golang.org/x/text must stay out of the domain.
var wrappedLibraries = map[string]string{
	// HTML sanitising policies (pkg/htmlsafe) and what bluemonday itself needs.
	"github.com/microcosm-cc/bluemonday": "pkg/htmlsafe",
	"github.com/aymerick/douceur":        "pkg/htmlsafe",
	"github.com/gorilla/css":             "pkg/htmlsafe",
	"golang.org/x/net":                   "pkg/htmlsafe",
	// Media type sniffing of uploaded lecture files (pkg/media).
	"github.com/gabriel-vasile/mimetype": "pkg/media",
}

// TestBizDependsOnNoSDK keeps every service's use cases (app/*/internal/biz) free of third-party
// SDKs, even transitively: they may use the standard library, golang.org/x/text and the
// repository's pkg packages (which are thereby held to the same rule), nothing else but
// wrappedLibraries. Spreadsheet and object-store clients belong in adapters (pkg/sheet/xlsx,
// pkg/blob/minioblob) that only service and cmd packages import.
func TestBizDependsOnNoSDK(t *testing.T) {
	root := moduleRoot(t)
	dirs, err := filepath.Glob(filepath.Join(root, "app", "*", "internal", "biz"))
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) == 0 {
		t.Fatalf("no app/*/internal/biz package under %s", root)
	}
	for _, dir := range dirs {
		rel, err := filepath.Rel(root, dir)
		if err != nil {
			t.Fatal(err)
		}
		rel = filepath.ToSlash(rel)
		t.Run(rel, func(t *testing.T) {
			t.Parallel()
			checkDeps(t, root, rel, wrappedLibraries, func(mod string, p listedPackage) bool {
				return strings.HasPrefix(p.ImportPath, mod+"/pkg/") ||
					p.modulePath() == "golang.org/x/text"
			})
		})
	}
}

// TestAuthDependsOnStdlibOnly keeps pkg/auth, which every service links, to the standard library
// and pkg/bizerr.
func TestAuthDependsOnStdlibOnly(t *testing.T) {
	root := moduleRoot(t)
	checkDeps(t, root, "pkg/auth", nil, func(mod string, p listedPackage) bool {
		return p.ImportPath == mod+"/pkg/bizerr"
	})
}

// listedPackage is the part of `go list -json` output the checks read.
type listedPackage struct {
	ImportPath string
	Standard   bool
	Module     *struct{ Path string }
	Imports    []string
}

func (p listedPackage) modulePath() string {
	if p.Module == nil {
		return ""
	}
	return p.Module.Path
}

// checkDeps lists the dependencies of the package in directory rel (relative to the module
// root) and fails for each one that is not the package itself (or below it), not in the standard
// library, not accepted by allowed (given the main module's path) and not a package of a wrapped
// module (module path -> wrapper package, relative to the main module) reached only through its
// wrapper.
func checkDeps(t *testing.T, root, rel string, wrapped map[string]string, allowed func(mod string, p listedPackage) bool) {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go command not on PATH")
	}
	cmd := exec.Command("go", "list", "-deps", "-json=ImportPath,Standard,Module,Imports", "./"+rel)
	cmd.Dir = root
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("go list -deps ./%s: %v\n%s", rel, err, stderr.Bytes())
	}
	var pkgs []listedPackage
	for dec := json.NewDecoder(&stdout); ; {
		var p listedPackage
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("go list -deps ./%s: %v", rel, err)
		}
		pkgs = append(pkgs, p)
	}
	// -deps lists the named package last, after everything it depends on.
	if len(pkgs) == 0 || pkgs[len(pkgs)-1].Module == nil {
		t.Fatalf("go list -deps ./%s: no package of the main module listed", rel)
	}
	self := pkgs[len(pkgs)-1].ImportPath
	mod := pkgs[len(pkgs)-1].modulePath()
	importers := map[string][]string{}
	byPath := map[string]listedPackage{}
	for _, p := range pkgs {
		byPath[p.ImportPath] = p
		for _, imp := range p.Imports {
			importers[imp] = append(importers[imp], p.ImportPath)
		}
	}
	for _, p := range pkgs {
		switch {
		case p.Standard, p.ImportPath == self, strings.HasPrefix(p.ImportPath, self+"/"), allowed(mod, p):
			continue
		}
		if wrapper, ok := wrapped[p.modulePath()]; ok {
			var bad []string
			for _, imp := range importers[p.ImportPath] {
				if imp != mod+"/"+wrapper && byPath[imp].modulePath() == mod {
					bad = append(bad, imp)
				}
			}
			if len(bad) == 0 {
				continue
			}
			t.Errorf("%s depends on %s, imported by %s: only %s may import module %s",
				rel, p.ImportPath, strings.Join(bad, ", "), wrapper, p.modulePath())
			continue
		}
		by := slices.Clone(importers[p.ImportPath])
		slices.Sort(by)
		t.Errorf("%s depends on %s (module %q), imported by %s", rel, p.ImportPath, p.modulePath(), strings.Join(by, ", "))
	}
}

// moduleRoot is the directory holding the go.mod above the test's working directory.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the working directory")
		}
		dir = parent
	}
}
