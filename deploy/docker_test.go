// Package deploy_test validates what this machine cannot build or run (it has no Docker engine)
// by parsing it with the libraries Docker itself uses: deploy/Dockerfile with BuildKit's parser
// and .dockerignore with its pattern matcher (docker_test.go), deploy/compose.yaml with
// compose-go (compose_test.go).
package deploy_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/linter"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
)

// root is the repository, seen from this package's directory.
const root = ".."

// goBuild is one `go build` of a binary: what the Makefile runs, or what the Dockerfile's build
// step ran for one SERVICE value.
type goBuild struct {
	Name   string   // the binary's name in bin/ (the Dockerfile's SERVICE)
	Pkg    string   // the main package, ./app/...
	Tags   []string // build tags, sorted
	Output string   // -o
	Env    map[string]string
}

// valueFlags are the go build flags that take a value (the others are booleans).
var valueFlags = []string{"tags", "o", "ldflags", "gcflags", "asmflags", "gccgoflags", "p", "mod", "modfile",
	"overlay", "pgo", "buildmode", "compiler", "installsuffix", "pkgdir", "toolexec", "coverpkg", "covermode"}

// boolFlags are the go build flags without a value.
var boolFlags = []string{"trimpath", "race", "msan", "asan", "v", "x", "a", "n", "work", "cover", "linkshared", "modcacherw", "buildvcs"}

// parseGoBuild reads the arguments after `go build`: flags, then exactly one package.
func parseGoBuild(args []string) (goBuild, error) {
	var b goBuild
	for len(args) > 0 && strings.HasPrefix(args[0], "-") {
		name, value, hasValue := strings.Cut(strings.TrimLeft(args[0], "-"), "=")
		args = args[1:]
		switch {
		case slices.Contains(boolFlags, name):
		case slices.Contains(valueFlags, name):
			if !hasValue {
				if len(args) == 0 {
					return b, fmt.Errorf("go build: -%s without a value", name)
				}
				value, args = args[0], args[1:]
			}
			switch name {
			case "tags":
				b.Tags = strings.FieldsFunc(value, func(r rune) bool { return r == ',' || r == ' ' })
				sort.Strings(b.Tags)
			case "o":
				b.Output = value
			}
		default:
			return b, fmt.Errorf("go build: flag -%s unknown to this check", name)
		}
	}
	if len(args) != 1 {
		return b, fmt.Errorf("go build: want one package, got %q", args)
	}
	b.Pkg = "./" + path.Clean(args[0])
	return b, nil
}

// makeBinaries parses the recipe of the Makefile's build target: every
// `$(GO) build [flags] -o $(BIN)/NAME ./PKG` line is one binary.
func makeBinaries(makefile []byte) ([]goBuild, error) {
	var out []goBuild
	inBuild := false
	for _, line := range strings.Split(string(makefile), "\n") {
		if !strings.HasPrefix(line, "\t") {
			inBuild = strings.HasPrefix(line, "build:")
			continue
		}
		f := strings.Fields(line)
		if !inBuild || len(f) < 2 || f[0] != "$(GO)" || f[1] != "build" {
			continue
		}
		b, err := parseGoBuild(f[2:])
		if err != nil {
			return nil, fmt.Errorf("Makefile %q: %w", strings.TrimSpace(line), err)
		}
		dir, name := path.Split(b.Output)
		if dir != "$(BIN)/" {
			return nil, fmt.Errorf("Makefile %q: the binary is not written to $(BIN)", strings.TrimSpace(line))
		}
		b.Name = name
		out = append(out, b)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("Makefile: no `$(GO) build … -o $(BIN)/NAME ./PKG` line under build:")
	}
	return out, nil
}

// dockerfile is a parsed Dockerfile with the warnings of BuildKit's parser and linter.
type dockerfile struct {
	stages   []instructions.Stage
	warnings []string
}

func parseDockerfile(src []byte) (*dockerfile, error) {
	res, err := parser.Parse(bytes.NewReader(src))
	if err != nil {
		return nil, err
	}
	d := &dockerfile{}
	for _, w := range res.Warnings {
		d.warnings = append(d.warnings, fmt.Sprintf("%s (%s)", w.Short, w.URL))
	}
	lint := linter.New(&linter.Config{Warn: func(rule, _, url, msg string, loc []parser.Range) {
		line := 0
		if len(loc) > 0 {
			line = loc[0].Start.Line
		}
		d.warnings = append(d.warnings, fmt.Sprintf("line %d: %s: %s (%s)", line, rule, msg, url))
	}})
	d.stages, _, err = instructions.Parse(res.AST, lint)
	if err != nil {
		return nil, err
	}
	// Two of BuildKit's rules that run only in its LLB conversion (too heavy to link here).
	for _, n := range res.AST.Children {
		if kw := strings.Fields(n.Original); len(kw) > 0 && kw[0] != strings.ToUpper(kw[0]) {
			d.warnings = append(d.warnings, fmt.Sprintf("line %d: ConsistentInstructionCasing: %s is not upper case", n.StartLine, kw[0]))
		}
	}
	for _, st := range d.stages {
		for _, c := range st.Commands {
			switch c := c.(type) {
			case *instructions.CmdCommand:
				if c.PrependShell {
					d.warnings = append(d.warnings, "JSONArgsRecommended: CMD in shell form")
				}
			case *instructions.EntrypointCommand:
				if c.PrependShell {
					d.warnings = append(d.warnings, "JSONArgsRecommended: ENTRYPOINT in shell form")
				}
			}
		}
	}
	return d, nil
}

// stageEnv is what a RUN of st sees: its ARGs (with their defaults, overridden by args) and ENVs.
func stageEnv(st instructions.Stage, args map[string]string) map[string]string {
	env := map[string]string{}
	for _, c := range st.Commands {
		switch c := c.(type) {
		case *instructions.ArgCommand:
			for _, a := range c.Args {
				if v, ok := args[a.Key]; ok {
					env[a.Key] = v
				} else if a.Value != nil {
					env[a.Key] = *a.Value
				}
			}
		case *instructions.EnvCommand:
			for _, kv := range c.Env {
				env[kv.Key] = kv.Value
			}
		}
	}
	return env
}

// goStub is a `go` command that records its environment's CGO_ENABLED and its arguments, one
// file per call, and does nothing else.
const goStub = `#!/bin/sh
f=$(mktemp "$GO_STUB_DIR/call.XXXXXX")
printf '%s\0' "CGO_ENABLED=${CGO_ENABLED-}" "$@" > "$f"
`

// runBuildStep runs the shell text of the build stage's `go build` RUN for SERVICE=name, as
// Docker would (sh -c, the stage's ARGs and ENVs in the environment), with the stub `go` first on
// PATH, and returns the one `go build` it ran.
func runBuildStep(tmp string, st instructions.Stage, run *instructions.RunCommand, name string) (goBuild, error) {
	dir, err := os.MkdirTemp(tmp, "svc-")
	if err != nil {
		return goBuild{}, err
	}
	bin := filepath.Join(dir, "bin")
	calls := filepath.Join(dir, "calls")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		return goBuild{}, err
	}
	if err := os.MkdirAll(calls, 0o755); err != nil {
		return goBuild{}, err
	}
	if err := os.WriteFile(filepath.Join(bin, "go"), []byte(goStub), 0o755); err != nil {
		return goBuild{}, err
	}
	cmd := exec.Command("/bin/sh", "-c", strings.Join(run.CmdLine, " "))
	cmd.Dir = root
	cmd.Env = []string{"PATH=" + bin + ":/usr/bin:/bin", "HOME=" + dir, "GO_STUB_DIR=" + calls}
	for k, v := range stageEnv(st, map[string]string{"SERVICE": name}) {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		return goBuild{}, fmt.Errorf("the build step fails: %v: %s", err, strings.TrimSpace(string(out)))
	}
	files, _ := filepath.Glob(filepath.Join(calls, "call.*"))
	var builds []goBuild
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			return goBuild{}, err
		}
		args := strings.Split(strings.TrimSuffix(string(raw), "\x00"), "\x00")
		if len(args) < 2 || args[1] != "build" {
			continue // go env, go version …
		}
		b, err := parseGoBuild(args[2:])
		if err != nil {
			return goBuild{}, err
		}
		b.Env = map[string]string{"CGO_ENABLED": strings.TrimPrefix(args[0], "CGO_ENABLED=")}
		builds = append(builds, b)
	}
	if len(builds) != 1 {
		return goBuild{}, fmt.Errorf("the build step ran go build %d times, want once", len(builds))
	}
	return builds[0], nil
}

// checkDockerfile returns what is wrong with the Dockerfile: warnings, its shape (multi-stage,
// a distroless or slim final image running as non-root, SERVICE an ARG), and, for every binary
// of the Makefile's build target, whether the Dockerfile builds it for SERVICE=<its name> from
// the same package with the same tags, statically, into the final image's entrypoint.
func checkDockerfile(tmp string, dockerfileSrc, makefile []byte) []string {
	var problems []string
	bad := func(format string, a ...any) { problems = append(problems, fmt.Sprintf(format, a...)) }
	d, err := parseDockerfile(dockerfileSrc)
	if err != nil {
		return []string{"parse: " + err.Error()}
	}
	for _, w := range d.warnings {
		bad("warning: %s", w)
	}
	if len(d.stages) < 2 {
		return append(problems, fmt.Sprintf("%d stage(s): want a multi-stage build", len(d.stages)))
	}
	final := d.stages[len(d.stages)-1]
	if !strings.Contains(final.BaseName, "distroless") && !strings.Contains(final.BaseName, "slim") {
		bad("final image %s is neither distroless nor slim", final.BaseName)
	}
	user := ""
	if strings.HasSuffix(final.BaseName, ":nonroot") {
		user = "nonroot"
	}
	var entrypoint []string
	copies := map[string]string{} // final image path → build stage path
	for _, c := range final.Commands {
		switch c := c.(type) {
		case *instructions.UserCommand:
			user = c.User
		case *instructions.EntrypointCommand:
			entrypoint = c.CmdLine
		case *instructions.CopyCommand:
			if c.From == "" {
				continue
			}
			for _, src := range c.SourcePaths {
				dst := c.DestPath
				if strings.HasSuffix(dst, "/") {
					dst += path.Base(src)
				}
				copies[dst] = c.From + ":" + src
			}
		}
	}
	if u, _, _ := strings.Cut(user, ":"); u == "" || u == "root" || u == "0" {
		bad("final image runs as root (USER %q): want USER of a non-root user or a :nonroot image", user)
	}
	if len(entrypoint) == 0 {
		bad("final image has no ENTRYPOINT")
		entrypoint = []string{""}
	}

	// The build step: the one RUN that runs go build, in a stage that declares ARG SERVICE.
	var stage instructions.Stage
	var run *instructions.RunCommand
	for _, st := range d.stages[:len(d.stages)-1] {
		for _, c := range st.Commands {
			if r, ok := c.(*instructions.RunCommand); ok && strings.Contains(strings.Join(r.CmdLine, " "), "go build") {
				if run != nil {
					bad("more than one RUN with go build")
				}
				stage, run = st, r
			}
		}
	}
	if run == nil {
		return append(problems, "no RUN with go build in a build stage")
	}
	if _, ok := stageEnv(stage, nil)["SERVICE"]; !ok {
		bad("stage %q does not declare ARG SERVICE (with a default)", stage.Name)
	}
	binaries, err := makeBinaries(makefile)
	if err != nil {
		return append(problems, err.Error())
	}
	for _, want := range binaries {
		got, err := runBuildStep(tmp, stage, run, want.Name)
		if err != nil {
			bad("SERVICE=%s: %v", want.Name, err)
			continue
		}
		if got.Pkg != want.Pkg {
			bad("SERVICE=%s: builds %s, the Makefile builds %s", want.Name, got.Pkg, want.Pkg)
		}
		if !slices.Equal(got.Tags, want.Tags) {
			bad("SERVICE=%s: tags %q, the Makefile's %q", want.Name, got.Tags, want.Tags)
		}
		if got.Env["CGO_ENABLED"] != "0" {
			bad("SERVICE=%s: CGO_ENABLED=%q: the static final image needs CGO_ENABLED=0", want.Name, got.Env["CGO_ENABLED"])
		}
		if from := copies[entrypoint[0]]; from != stage.Name+":"+got.Output {
			bad("SERVICE=%s: ENTRYPOINT %s is %q in the final image, not the build's output %s:%s", want.Name, entrypoint[0], from, stage.Name, got.Output)
		}
	}
	return problems
}

func readRepoFile(t *testing.T, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, rel))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestDockerfile: deploy/Dockerfile parses without a warning, is multi-stage, ends in a
// distroless or slim image running as non-root, takes SERVICE as an ARG, and builds every binary
// of the Makefile's build target from the same package with the same tags.
func TestDockerfile(t *testing.T) {
	makefile := readRepoFile(t, "Makefile")
	binaries, err := makeBinaries(makefile)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range checkDockerfile(t.TempDir(), readRepoFile(t, "deploy/Dockerfile"), makefile) {
		t.Error(p)
	}
	var names []string
	for _, b := range binaries {
		names = append(names, b.Name)
	}
	t.Logf("checked SERVICE=%s", strings.Join(names, ", "))
}

// TestDockerfileCheckFindsDrift: the check above fails when the Makefile and the Dockerfile
// disagree, or when the Dockerfile loses a property it checks.
func TestDockerfileCheckFindsDrift(t *testing.T) {
	makefile := string(readRepoFile(t, "Makefile"))
	dockerfile := string(readRepoFile(t, "deploy/Dockerfile"))
	edit := func(t *testing.T, s, old, new string) []byte {
		t.Helper()
		if !strings.Contains(s, old) {
			t.Fatalf("the file no longer contains %q: update this test", old)
		}
		return []byte(strings.Replace(s, old, new, 1))
	}
	gatewayLine := "\t$(GO) build -tags webui -o $(BIN)/gateway ./app/gateway/cmd/gateway\n"
	for _, tc := range []struct {
		name                 string
		dockerfile, makefile func(t *testing.T) []byte
		want                 string
	}{
		{"a new binary in the Makefile", nil, func(t *testing.T) []byte {
			return edit(t, makefile, gatewayLine, gatewayLine+"\t$(GO) build -o $(BIN)/reports ./app/reports/cmd/reports\n")
		}, "SERVICE=reports: the build step fails"},
		{"the Makefile's gateway without the web app", nil, func(t *testing.T) []byte {
			return edit(t, makefile, "-tags webui -o $(BIN)/gateway", "-o $(BIN)/gateway")
		}, "SERVICE=gateway: tags"},
		{"the standalone binary under another name", func(t *testing.T) []byte {
			return edit(t, dockerfile, "vanguard|standalone)", "standalone)")
		}, nil, "SERVICE=vanguard: the build step fails"},
		{"a service from another package", func(t *testing.T) []byte {
			return edit(t, dockerfile, `pkg="./app/$SERVICE/cmd/$SERVICE"`, `pkg="./app/$SERVICE"`)
		}, nil, "SERVICE=org: builds ./app/org, the Makefile builds ./app/org/cmd/org"},
		{"cgo", func(t *testing.T) []byte { return edit(t, dockerfile, "CGO_ENABLED=0 ", "") }, nil, "CGO_ENABLED"},
		{"the binary not copied", func(t *testing.T) []byte {
			return edit(t, dockerfile, "COPY --from=build /out/service /service", "COPY --from=build /out/configs /service")
		}, nil, "not the build's output"},
		{"a root image", func(t *testing.T) []byte {
			return edit(t, string(edit(t, dockerfile, "gcr.io/distroless/static-debian12:nonroot", "debian:12")), "USER 65532:65532\n", "")
		}, nil, "runs as root"},
		{"no ARG SERVICE", func(t *testing.T) []byte { return edit(t, dockerfile, "ARG SERVICE=org\n", "") }, nil, "ARG SERVICE"},
		{"a lint warning", func(t *testing.T) []byte {
			return edit(t, dockerfile, "FROM golang:1.26 AS build", "FROM golang:1.26 as build")
		}, nil, "FromAsCasing"},
		{"one stage", func(t *testing.T) []byte {
			i := strings.Index(dockerfile, "\nFROM gcr.io")
			return []byte(dockerfile[:i])
		}, nil, "multi-stage"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			df, mf := []byte(dockerfile), []byte(makefile)
			if tc.dockerfile != nil {
				df = tc.dockerfile(t)
			}
			if tc.makefile != nil {
				mf = tc.makefile(t)
			}
			problems := checkDockerfile(t.TempDir(), df, mf)
			if !slices.ContainsFunc(problems, func(p string) bool { return strings.Contains(p, tc.want) }) {
				t.Errorf("want a problem containing %q, got %q", tc.want, problems)
			}
		})
	}
}

// goListPackage is the part of `go list -json` this test reads.
type goListPackage struct {
	Dir, ImportPath                                       string
	Module                                                *struct{ Main bool }
	GoFiles, CgoFiles, CFiles, SFiles, HFiles, EmbedFiles []string
	EmbedPatterns                                         []string
}

// buildInputs lists the repository files `go build` reads for the binaries: go.mod, go.sum, and
// the source and embedded files of every package of this module they link. An embed pattern that
// matches nothing here (pkg/webui's dist before `make web`) stands for its directory and the web
// app's index.html.
func buildInputs(t *testing.T, binaries []goBuild) []string {
	t.Helper()
	abs, err := filepath.Abs(root)
	if err != nil {
		t.Fatal(err)
	}
	byTags := map[string][]string{}
	for _, b := range binaries {
		byTags[strings.Join(b.Tags, ",")] = append(byTags[strings.Join(b.Tags, ",")], b.Pkg)
	}
	seen := map[string]bool{"go.mod": true, "go.sum": true}
	for tags, pkgs := range byTags {
		cmd := exec.Command("go", append([]string{"list", "-e", "-deps", "-json", "-tags", tags}, pkgs...)...)
		cmd.Dir = root
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("go list -tags %q %s: %v", tags, pkgs, err)
		}
		dec := json.NewDecoder(bytes.NewReader(out))
		for dec.More() {
			var p goListPackage
			if err := dec.Decode(&p); err != nil {
				t.Fatal(err)
			}
			if p.Module == nil || !p.Module.Main {
				continue
			}
			rel, err := filepath.Rel(abs, p.Dir)
			if err != nil {
				t.Fatal(err)
			}
			for _, group := range [][]string{p.GoFiles, p.CgoFiles, p.CFiles, p.SFiles, p.HFiles, p.EmbedFiles} {
				for _, f := range group {
					seen[filepath.ToSlash(filepath.Join(rel, f))] = true
				}
			}
			for _, pat := range p.EmbedPatterns {
				pat = strings.TrimPrefix(pat, "all:")
				if i := strings.IndexAny(pat, "*?[\\"); i >= 0 {
					pat = pat[:i]
				}
				pat = strings.TrimSuffix(pat, "/")
				if pat != "" && !slices.ContainsFunc(p.EmbedFiles, func(f string) bool { return strings.HasPrefix(f, pat) }) {
					seen[filepath.ToSlash(filepath.Join(rel, pat))] = true
					seen[filepath.ToSlash(filepath.Join(rel, pat, "index.html"))] = true
				}
			}
		}
	}
	files := make([]string, 0, len(seen))
	for f := range seen {
		files = append(files, f)
	}
	sort.Strings(files)
	return files
}

// checkDockerignore returns what is wrong with a .dockerignore: a build input it excludes, or a
// path it lets in that must stay out of the build context.
func checkDockerignore(t *testing.T, dockerignore []byte, inputs []string) []string {
	t.Helper()
	patterns, err := ignorefile.ReadAll(bytes.NewReader(dockerignore))
	if err != nil {
		t.Fatal(err)
	}
	pm, err := patternmatcher.New(patterns)
	if err != nil {
		t.Fatal(err)
	}
	excluded := func(f string) bool {
		ok, err := pm.MatchesOrParentMatches(f)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	var problems []string
	for _, f := range inputs {
		if excluded(f) {
			problems = append(problems, fmt.Sprintf(".dockerignore excludes %s, which the build needs", f))
		}
	}
	for _, f := range []string{".git/HEAD", "web/node_modules/vue/package.json", "bin/org", "data/vanguard.db",
		"deploy/compose/secrets/vanguard.env", "deploy/compose/secrets/jwt_ed25519.pem"} {
		if !excluded(f) {
			problems = append(problems, fmt.Sprintf(".dockerignore lets %s into the build context", f))
		}
	}
	return problems
}

// TestDockerignore: .dockerignore lets in every file the Go build of each binary reads (the web
// app's pkg/webui/dist included) and each service's configs, and keeps out the repository's
// history, the node modules, built binaries and the compose run's secrets; and the check fails
// on a .dockerignore that breaks either.
func TestDockerignore(t *testing.T) {
	binaries, err := makeBinaries(readRepoFile(t, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	inputs := buildInputs(t, binaries)
	for _, b := range binaries {
		if _, err := os.Stat(filepath.Join(root, "app", b.Name, "configs", "config.yaml")); err == nil {
			inputs = append(inputs, "app/"+b.Name+"/configs/config.yaml")
		}
	}
	for _, f := range []string{"pkg/webui/dist/index.html", "api/org/v1/openapi.yaml", "app/growth/internal/service/templates/file.html", "app/gateway/configs/config.yaml"} {
		if !slices.Contains(inputs, f) {
			t.Errorf("the build inputs do not include %s: %d files", f, len(inputs))
		}
	}
	dockerignore := readRepoFile(t, ".dockerignore")
	for _, p := range checkDockerignore(t, dockerignore, inputs) {
		t.Error(p)
	}
	t.Logf("%d build inputs checked", len(inputs))

	for _, tc := range []struct{ add, drop, want string }{
		{add: "pkg/webui/dist", want: "excludes pkg/webui/dist/index.html"},
		{add: "**/*.html", want: "excludes app/growth/internal/service/templates/file.html"},
		{add: "api", want: "excludes api/org/v1/openapi.yaml"},
		{add: "app/*/configs", want: "excludes app/org/configs/config.yaml"},
		{drop: "deploy/compose/secrets\n", want: "lets deploy/compose/secrets/vanguard.env"},
		{drop: "web/node_modules\n", want: "lets web/node_modules"},
	} {
		t.Run("drift "+tc.add+strings.TrimSpace(tc.drop), func(t *testing.T) {
			changed := string(dockerignore) + tc.add + "\n"
			if tc.drop != "" {
				if !strings.Contains(changed, tc.drop) {
					t.Fatalf(".dockerignore no longer contains %q: update this test", tc.drop)
				}
				changed = strings.Replace(changed, tc.drop, "", 1)
			}
			problems := checkDockerignore(t, []byte(changed), inputs)
			if !slices.ContainsFunc(problems, func(p string) bool { return strings.Contains(p, tc.want) }) {
				t.Errorf("want a problem containing %q, got %q", tc.want, problems)
			}
		})
	}
}
