package deploy_test

import (
	"context"
	"fmt"
	"maps"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/dotenv"
	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"

	"github.com/vanguard/vanguard/pkg/authn"
	"github.com/vanguard/vanguard/pkg/secret"
)

// composeEnv is the environment deploy/compose.yaml is interpolated from: the variables that
// deploy/compose/secrets.sh writes to its env file (TestComposeSecretsScript checks that it writes
// these and no others). The values only need the right shape.
var composeEnv = map[string]string{
	"POSTGRES_PASSWORD":                 "0123456789abcdef0123456789abcdef",
	"MINIO_ROOT_PASSWORD":               "0123456789abcdef0123456789abcdef",
	"MEILI_MASTER_KEY":                  "0123456789abcdef0123456789abcdef0123456789abcdef",
	"VANGUARD_ADMIN_PASSWORD":           "admin-0123456789ab-1",
	"VANGUARD_ID_KEY":                   strings.Repeat("ab", 32),
	"VANGUARD_LEDGER_KEY":               strings.Repeat("cd", 32),
	"VANGUARD_SERVICE_KEY":              strings.Repeat("ef", 32),
	"VANGUARD_QUIZ_SERVICE_SECRET":      strings.Repeat("01", 32),
	"VANGUARD_STUDYHOUR_SERVICE_SECRET": strings.Repeat("02", 32),
	"VANGUARD_GROWTH_SERVICE_SECRET":    strings.Repeat("03", 32),
	"VANGUARD_SEARCH_SERVICE_SECRET":    strings.Repeat("04", 32),
}

// optionalVars are the config variables with an empty default that a service may leave unset in
// the compose run, and why.
var optionalVars = map[string]string{
	"METRICS_ADDR":        "no /metrics listener on a laptop",
	"METRICS_TOKEN":       "no /metrics on the public port",
	"JWT_PUBLIC_KEY_FILE": "the services ask org for its public key",
	"ID_KEY_FILE":         "org gets VANGUARD_ID_KEY instead",
	"CHROMIUM":            "the distroless image has no Chromium: growth refuses PDF export, HTML and JSON work",
}

// loadCompose loads a compose file the way `docker compose` does (compose-go, schema validation,
// interpolation from env, consistency checks), with deploy/ as the project directory.
func loadCompose(content []byte, env map[string]string) (*types.Project, error) {
	dir, err := filepath.Abs(".")
	if err != nil {
		return nil, err
	}
	return loader.LoadWithContext(context.Background(), types.ConfigDetails{
		WorkingDir:  dir,
		ConfigFiles: []types.ConfigFile{{Filename: filepath.Join(dir, "compose.yaml"), Content: content}},
		Environment: maps.Clone(env), // the loader adds to it
	}, func(o *loader.Options) {
		o.SkipValidation = false
		o.SkipConsistencyCheck = false
		o.SkipInterpolation = false
	})
}

// configVar is one `${NAME:default}` of a service's config, read from VANGUARD_NAME.
type configVar struct{ Name, Default string }

var configVarRE = regexp.MustCompile(`\$\{([A-Z0-9_]+):([^}]*)\}`)
var getenvRE = regexp.MustCompile(`os\.Getenv\("(VANGUARD_[A-Z0-9_]+)"\)`)

// serviceVars returns the variables binary name reads: its config's (by VANGUARD_ name) and
// those its command reads from the environment directly (org's VANGUARD_ADMIN_PASSWORD …).
func serviceVars(t *testing.T, name string) (map[string]configVar, map[string]bool) {
	t.Helper()
	cfg := map[string]configVar{}
	for _, m := range configVarRE.FindAllStringSubmatch(string(readRepoFile(t, "app/"+name+"/configs/config.yaml")), -1) {
		cfg["VANGUARD_"+m[1]] = configVar{m[1], m[2]}
	}
	direct := map[string]bool{}
	files, _ := filepath.Glob(filepath.Join(root, "app", name, "cmd", name, "*.go"))
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range getenvRE.FindAllStringSubmatch(string(src), -1) {
			direct[m[1]] = true
		}
	}
	return cfg, direct
}

// singleRole reports whether binary name serves in one role only (it refuses -role api and
// -role worker, as org does: it has no background queues).
func singleRole(t *testing.T, name string) bool {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(root, "app", name, "cmd", name, "main.go"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.Contains(string(src), "has no separate api and worker roles")
}

// port returns the port of a config's default address variable (HTTP_ADDR, GRPC_ADDR).
func port(cfg map[string]configVar, name string) string {
	_, p, _ := net.SplitHostPort(cfg["VANGUARD_"+name].Default)
	return p
}

// flagValue returns the value after flag in a command line.
func flagValue(cmd []string, flag string) string {
	if i := slices.Index(cmd, flag); i >= 0 && i+1 < len(cmd) {
		return cmd[i+1]
	}
	return ""
}

// checkCompose returns what is wrong with a loaded compose project against the Makefile's
// binaries, the services' configs and the rules of the laptop run.
func checkCompose(t *testing.T, p *types.Project) []string {
	t.Helper()
	var problems []string
	bad := func(format string, a ...any) { problems = append(problems, fmt.Sprintf(format, a...)) }
	binaries, err := makeBinaries(readRepoFile(t, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	binaryNames := map[string]bool{}
	for _, b := range binaries {
		binaryNames[b.Name] = true
	}
	repo, _ := filepath.Abs(root)
	secretsDir := filepath.Join(repo, "deploy", "compose", "secrets")
	initSQL := string(readRepoFile(t, "deploy/compose/postgres/init.sql"))

	binaryOf := map[string]string{} // compose service → binary
	for name, s := range p.Services {
		if s.Build == nil {
			continue
		}
		if s.Build.Context != repo || s.Build.Dockerfile != "deploy/Dockerfile" {
			bad("%s: builds %s in %s, want deploy/Dockerfile in the repository root", name, s.Build.Dockerfile, s.Build.Context)
		}
		arg := ""
		if v := s.Build.Args["SERVICE"]; v != nil {
			arg = *v
		}
		if !binaryNames[arg] {
			bad("%s: build argument SERVICE=%q is not a binary of the Makefile's build target", name, arg)
			continue
		}
		binaryOf[name] = arg
	}
	// What the other services' endpoints must reach: a binary's API, by compose service name.
	apiOf := map[string]string{}
	migrates, roles := map[string]string{}, map[string][]string{}
	for name, bin := range binaryOf {
		s := p.Services[name]
		cmd := []string(s.Command)
		if bin == "gateway" {
			if flagValue(cmd, "-conf") != "/configs/config.yaml" {
				bad("%s: command %q: want -conf /configs/config.yaml", name, cmd)
			}
			apiOf[name] = bin
			continue
		}
		if len(cmd) == 0 || (cmd[0] != "serve" && cmd[0] != "migrate") || flagValue(cmd, "-conf") != "/configs/config.yaml" {
			bad("%s: command %q: want serve or migrate with -conf /configs/config.yaml (the image's config)", name, cmd)
			continue
		}
		if cmd[0] == "migrate" {
			migrates[bin] = name
			continue
		}
		role := flagValue(cmd, "-role")
		if role == "" {
			role = "all"
		}
		switch {
		case singleRole(t, bin) && role != "all":
			bad("%s: -role %s: %s serves in one role only (all)", name, role, bin)
		case role != "all" && role != "api" && role != "worker":
			bad("%s: -role %s", name, role)
		}
		roles[bin] = append(roles[bin], role)
		if role != "worker" {
			apiOf[name] = bin
		}
	}
	for _, b := range binaries {
		if b.Name == "vanguard" {
			continue // the standalone binary is not part of the distributed run
		}
		if b.Name == "gateway" {
			if !slices.Contains(slices.Collect(maps.Values(apiOf)), "gateway") {
				bad("no gateway")
			}
			continue
		}
		if migrates[b.Name] == "" {
			bad("%s: no migrate step", b.Name)
		}
		r := roles[b.Name]
		if !slices.Contains(r, "all") && (!slices.Contains(r, "api") || !slices.Contains(r, "worker")) {
			bad("%s: roles %q: want its API and its worker (or role all)", b.Name, r)
		}
	}

	for name, s := range p.Services {
		// Dependencies exist; a serving container waits for its own migration to complete.
		for dep, d := range s.DependsOn {
			if _, ok := p.Services[dep]; !ok {
				bad("%s depends on %s, which is not a service", name, dep)
			} else if p.Services[dep].HealthCheck != nil && d.Condition != types.ServiceConditionHealthy {
				bad("%s: depends on %s (%s): it has a healthcheck, wait for service_healthy", name, dep, d.Condition)
			}
		}
		if bin := binaryOf[name]; bin != "" && migrates[bin] != "" && migrates[bin] != name {
			if d, ok := s.DependsOn[migrates[bin]]; !ok || d.Condition != types.ServiceConditionCompletedSuccessfully {
				bad("%s: does not wait for %s to complete successfully", name, migrates[bin])
			}
		}
		if s.Build == nil && s.HealthCheck == nil {
			bad("%s: no healthcheck (the services wait on their dependencies' health)", name)
		}
		// Only the gateway, and MinIO (presigned URLs, console), publish ports, on 127.0.0.1.
		for _, pc := range s.Ports {
			if binaryOf[name] != "gateway" && name != "minio" {
				bad("%s publishes port %d: only the gateway (and MinIO) may", name, pc.Target)
			}
			if pc.HostIP != "127.0.0.1" {
				bad("%s publishes port %d on %q: want 127.0.0.1", name, pc.Target, pc.HostIP)
			}
		}
		for _, sec := range s.Secrets {
			if def, ok := p.Secrets[sec.Source]; ok && def.File != "" && filepath.Dir(def.File) != secretsDir {
				bad("secret %s: file %s is outside deploy/compose/secrets (ignored by git and docker)", sec.Source, def.File)
			}
		}

		bin := binaryOf[name]
		if bin == "" {
			continue
		}
		cfg, direct := serviceVars(t, bin)
		// Every VANGUARD_ variable set is one the service reads.
		for k, v := range s.Environment {
			if !strings.HasPrefix(k, "VANGUARD_") {
				bad("%s: sets %s, which no Vanguard config reads", name, k)
				continue
			}
			if _, ok := cfg[k]; !ok && !direct[k] {
				bad("%s: sets %s, which app/%s/configs/config.yaml does not read", name, k, bin)
				continue
			}
			if v == nil || *v == "" {
				bad("%s: %s is empty", name, k)
				continue
			}
			// Files come from read-only compose secrets.
			if strings.HasSuffix(k, "_FILE") && !slices.ContainsFunc(s.Secrets, func(sec types.ServiceSecretConfig) bool {
				return sec.Target == *v || path.Join("/run/secrets", sec.Target) == *v
			}) {
				bad("%s: %s=%s is not a mounted secret", name, k, *v)
			}
			// Endpoints reach a service that serves that binary's API, on its config's port.
			if target, kind, ok := strings.Cut(strings.TrimPrefix(k, "VANGUARD_"), "_"); ok && (kind == "GRPC_ENDPOINT" || kind == "HTTP_ENDPOINT") {
				hostport := *v
				if u, err := url.Parse(*v); err == nil && u.Host != "" {
					hostport = u.Host
				}
				host, prt, _ := net.SplitHostPort(hostport)
				want := strings.ToLower(target)
				if apiOf[host] != want {
					bad("%s: %s=%s: %s is not the API of %s", name, k, *v, host, want)
				} else if tcfg, _ := serviceVars(t, want); prt != port(tcfg, strings.TrimSuffix(kind, "_ENDPOINT")+"_ADDR") {
					bad("%s: %s=%s: %s listens on %s", name, k, *v, want, port(tcfg, strings.TrimSuffix(kind, "_ENDPOINT")+"_ADDR"))
				}
			}
			// A DSN names a database that the init script creates, on the postgres service.
			if strings.HasSuffix(k, "_DATABASE_DSN") {
				u, err := url.Parse(*v)
				if err != nil || u.Hostname() != "postgres" || !strings.Contains(initSQL, "CREATE DATABASE "+strings.TrimPrefix(u.Path, "/")+";") {
					bad("%s: %s names no database that compose/postgres/init.sql creates on postgres", name, k)
				}
			}
		}
		// Every variable the config needs is set: those with an empty default (secrets, keys) but
		// the optional ones, and those whose default is the developer's machine.
		for k, cv := range cfg {
			_, set := s.Environment[k]
			local := strings.Contains(cv.Default, "127.0.0.1") || strings.Contains(cv.Default, "localhost")
			if !set && ((cv.Default == "" && optionalVars[cv.Name] == "") || local) {
				bad("%s: %s is not set (app/%s/configs/config.yaml's default is %q)", name, k, bin, cv.Default)
			}
		}
	}
	sort.Strings(problems)
	return problems
}

// TestCompose: deploy/compose.yaml loads as docker compose would (schema, interpolation from the
// secrets' env file, consistency), every Vanguard image is deploy/Dockerfile for a binary of the
// Makefile, each service has its migration and its roles, sets exactly what its config reads and
// all it needs, endpoints and DSNs reach what they name, and only the gateway (and MinIO) is
// published, on 127.0.0.1.
func TestCompose(t *testing.T) {
	content := readRepoFile(t, "deploy/compose.yaml")
	p, err := loadCompose(content, composeEnv)
	if err != nil {
		t.Fatal(err)
	}
	for _, problem := range checkCompose(t, p) {
		t.Error(problem)
	}
	names := slices.Sorted(maps.Keys(p.Services))
	t.Logf("%d services: %s", len(names), strings.Join(names, " "))

	// Each variable is needed: without it compose refuses to start and names it.
	for k := range composeEnv {
		env := map[string]string{}
		for k2, v := range composeEnv {
			if k2 != k {
				env[k2] = v
			}
		}
		if _, err := loadCompose(content, env); err == nil || !strings.Contains(err.Error(), k) {
			t.Errorf("without %s: %v, want an error naming it", k, err)
		}
	}
}

// TestComposeCheckFindsDrift: the checks above fail on a compose file that breaks a rule.
func TestComposeCheckFindsDrift(t *testing.T) {
	content := string(readRepoFile(t, "deploy/compose.yaml"))
	for _, tc := range []struct{ name, old, new, want string }{
		{"a misspelt variable", "VANGUARD_QUIZ_SERVICE_SECRET: ${", "VANGUARD_QUIZ_SERVICE_SECERT: ${",
			"sets VANGUARD_QUIZ_SERVICE_SECERT, which app/quiz/configs/config.yaml does not read"},
		{"a variable another service reads", "  VANGUARD_QUIZ_DATABASE_DSN: *quiz-dsn\n", "  VANGUARD_QUIZ_DATABASE_DSN: *quiz-dsn\n  VANGUARD_LEDGER_KEY: x\n",
			"quiz: sets VANGUARD_LEDGER_KEY"},
		{"a service secret missing", "  VANGUARD_GROWTH_SERVICE_SECRET: ${VANGUARD_GROWTH_SERVICE_SECRET:?run deploy/compose/secrets.sh}\n", "",
			"growth: VANGUARD_GROWTH_SERVICE_SECRET is not set"},
		{"a DSN missing", "  VANGUARD_COURSE_DATABASE_DSN: *course-dsn\n", "", "course: VANGUARD_COURSE_DATABASE_DSN is not set"},
		{"a database not created", "5432/vanguard_search?", "5432/vanguard_serach?", "VANGUARD_SEARCH_DATABASE_DSN names no database"},
		{"a wrong endpoint port", "VANGUARD_QUIZ_GRPC_ENDPOINT: quiz:9002", "VANGUARD_QUIZ_GRPC_ENDPOINT: quiz:9001", "quiz listens on 9002"},
		{"an endpoint at a worker", "VANGUARD_COURSE_HTTP_ENDPOINT: http://course:8001", "VANGUARD_COURSE_HTTP_ENDPOINT: http://course-worker:8001", "course-worker is not the API of course"},
		{"postgres published", "10-vanguard.sql:ro\n", "10-vanguard.sql:ro\n    ports: [\"127.0.0.1:5432:5432\"]\n", "postgres publishes port 5432"},
		{"the gateway on every address", "- 127.0.0.1:8080:8080", "- 8080:8080", "gateway publishes port 8080 on \"\""},
		{"an unknown binary", "args: {SERVICE: growth}}\n    command: [serve, -conf, /configs/config.yaml, -role, worker]", "args: {SERVICE: grow}}\n    command: [serve, -conf, /configs/config.yaml, -role, worker]", `SERVICE="grow" is not a binary`},
		{"org in a role it refuses", "command: [serve, -conf, /configs/config.yaml]\n    restart: *restart\n    environment: *org-env", "command: [serve, -conf, /configs/config.yaml, -role, api]\n    restart: *restart\n    environment: *org-env", "org serves in one role only"},
		{"no worker", "    command: [serve, -conf, /configs/config.yaml, -role, worker]\n    restart: *restart\n    environment: *quiz-env", "    command: [serve, -conf, /configs/config.yaml, -role, api]\n    restart: *restart\n    environment: *quiz-env", "quiz: roles"},
		{"not waiting for the migration", "    quiz-migrate: {condition: service_completed_successfully}\n", "    quiz-migrate: {condition: service_started}\n", "quiz: does not wait for quiz-migrate"},
		{"the key file not mounted", "    environment: *org-env\n    secrets:\n      - {source: jwt, target: jwt_ed25519.pem}\n", "    environment: *org-env\n", "org: VANGUARD_JWT_PRIVATE_KEY_FILE=/run/secrets/jwt_ed25519.pem is not a mounted secret"},
		{"a secret outside the ignored directory", "file: ./compose/secrets/jwt_ed25519.pem", "file: ./jwt_ed25519.pem", "outside deploy/compose/secrets"},
		{"not waiting for health", "  redis: {condition: service_healthy}", "  redis: {condition: service_started}", "wait for service_healthy"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(content, tc.old) {
				t.Fatalf("compose.yaml no longer contains %q: update this test", tc.old)
			}
			p, err := loadCompose([]byte(strings.Replace(content, tc.old, tc.new, 1)), composeEnv)
			if err != nil {
				t.Fatalf("load: %v", err)
			}
			problems := checkCompose(t, p)
			if !slices.ContainsFunc(problems, func(p string) bool { return strings.Contains(p, tc.want) }) {
				t.Errorf("want a problem containing %q, got %q", tc.want, problems)
			}
		})
	}
	// What compose-go itself refuses: a dependency on no service, a key the schema does not know.
	for _, tc := range []struct{ name, old, new string }{
		{"a dependency on no service", "    depends_on:\n      org: {condition: service_started}\n", "    depends_on:\n      nginx: {condition: service_started}\n      org: {condition: service_started}\n"},
		{"a misspelt key", "    healthcheck:\n      test: [CMD, redis-cli, ping]", "    healthchek:\n      test: [CMD, redis-cli, ping]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(content, tc.old) {
				t.Fatalf("compose.yaml no longer contains %q: update this test", tc.old)
			}
			if _, err := loadCompose([]byte(strings.Replace(content, tc.old, tc.new, 1)), composeEnv); err == nil {
				t.Error("loaded")
			}
		})
	}
}

// dockerStub stands in for the docker CLI in TestComposeSecretsScript: `docker build` records its
// arguments; `docker run --rm [-e NAME]… vanguard/org ARGS` runs the org binary the test built,
// with only the -e variables in its environment, as the container would have.
const dockerStub = `#!/bin/sh
set -eu
case "$1" in
build)
	shift
	echo "$*" >>"$DOCKER_STUB_LOG"
	exit 0 ;;
run)
	shift
	envs=""
	while [ $# -gt 0 ]; do
		case "$1" in
		--rm) shift ;;
		-e) envs="$envs $2=$(printenv "$2")"; shift 2 ;;
		vanguard/org) shift; exec env -i $envs "$ORG_BIN" "$@" ;;
		*) echo "docker stub: unexpected argument $1" >&2; exit 2 ;;
		esac
	done ;;
esac
echo "docker stub: unexpected command $*" >&2
exit 2
`

// TestComposeSecretsScript runs deploy/compose/secrets.sh with the real org binary behind a
// docker stand-in: it writes an env file with exactly the variables compose.yaml needs (the file
// loads and passes the checks), service secrets that org's service key verifies, keys of the
// shapes the services parse, org's signing key as a PKCS#8 Ed25519 PEM readable by the services'
// user, closed permissions on the rest; and a second run keeps every file as it was.
func TestComposeSecretsScript(t *testing.T) {
	tmp := t.TempDir()
	org := filepath.Join(tmp, "org")
	build := exec.Command("go", "build", "-o", org, "./app/org/cmd/org")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build org: %v\n%s", err, out)
	}
	bin := filepath.Join(tmp, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bin, "docker"), []byte(dockerStub), 0o755); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(tmp, "secrets")
	log := filepath.Join(tmp, "docker.log")
	run := func() string {
		cmd := exec.Command("/bin/sh", "deploy/compose/secrets.sh", dir)
		cmd.Dir = root
		cmd.Env = []string{"PATH=" + bin + ":/usr/bin:/bin", "HOME=" + tmp, "ORG_BIN=" + org, "DOCKER_STUB_LOG=" + log}
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("secrets.sh: %v\n%s", err, out)
		}
		return string(out)
	}
	run()
	if got, _ := os.ReadFile(log); strings.TrimSpace(string(got)) != "--build-arg SERVICE=org -t vanguard/org -f deploy/Dockerfile ." {
		t.Errorf("docker build %q", got)
	}

	envFile := filepath.Join(dir, "vanguard.env")
	env, err := dotenv.Read(envFile)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := slices.Sorted(maps.Keys(env)), slices.Sorted(maps.Keys(composeEnv)); !slices.Equal(got, want) {
		t.Errorf("the env file has %q, compose.yaml needs %q", got, want)
	}
	p, err := loadCompose(readRepoFile(t, "deploy/compose.yaml"), env)
	if err != nil {
		t.Fatal(err)
	}
	for _, problem := range checkCompose(t, p) {
		t.Error(problem)
	}

	serviceKey, err := secret.ParseKey(env["VANGUARD_SERVICE_KEY"])
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range env {
		if svc, ok := strings.CutSuffix(strings.TrimPrefix(k, "VANGUARD_"), "_SERVICE_SECRET"); ok {
			if !authn.CheckServiceSecret(serviceKey, strings.ToLower(svc), v) {
				t.Errorf("%s is not %s's secret under VANGUARD_SERVICE_KEY", k, strings.ToLower(svc))
			}
		}
	}
	if _, err := secret.ParseKey(env["VANGUARD_ID_KEY"]); err != nil {
		t.Errorf("VANGUARD_ID_KEY: %v", err)
	}
	if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(env["VANGUARD_LEDGER_KEY"]) {
		t.Error("VANGUARD_LEDGER_KEY: want 64 hex digits")
	}
	if pw := env["VANGUARD_ADMIN_PASSWORD"]; len(pw) < 8 || !strings.ContainsAny(pw, "0123456789") || !strings.ContainsAny(pw, "abcdefghijklmnopqrstuvwxyz") {
		t.Errorf("VANGUARD_ADMIN_PASSWORD %d characters: want 8 or more with letters and digits", len(pw))
	}
	for _, k := range []string{"POSTGRES_PASSWORD", "MINIO_ROOT_PASSWORD", "MEILI_MASTER_KEY"} {
		if !regexp.MustCompile(`^[0-9a-f]{32,}$`).MatchString(env[k]) {
			t.Errorf("%s: want 32 or more hex digits (URL-safe in the DSNs; Meilisearch wants 16 bytes or more)", k)
		}
	}

	keyFile := filepath.Join(dir, "jwt_ed25519.pem")
	pemBytes, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := authn.ParsePrivateKeyPEM(pemBytes); err != nil {
		t.Errorf("jwt_ed25519.pem: %v", err)
	}
	for f, want := range map[string]os.FileMode{dir: 0o700 | os.ModeDir, envFile: 0o600, keyFile: 0o444} {
		if fi, err := os.Stat(f); err != nil || fi.Mode() != want {
			t.Errorf("%s: mode %v, want %v (%v)", filepath.Base(f), fi.Mode(), want, err)
		}
	}

	out := run()
	if !strings.Contains(out, "kept "+envFile) || !strings.Contains(out, "kept "+keyFile) {
		t.Errorf("second run: %s", out)
	}
	if again, _ := os.ReadFile(keyFile); !slices.Equal(again, pemBytes) {
		t.Error("the second run replaced the signing key")
	}
	if again, _ := dotenv.Read(envFile); !maps.Equal(again, env) {
		t.Error("the second run replaced the env file")
	}
}
