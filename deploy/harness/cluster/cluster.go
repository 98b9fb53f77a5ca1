// Package cluster starts and controls a private distributed Vanguard on loopback, for the
// harness (deploy/harness: make bench-distributed, make chaos): a PostgreSQL cluster of its own
// (initdb into a temp dir, its own port, fsync on, one database per service), a Redis of its own
// (no persistence, so a restart loses every queued task), a MinIO of its own, every service
// binary as its own process with the API and worker roles apart, and bin/gateway in front.
// It never touches the machine's shared PostgreSQL (5432) or Redis (6379).
//
// Every child runs in its own process group with a parent-death signal, so neither Close nor a
// crash of the harness leaves one behind. Each process's output goes to Dir/logs/<proc>.log.
package cluster

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // driver "pgx"
)

// Services are the service binaries, each with its own database named after it.
var Services = []string{"org", "course", "quiz", "studyhour", "growth", "search"}

// Options configures Start.
type Options struct {
	// Dir holds everything (binaries, data, logs); empty: a new temp dir.
	Dir string
	// QuizWorkers is the number of quiz worker processes (grading); 0 means 1.
	QuizWorkers int
	// Log receives progress lines; nil discards them.
	Log io.Writer
	// Keep leaves Dir in place after Close, for inspection.
	Keep bool
	// BinDir holds already built service binaries (org, course, quiz, studyhour, growth,
	// search, gateway); empty: Start builds them into Dir/bin.
	BinDir string
	// RepoRoot is the repository (for the config files and the build); empty: found from the
	// working directory.
	RepoRoot string
	// OutboxRedeliverAfter, when positive, is every service's outbox.redeliver_after: how long
	// a relayed event may stay unacknowledged before it is sent again (the configs' default is
	// 2m). The chaos run shortens it so events whose tasks a Redis restart lost come back soon.
	OutboxRedeliverAfter time.Duration
	// ReadyTimeout bounds each process's start-up; 0 means 3 minutes.
	ReadyTimeout time.Duration
}

// Cluster is a running private distributed Vanguard.
type Cluster struct {
	Dir           string // temp dir holding everything (data, logs/<proc>.log)
	GatewayURL    string // http://127.0.0.1:PORT, bin/gateway in front of every service
	AdminUser     string // "admin"
	AdminPassword string
	PGPort        int
	RedisAddr     string // 127.0.0.1:PORT of the private Redis

	opts      Options
	log       io.Writer
	binDir    string
	repo      string
	minioAddr string
	minioUser string
	minioPass string
	secrets   map[string]string // env name -> value, never logged
	addrs     map[string]procAddrs

	mu    sync.Mutex
	procs map[string]*process
	order []string // service processes and gateway, in start order
	dbs   map[string]*sql.DB

	closeOnce sync.Once
	closing   atomic.Bool // set when Close begins: nothing is started after it
}

// procAddrs are a process's listening addresses.
type procAddrs struct{ http, grpc string }

// Start builds (unless o.BinDir) and starts everything, and returns when every process answers
// its readiness probe and the gateway answers GET /v1/auth/public-key. On failure everything
// started so far is stopped again.
func Start(ctx context.Context, o Options) (_ *Cluster, err error) {
	if o.QuizWorkers <= 0 {
		o.QuizWorkers = 1
	}
	if o.ReadyTimeout <= 0 {
		o.ReadyTimeout = 3 * time.Minute
	}
	logw := o.Log
	if logw == nil {
		logw = io.Discard
	}
	repo := o.RepoRoot
	if repo == "" {
		if repo, err = FindRepoRoot(); err != nil {
			return nil, err
		}
	}
	dir := o.Dir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "vanguard-harness-"); err != nil {
			return nil, err
		}
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	if dir, err = filepath.Abs(dir); err != nil {
		return nil, err
	}
	// postgres runs as its own user and must reach its data directory below Dir: traverse only.
	if err := os.Chmod(dir, 0o711); err != nil {
		return nil, err
	}
	for _, d := range []string{"logs", "secrets", "run"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return nil, err
		}
	}
	_ = os.Chmod(filepath.Join(dir, "secrets"), 0o700)
	c := &Cluster{Dir: dir, AdminUser: "admin", opts: o, log: logw, repo: repo, binDir: o.BinDir,
		secrets: map[string]string{}, addrs: map[string]procAddrs{}, procs: map[string]*process{}, dbs: map[string]*sql.DB{}}
	defer func() {
		if err != nil {
			c.logf("start failed; stopping what was started (logs in %s)", filepath.Join(dir, "logs"))
			c.Close()
		}
	}()
	began := time.Now()
	if c.binDir == "" {
		c.binDir = filepath.Join(dir, "bin")
		if err := Build(ctx, repo, c.binDir, logw); err != nil {
			return nil, err
		}
	}
	if err := c.startPostgres(ctx); err != nil {
		return nil, err
	}
	if err := c.startRedis(ctx); err != nil {
		return nil, err
	}
	if err := c.startMinIO(ctx); err != nil {
		return nil, err
	}
	if err := c.makeSecrets(ctx); err != nil {
		return nil, err
	}
	if err := c.allocateServicePorts(); err != nil {
		return nil, err
	}
	c.defineServices()
	// org first: its migration creates the admin, and the others take its public key at start.
	if err := c.migrate(ctx, "org"); err != nil {
		return nil, err
	}
	if err := c.startAndWait(ctx, "org-api"); err != nil {
		return nil, err
	}
	if err := c.parallel(ctx, Services[1:], c.migrate); err != nil {
		return nil, err
	}
	// Then in dependency order: course and quiz need only org; studyhour, growth and search read
	// course's and quiz's gRPC APIs as soon as they start (search builds its first index from
	// their feeds, and a first build that finds them down waits for a retry).
	var first, second []string
	for _, name := range c.order {
		switch svc, _ := roleOf(name); svc {
		case "org", "gateway":
		case "course", "quiz":
			first = append(first, name)
		default:
			second = append(second, name)
		}
	}
	if err := c.parallel(ctx, first, c.startAndWait); err != nil {
		return nil, err
	}
	if err := c.parallel(ctx, second, c.startAndWait); err != nil {
		return nil, err
	}
	if err := c.startAndWait(ctx, "gateway"); err != nil {
		return nil, err
	}
	c.logf("cluster ready in %.1fs: gateway %s, postgres 127.0.0.1:%d, redis %s, minio %s, dir %s",
		time.Since(began).Seconds(), c.GatewayURL, c.PGPort, c.RedisAddr, c.minioAddr, c.Dir)
	return c, nil
}

func (c *Cluster) logf(format string, args ...any) {
	fmt.Fprintf(c.log, "cluster: "+format+"\n", args...)
}

// parallel runs fn for every name at once and returns the first error.
func (c *Cluster) parallel(ctx context.Context, names []string, fn func(context.Context, string) error) error {
	errs := make([]error, len(names))
	var wg sync.WaitGroup
	for i, n := range names {
		wg.Go(func() { errs[i] = fn(ctx, n) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// FindRepoRoot walks up from the working directory to the go.mod of github.com/vanguard/vanguard.
func FindRepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && strings.Contains(string(b), "module github.com/vanguard/vanguard\n") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("cluster: no github.com/vanguard/vanguard go.mod above the working directory")
		}
		dir = parent
	}
}

// Build builds the service binaries and the gateway into outDir with one go build (the build
// cache makes a rebuild a link). The gateway is built without the webui tag: the harness needs
// its /v1 routes, not the web app.
func Build(ctx context.Context, repo, outDir string, log io.Writer) error {
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return err
	}
	args := []string{"build", "-o", outDir + string(filepath.Separator)}
	for _, s := range Services {
		args = append(args, "./app/"+s+"/cmd/"+s)
	}
	args = append(args, "./app/gateway/cmd/gateway")
	began := time.Now()
	fmt.Fprintf(log, "cluster: go %s\n", strings.Join(args, " "))
	logPath := filepath.Join(filepath.Dir(outDir), "build.log")
	if _, err := runOnce(ctx, logPath, false, nil, repo, os.Environ(), "go", args...); err != nil {
		return fmt.Errorf("building the service binaries: %w", err)
	}
	fmt.Fprintf(log, "cluster: built 7 binaries in %.1fs\n", time.Since(began).Seconds())
	return nil
}

// randomKey returns n random bytes.
func randomKey(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

// makeSecrets creates the token signing key (org keygen), the ID, service and ledger keys, the
// services' secrets (org service-secret NAME) and the admin password. None is ever logged.
func (c *Cluster) makeSecrets(ctx context.Context) error {
	org := filepath.Join(c.binDir, "org")
	env := c.baseEnv()
	pemBytes, err := runOnce(ctx, filepath.Join(c.Dir, "logs", "secrets.log"), true, nil, c.Dir, env, org, "keygen")
	if err != nil {
		return err
	}
	keyFile := filepath.Join(c.Dir, "secrets", "jwt_ed25519.pem")
	if err := os.WriteFile(keyFile, pemBytes, 0o600); err != nil {
		return err
	}
	c.secrets["VANGUARD_JWT_PRIVATE_KEY_FILE"] = keyFile
	c.secrets["VANGUARD_ID_KEY"] = base64.StdEncoding.EncodeToString(randomKey(32))
	c.secrets["VANGUARD_SERVICE_KEY"] = base64.StdEncoding.EncodeToString(randomKey(32))
	c.secrets["VANGUARD_LEDGER_KEY"] = hex.EncodeToString(randomKey(32))
	for _, s := range []string{"quiz", "studyhour", "growth", "search"} {
		out, err := runOnce(ctx, filepath.Join(c.Dir, "logs", "secrets.log"), true, nil, c.Dir,
			append(env, "VANGUARD_SERVICE_KEY="+c.secrets["VANGUARD_SERVICE_KEY"]), org, "service-secret", s)
		if err != nil {
			return err
		}
		c.secrets["VANGUARD_"+strings.ToUpper(s)+"_SERVICE_SECRET"] = strings.TrimSpace(string(out))
	}
	c.AdminPassword = "Vg-" + hex.EncodeToString(randomKey(8)) + "-9a"
	return nil
}

// baseEnv is the environment every child starts from: nothing of the harness's own VANGUARD_*
// (which could point a service at the shared PostgreSQL or Redis), only what a process needs.
func (c *Cluster) baseEnv() []string {
	env := []string{"LANG=C.UTF-8", "TMPDIR=" + filepath.Join(c.Dir, "run"), "HOME=" + filepath.Join(c.Dir, "run")}
	for _, k := range []string{"PATH", "GOCACHE", "GOPATH", "GOMODCACHE", "GOFLAGS", "GOPROXY"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return env
}

// serviceEnv is svc's environment, shared by its roles and its migration: every endpoint, its
// database, Redis, MinIO and the secrets its config reads.
func (c *Cluster) serviceEnv(svc string) []string {
	env := c.baseEnv()
	set := func(k, v string) { env = append(env, "VANGUARD_"+k+"="+v) }
	set("REDIS_ADDR", c.RedisAddr)
	set(strings.ToUpper(svc)+"_DATABASE_DRIVER", "postgres")
	set(strings.ToUpper(svc)+"_DATABASE_DSN", c.DSN(svc))
	for _, s := range []string{"org", "course", "quiz", "studyhour"} {
		set(strings.ToUpper(s)+"_GRPC_ENDPOINT", c.addrs[s+"-api"].grpc)
	}
	set("MINIO_ENDPOINT", c.minioAddr)
	set("MINIO_ACCESS_KEY", c.minioUser)
	set("MINIO_SECRET_KEY", c.minioPass)
	set("MINIO_BUCKET", "vanguard-media")
	if d := c.opts.OutboxRedeliverAfter; d > 0 {
		set("OUTBOX_REDELIVER_AFTER", d.String())
	}
	switch svc {
	case "org":
		for _, k := range []string{"VANGUARD_JWT_PRIVATE_KEY_FILE", "VANGUARD_ID_KEY", "VANGUARD_SERVICE_KEY"} {
			env = append(env, k+"="+c.secrets[k])
		}
	case "studyhour":
		env = append(env, "VANGUARD_LEDGER_KEY="+c.secrets["VANGUARD_LEDGER_KEY"])
	case "search":
		set("SEARCH_INDEX_DIR", filepath.Join(c.Dir, "search-index"))
	}
	if k := "VANGUARD_" + strings.ToUpper(svc) + "_SERVICE_SECRET"; c.secrets[k] != "" {
		env = append(env, k+"="+c.secrets[k])
	}
	return env
}

// allocateServicePorts picks every process's HTTP and gRPC port.
func (c *Cluster) allocateServicePorts() error {
	names := c.processNames()
	ports, err := freePorts(2*len(names) + 1)
	if err != nil {
		return err
	}
	for i, n := range names {
		c.addrs[n] = procAddrs{http: fmt.Sprintf("127.0.0.1:%d", ports[2*i]), grpc: fmt.Sprintf("127.0.0.1:%d", ports[2*i+1])}
	}
	c.addrs["gateway"] = procAddrs{http: fmt.Sprintf("127.0.0.1:%d", ports[len(ports)-1])}
	c.GatewayURL = "http://" + c.addrs["gateway"].http
	return nil
}

// processNames are the service processes in start order: org runs role all (it has no separate
// worker role); search runs role all too, because without Meilisearch its Bleve index lives on
// one process's disk and that process must both answer queries and apply the index's tasks.
func (c *Cluster) processNames() []string {
	names := []string{"org-api", "course-api", "course-worker", "quiz-api"}
	for i := 1; i <= c.opts.QuizWorkers; i++ {
		names = append(names, fmt.Sprintf("quiz-worker-%d", i))
	}
	return append(names, "studyhour-api", "studyhour-worker", "growth-api", "growth-worker", "search-api")
}

// roleOf returns the service and role of a process name.
func roleOf(name string) (svc, role string) {
	svc, rest, _ := strings.Cut(name, "-")
	switch {
	case svc == "org" || svc == "search":
		return svc, "all"
	case strings.HasPrefix(rest, "worker"):
		return svc, "worker"
	default:
		return svc, "api"
	}
}

// defineServices registers every service process and the gateway (not started yet).
func (c *Cluster) defineServices() {
	for _, name := range c.processNames() {
		svc, role := roleOf(name)
		a := c.addrs[name]
		env := append(c.serviceEnv(svc), "VANGUARD_HTTP_ADDR="+a.http, "VANGUARD_GRPC_ADDR="+a.grpc)
		c.add(procSpec{
			name: name, bin: filepath.Join(c.binDir, svc), dir: c.Dir, env: env,
			args:  []string{"serve", "-conf", c.config(svc), "-role", role},
			ready: httpReady("http://" + a.http + "/readyz"),
		}, true)
	}
	env := c.baseEnv()
	env = append(env, "VANGUARD_HTTP_ADDR="+c.addrs["gateway"].http)
	for _, s := range Services {
		env = append(env, "VANGUARD_"+strings.ToUpper(s)+"_HTTP_ENDPOINT=http://"+c.addrs[s+"-api"].http)
	}
	public := c.GatewayURL + "/v1/auth/public-key"
	c.add(procSpec{
		name: "gateway", bin: filepath.Join(c.binDir, "gateway"), dir: c.Dir, env: env,
		args: []string{"-conf", filepath.Join(c.repo, "app/gateway/configs/config.yaml")},
		// Ready when it answers and reaches org: the public key comes from org through it.
		ready: func(ctx context.Context) error {
			if err := httpReady(c.GatewayURL + "/healthz")(ctx); err != nil {
				return err
			}
			return httpReady(public)(ctx)
		},
	}, true)
}

func (c *Cluster) config(svc string) string {
	return filepath.Join(c.repo, "app", svc, "configs", "config.yaml")
}

// add registers a process; listed ones are what Procs returns.
func (c *Cluster) add(spec procSpec, listed bool) *process {
	c.mu.Lock()
	defer c.mu.Unlock()
	p := &process{spec: spec, logPath: filepath.Join(c.Dir, "logs", spec.name+".log")}
	c.procs[spec.name] = p
	if listed {
		c.order = append(c.order, spec.name)
	}
	return p
}

func (c *Cluster) proc(name string) (*process, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	p, ok := c.procs[name]
	if !ok {
		names := make([]string, 0, len(c.procs))
		for n := range c.procs {
			names = append(names, n)
		}
		sort.Strings(names)
		return nil, fmt.Errorf("cluster: no process %q (have %s)", name, strings.Join(names, ", "))
	}
	return p, nil
}

// migrate runs `<svc> migrate` (org's also creates the admin account).
func (c *Cluster) migrate(ctx context.Context, svc string) error {
	began := time.Now()
	env := c.serviceEnv(svc)
	// migrate validates the server section too, though it listens on nothing.
	env = append(env, "VANGUARD_HTTP_ADDR="+c.addrs[svc+"-api"].http, "VANGUARD_GRPC_ADDR="+c.addrs[svc+"-api"].grpc)
	if svc == "org" {
		env = append(env, "VANGUARD_ADMIN_PASSWORD="+c.AdminPassword)
	}
	logPath := filepath.Join(c.Dir, "logs", svc+"-migrate.log")
	if _, err := runOnce(ctx, logPath, false, nil, c.Dir, env, filepath.Join(c.binDir, svc), "migrate", "-conf", c.config(svc)); err != nil {
		return fmt.Errorf("migrate %s: %w", svc, err)
	}
	c.logf("%s migrated in %.1fs", svc, time.Since(began).Seconds())
	return nil
}

// startAndWait starts a process and waits for its readiness probe.
func (c *Cluster) startAndWait(ctx context.Context, name string) error {
	p, err := c.proc(name)
	if err != nil {
		return err
	}
	if c.closing.Load() {
		return fmt.Errorf("cluster: not starting %s: the cluster is closing", name)
	}
	began := time.Now()
	if err := c.startReady(ctx, p); err != nil {
		return err
	}
	c.logf("%s ready in %.1fs (pid %d)", name, time.Since(began).Seconds(), p.pid())
	return nil
}

// startReady starts p and waits until it is ready, for at most the ready timeout.
func (c *Cluster) startReady(ctx context.Context, p *process) error {
	if err := p.start(); err != nil {
		return err
	}
	wctx, cancel := context.WithTimeout(ctx, c.opts.ReadyTimeout)
	defer cancel()
	return p.waitReady(wctx)
}

// httpReady probes url: ready when it answers 200.
func httpReady(url string) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		res, err := probeClient.Do(req)
		if err != nil {
			return err
		}
		defer res.Body.Close()
		_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 1<<16))
		if res.StatusCode != http.StatusOK {
			return fmt.Errorf("GET %s: %s", url, res.Status)
		}
		return nil
	}
}

var probeClient = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}

// Procs lists the service processes and the gateway, in start order.
func (c *Cluster) Procs() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.order...)
}

// Kill sends SIGKILL to a process (its whole process group) and waits until it is gone.
func (c *Cluster) Kill(proc string) error {
	p, err := c.proc(proc)
	if err != nil {
		return err
	}
	if err := p.kill(); err != nil {
		return fmt.Errorf("cluster: kill %s: %w", proc, err)
	}
	c.logf("%s killed (SIGKILL)", proc)
	return nil
}

// Stop asks a process to stop (SIGTERM; postgres: SIGINT) and waits for it, killing it after
// 30 s.
func (c *Cluster) Stop(proc string) error {
	p, err := c.proc(proc)
	if err != nil {
		return err
	}
	if err := p.stop(30 * time.Second); err != nil {
		return fmt.Errorf("cluster: stop %s: %w", proc, err)
	}
	c.logf("%s stopped", proc)
	return nil
}

// Start starts a stopped or killed process again, on the same addresses, and waits until it is
// ready.
func (c *Cluster) Start(proc string) error {
	return c.startAndWait(context.Background(), proc)
}

// DSN is the connection URL of a database on the private PostgreSQL (each service's database
// is named after the service: DSN("quiz")).
func (c *Cluster) DSN(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", c.PGPort, db)
}

// DB returns a pool on a service's own database (opened once, closed by Close). Connections
// broken by RestartPostgres are replaced on the next use.
func (c *Cluster) DB(service string) *sql.DB {
	c.mu.Lock()
	defer c.mu.Unlock()
	if db, ok := c.dbs[service]; ok {
		return db
	}
	db, err := sql.Open("pgx", c.DSN(service))
	if err != nil { // pgx validates nothing at Open; kept for completeness
		panic(fmt.Sprintf("cluster: open %s: %v", service, err))
	}
	db.SetMaxOpenConns(8)
	db.SetMaxIdleConns(4)
	db.SetConnMaxIdleTime(30 * time.Second)
	c.dbs[service] = db
	return db
}

// CPU returns each process's cumulative CPU time (user+sys, with its children's: postgres'
// backends), the incarnations that were killed or stopped included, for the service
// processes, the gateway, and "postgres", "redis" and "minio".
func (c *Cluster) CPU() map[string]time.Duration {
	c.mu.Lock()
	procs := make([]*process, 0, len(c.procs))
	for _, p := range c.procs {
		procs = append(procs, p)
	}
	c.mu.Unlock()
	table := readProcessTable()
	out := make(map[string]time.Duration, len(procs))
	for _, p := range procs {
		p.mu.Lock()
		total := p.pastCPU
		live := p.cmd != nil
		if live {
			select {
			case <-p.exited:
				live = false
			default:
			}
		}
		pid := 0
		if live {
			pid = p.cmd.Process.Pid
		}
		p.mu.Unlock()
		if pid != 0 {
			total += table.treeCPU(pid)
		}
		out[p.spec.name] = total
	}
	return out
}

// LogPath is the log file of a process.
func (c *Cluster) LogPath(proc string) string { return filepath.Join(c.Dir, "logs", proc+".log") }

// Close stops everything (the gateway and services first, then MinIO, Redis and PostgreSQL)
// and removes Dir unless Options.Keep. It is safe to call more than once.
func (c *Cluster) Close() {
	c.closeOnce.Do(func() {
		c.closing.Store(true)
		c.mu.Lock()
		for _, db := range c.dbs {
			_ = db.Close()
		}
		c.dbs = map[string]*sql.DB{}
		order := append([]string(nil), c.order...)
		c.mu.Unlock()
		var apps []*process
		for i := len(order) - 1; i >= 0; i-- {
			if p, err := c.proc(order[i]); err == nil {
				apps = append(apps, p)
			}
		}
		stopAll(apps, 20*time.Second)
		for _, name := range []string{"minio", "redis", "postgres"} {
			if p, err := c.proc(name); err == nil {
				stopAll([]*process{p}, 30*time.Second)
			}
		}
		if c.opts.Keep {
			c.logf("stopped; kept %s", c.Dir)
			return
		}
		if err := os.RemoveAll(c.Dir); err != nil {
			c.logf("stopped; removing %s: %v", c.Dir, err)
			return
		}
		c.logf("stopped; removed %s", c.Dir)
	})
}

// stopAll stops processes at once (each killed after grace).
func stopAll(ps []*process, grace time.Duration) {
	var wg sync.WaitGroup
	for _, p := range ps {
		wg.Go(func() {
			if err := p.stop(grace); err != nil && !errors.Is(err, errNotRunning) {
				// Stopping for good: make sure nothing of its group is left either.
				_, _ = p.signal(syscall.SIGKILL, true)
			}
		})
	}
	wg.Wait()
}
