// Package standalone composes every service into one process; tests start it in-process.
package standalone

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-kratos/kratos/v2"
	"github.com/go-kratos/kratos/v2/log"
	"github.com/go-kratos/kratos/v2/transport"
	kgrpc "github.com/go-kratos/kratos/v2/transport/grpc"
	khttp "github.com/go-kratos/kratos/v2/transport/http"
	"github.com/hibiken/asynq"
	"google.golang.org/grpc"

	orgv1 "github.com/vanguard/vanguard/api/org/v1"
	"github.com/vanguard/vanguard/app/course"
	"github.com/vanguard/vanguard/app/growth"
	"github.com/vanguard/vanguard/app/org"
	"github.com/vanguard/vanguard/app/quiz"
	"github.com/vanguard/vanguard/app/search"
	"github.com/vanguard/vanguard/app/standalone/backup"
	"github.com/vanguard/vanguard/app/studyhour"
	"github.com/vanguard/vanguard/pkg/authn"
	"github.com/vanguard/vanguard/pkg/blob"
	"github.com/vanguard/vanguard/pkg/clock"
	"github.com/vanguard/vanguard/pkg/dbx"
	"github.com/vanguard/vanguard/pkg/embedredis"
	"github.com/vanguard/vanguard/pkg/kit"
	"github.com/vanguard/vanguard/pkg/obs"
	"github.com/vanguard/vanguard/pkg/queue"
	"github.com/vanguard/vanguard/pkg/secret"
	"github.com/vanguard/vanguard/pkg/webui"
)

// Config is the standalone process's configuration.
type Config struct {
	HTTPAddr      string
	GRPCAddr      string
	DataDir       string
	AdminPassword string
	// PublicURL is how browsers reach the HTTP port (signed media URLs point there); empty means
	// "http://" + HTTPAddr.
	PublicURL string
	// RedisAddr is a Redis server for the task queues (host:port or redis://host:port/db);
	// empty starts the embedded Redis-protocol server on a free loopback port.
	RedisAddr string
	// PostgresURL, when set, puts every service's data in its own database (vanguard_org,
	// vanguard_course, vanguard_quiz, created if missing) on that PostgreSQL server instead of
	// SQLite files.
	PostgresURL string
	// DatabasePrefix names those databases (default "vanguard"); tests use their own.
	DatabasePrefix string
	// MigrateOnly migrates the databases and exits.
	MigrateOnly bool
	// MetricsToken opens /metrics on the public HTTP port to "Authorization: Bearer <token>";
	// empty: /metrics there answers 404. MetricsAddr serves /metrics without a token on a
	// separate (cluster-internal) listener; MetricsListener replaces it in tests.
	MetricsToken    string
	MetricsAddr     string
	MetricsListener net.Listener
	// For tests: a listener to serve HTTP on, a clock, a cheap argon2 cost, media limits and the
	// reconciler interval. Zero values mean the defaults.
	HTTPListener      net.Listener
	Clock             clock.Clock
	Argon2            secret.Argon2Params
	Media             course.MediaConfig
	ReconcileInterval time.Duration
	// StudyRules are studyhour's crediting rules (zero: the defaults, a heartbeat every 30 s);
	// VANGUARD_HEARTBEAT_SECONDS shortens the interval (browser tests).
	StudyRules studyhour.Rules
	// GrowthDebounce is how long a growth file's compile waits after the first event of a burst
	// (zero: 2 s).
	GrowthDebounce time.Duration
}

// ConfigFromEnv reads the VANGUARD_* environment variables.
func ConfigFromEnv() Config {
	return Config{
		HTTPAddr:      envOr("VANGUARD_HTTP_ADDR", "127.0.0.1:8000"),
		GRPCAddr:      envOr("VANGUARD_GRPC_ADDR", "127.0.0.1:9000"),
		DataDir:       envOr("VANGUARD_DATA_DIR", "data"),
		AdminPassword: os.Getenv("VANGUARD_ADMIN_PASSWORD"),
		PublicURL:     os.Getenv("VANGUARD_PUBLIC_URL"),
		RedisAddr:     os.Getenv("VANGUARD_REDIS_ADDR"),
		PostgresURL:   os.Getenv("VANGUARD_POSTGRES_URL"),
		MetricsToken:  os.Getenv("VANGUARD_METRICS_TOKEN"),
		MetricsAddr:   os.Getenv("VANGUARD_METRICS_ADDR"),
		Media:         course.MediaConfig{PartSize: mibFromEnv("VANGUARD_UPLOAD_PART_MIB")},
		StudyRules:    studyRulesFromEnv("VANGUARD_HEARTBEAT_SECONDS"),
	}
}

// studyRulesFromEnv returns the default crediting rules with the heartbeat interval (and the
// per-heartbeat cap, 1.5 intervals) set from k in seconds (1–300); unset or invalid: zero rules,
// i.e. the defaults.
func studyRulesFromEnv(k string) studyhour.Rules {
	n, err := strconv.Atoi(os.Getenv(k))
	if err != nil || n < 1 || n > 300 {
		return studyhour.Rules{}
	}
	r := studyhour.DefaultRules
	r.Interval = time.Duration(n) * time.Second
	r.MaxGap = r.Interval * 3 / 2
	return r
}

// mibFromEnv reads a size in MiB; empty or unparsable means 0, and the media config replaces
// anything under 5 MiB (the object stores' minimum part) with its default of 16 MiB.
func mibFromEnv(k string) int64 {
	n, err := strconv.ParseInt(os.Getenv(k), 10, 64)
	if err != nil || n <= 0 || n > 1<<12 {
		return 0
	}
	return n << 20
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// Process is a composed, not yet running standalone process.
type Process struct {
	HTTP   *khttp.Server
	GRPC   *kgrpc.Server
	Tasks  *queue.Server
	Org    *org.Module
	Course *course.Module
	Quiz   *quiz.Module
	// Studyhour is the studyhour module.
	Studyhour *studyhour.Module
	// Growth is the growth module.
	Growth *growth.Module
	// Search is the search module.
	Search *search.Module
	// Store is the local media store; Queue the task client.
	Store *blob.Local
	Queue *queue.Client
	// AdminPassword is set when this start created the admin account.
	AdminPassword string
	// RedisAddr is where the task queues live (embedded or configured).
	RedisAddr string
	// Metrics is the separate /metrics listener; nil unless MetricsAddr/MetricsListener is set.
	Metrics    *kit.MetricsServer
	reconciler *queue.Reconciler
	redis      *embedredis.Server
	orgConn    *grpc.ClientConn
	monitor    io.Closer
	closers    []func() error
	// lock is the data dir's lock, held until Close.
	lock *backup.DirLock

	// modules are org and every service of the list, in build order.
	modules kit.Modules
	// serviceKey derives the services' secrets for service credentials.
	serviceKey []byte
	// grpcAddr is where the process's gRPC server listens (services dial it).
	grpcAddr string
	// clock is the process's clock: token verifiers use it, so service token sources do too.
	clock clock.Clock
}

// Servers returns every transport server the process runs.
func (p *Process) Servers() []transport.Server {
	servers := append([]transport.Server{p.HTTP, p.GRPC, p.Tasks, p.reconciler}, p.modules.Relays()...)
	if p.Metrics != nil {
		servers = append(servers, p.Metrics)
	}
	return servers
}

// Build creates the data directory, opens and migrates every service's database, bootstraps the
// admin account and wires all servers, without starting them. On error everything opened so far
// is closed.
func Build(ctx context.Context, cfg Config, logger log.Logger) (p *Process, err error) {
	p = &Process{}
	built := p // the error returns below set p to nil
	defer func() {
		if err != nil {
			built.Close()
			p = nil
		}
	}()
	clk := cfg.Clock
	if clk == nil {
		clk = clock.Real{}
	}
	p.clock = clk
	// The data dir's lock: one process per data dir, and restore refuses a dir in use.
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	if p.lock, err = backup.LockDataDir(cfg.DataDir); err != nil {
		return nil, err
	}
	for _, dir := range append([]string{"secrets", "blob", org.Name}, serviceNames()...) {
		if err := os.MkdirAll(filepath.Join(cfg.DataDir, dir), 0o700); err != nil {
			return nil, fmt.Errorf("create data dir: %w", err)
		}
	}
	secrets := func(name string) string { return filepath.Join(cfg.DataDir, "secrets", name) }
	// database returns the driver and DSN of a service's database.
	database := func(svc string) (string, string, error) {
		if cfg.PostgresURL == "" {
			return "sqlite", filepath.Join(cfg.DataDir, svc, svc+".db"), nil
		}
		prefix := cfg.DatabasePrefix
		if prefix == "" {
			prefix = "vanguard"
		}
		dsn, err := dbx.PostgresDatabase(ctx, cfg.PostgresURL, prefix+"_"+svc)
		return "postgres", dsn, err
	}
	signing, err := authn.LoadOrCreatePrivateKey(secrets("jwt_ed25519.pem"))
	if err != nil {
		return nil, err
	}
	signingPEM, err := authn.MarshalPrivateKeyPEM(signing)
	if err != nil {
		return nil, err
	}
	idKey, err := secret.LoadOrCreateKey(secrets("id.key"))
	if err != nil {
		return nil, err
	}
	blobKey, err := secret.LoadOrCreateKey(secrets("blob.key"))
	if err != nil {
		return nil, err
	}
	if p.serviceKey, err = secret.LoadOrCreateKey(secrets("service.key")); err != nil {
		return nil, err
	}

	// media store
	publicURL := cfg.PublicURL
	if publicURL == "" {
		addr := cfg.HTTPAddr
		if cfg.HTTPListener != nil {
			addr = cfg.HTTPListener.Addr().String()
		}
		publicURL = "http://" + addr
	}
	if p.Store, err = blob.NewLocal(blob.LocalConfig{
		Root: filepath.Join(cfg.DataDir, "blob"), BaseURL: publicURL + "/blob", SigningKey: blobKey, Clock: clk,
	}); err != nil {
		return nil, err
	}

	// queues
	p.RedisAddr = cfg.RedisAddr
	if p.RedisAddr == "" {
		if p.redis, err = embedredis.Start("127.0.0.1:0"); err != nil {
			return nil, err
		}
		p.RedisAddr = p.redis.Addr()
	}
	var redisOpt asynq.RedisConnOpt = asynq.RedisClientOpt{Addr: p.RedisAddr}
	if strings.HasPrefix(p.RedisAddr, "redis://") {
		if redisOpt, err = asynq.ParseRedisURI(p.RedisAddr); err != nil {
			return nil, fmt.Errorf("VANGUARD_REDIS_ADDR: %w", err)
		}
	}
	if p.Queue, err = queue.NewClient(redisOpt); err != nil {
		return nil, err
	}
	p.closers = append(p.closers, p.Queue.Close)

	// org
	driver, dsn, err := database("org")
	if err != nil {
		return nil, err
	}
	if p.Org, err = org.New(org.Config{
		DatabaseDriver: driver, DatabaseDSN: dsn,
		SigningKeyPEM: signingPEM, IDKey: idKey, Argon2: cfg.Argon2, ServiceKey: p.serviceKey, Store: p.Store,
		Tasks: p.Queue, Events: kit.EventRoutes,
	}, logger, clk); err != nil {
		return nil, err
	}
	p.closers = append(p.closers, p.Org.Close)
	if err := p.Org.Migrate(ctx); err != nil {
		return nil, err
	}

	// Services call each other over gRPC exactly as in distributed mode: bind the gRPC listener
	// first so its address is known while the modules are built, and dial it.
	grpcLis, err := net.Listen("tcp", cfg.GRPCAddr)
	if err != nil {
		return nil, fmt.Errorf("grpc listen: %w", err)
	}
	p.closers = append(p.closers, func() error { _ = grpcLis.Close(); return nil })
	p.grpcAddr = dialable(&url.URL{Host: grpcLis.Addr().String()})
	if p.orgConn, err = kgrpc.DialInsecure(ctx, kgrpc.WithEndpoint(p.grpcAddr), kgrpc.WithMiddleware(obs.TracingClient(), authn.Forward())); err != nil {
		return nil, err
	}
	p.closers = append(p.closers, p.orgConn.Close)

	// every other service, from the list
	deps := Deps{Config: cfg, Database: database, Tasks: p.Queue, OrgConn: p.orgConn, Store: p.Store,
		Events: kit.EventRoutes, Clock: clk, Logger: logger,
		Secret: func(name string) ([]byte, error) { return secret.LoadOrCreateKey(secrets(name)) }}
	deps.DialAsService = func(ctx context.Context, name string) (*grpc.ClientConn, error) {
		conn, err := p.DialAsService(ctx, name)
		if err != nil {
			return nil, err
		}
		p.closers = append(p.closers, conn.Close)
		return conn, nil
	}
	p.modules = kit.Modules{p.Org}
	for _, svc := range services {
		m, err := svc.build(ctx, deps)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", svc.name, err)
		}
		p.closers = append(p.closers, m.Close)
		p.modules = append(p.modules, m)
		if err := m.Migrate(ctx); err != nil {
			return nil, err
		}
	}
	p.Course, p.Quiz = moduleOf[*course.Module](p.modules), moduleOf[*quiz.Module](p.modules)
	p.Studyhour, p.Growth = moduleOf[*studyhour.Module](p.modules), moduleOf[*growth.Module](p.modules)
	p.Search = moduleOf[*search.Module](p.modules)
	if cfg.MigrateOnly {
		return p, nil
	}

	password := cfg.AdminPassword
	if password == "" {
		password = randomPassword()
	}
	created, err := p.Org.Bootstrap(ctx, password)
	if err != nil {
		return nil, fmt.Errorf("bootstrap admin: %w", err)
	}
	if created {
		p.AdminPassword = password
	}

	// servers
	verifier := authn.NewVerifier(clk, p.Org.Signer().PublicKey())
	// One registry for the process: requests, every module's own metrics and its relay's, and
	// the queues' depth and latency (read from Redis at each scrape).
	metrics := obs.NewMetrics()
	if err := p.modules.RegisterMetrics(metrics.Registry); err != nil {
		return nil, err
	}
	queueNames := make([]string, 0, len(p.modules.Queues()))
	for q := range p.modules.Queues() {
		queueNames = append(queueNames, q)
	}
	slices.Sort(queueNames)
	depth := queue.NewQueueCollector(redisOpt, queueNames...)
	p.closers = append(p.closers, depth.Close)
	if err := metrics.Registry.Register(depth); err != nil {
		return nil, err
	}
	serverOpts := kit.Options{
		HTTPAddr: cfg.HTTPAddr, GRPCAddr: cfg.GRPCAddr, HTTPListener: cfg.HTTPListener, GRPCListener: grpcLis,
		Verifier: verifier, PublicOperations: p.modules.PublicOperations(), ServiceOperations: p.modules.ServiceOperations(),
		Logger: logger, Metrics: metrics, Ready: p.ready,
		MetricsToken: cfg.MetricsToken, MetricsAddr: cfg.MetricsAddr, MetricsListener: cfg.MetricsListener,
		NotFound: webui.Handler(webui.Files(), time.Now()),
	}
	if p.HTTP, p.GRPC, err = kit.NewServers(serverOpts); err != nil {
		return nil, err
	}
	p.Metrics = kit.NewMetricsServer(serverOpts)
	if err := p.startRevocations(redisOpt, verifier, clk, logger); err != nil {
		return nil, err
	}
	p.modules.Register(p.HTTP, p.GRPC)
	p.HTTP.HandlePrefix("/blob/", p.Store.Handler())
	monitor := queue.MonitorHandler(redisOpt, "/admin/queues", verifier)
	p.HTTP.HandlePrefix("/admin/queues", monitor)
	if c, ok := monitor.(io.Closer); ok {
		p.monitor = c
	}

	if p.Tasks, err = queue.NewServer(redisOpt, queue.Config{Queues: p.modules.Queues()}, logger); err != nil {
		return nil, err
	}
	p.modules.RegisterTasks(p.Tasks)
	interval := cfg.ReconcileInterval
	if interval <= 0 {
		interval = queue.DefaultReconcileInterval
	}
	p.reconciler = queue.NewReconciler("standalone", interval, p.modules.ReconcilePass(), logger)
	return p, nil
}

// ServiceSecret is the secret of service name under this process's service key (what the
// distributed mode gives each service through its configuration).
func (p *Process) ServiceSecret(name string) string { return authn.ServiceSecret(p.serviceKey, name) }

// DialAsService connects to the process's gRPC API as service name: every call carries a
// service token obtained from org's IssueServiceToken with the service's secret, exactly as a
// service does in distributed mode.
func (p *Process) DialAsService(ctx context.Context, name string) (*grpc.ClientConn, error) {
	src := kit.ServiceTokens(orgv1.NewAuthClient(p.orgConn), name, p.ServiceSecret(name))
	if p.clock != nil {
		src.Now = p.clock.Now
	}
	return kit.DialAsService(ctx, p.grpcAddr, src)
}

// dialable turns a listener endpoint into an address to dial (an unspecified host becomes
// loopback).
func dialable(u *url.URL) string {
	host, port, err := net.SplitHostPort(u.Host)
	if err != nil {
		return u.Host
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// ready reports whether every database and the queue server answer.
func (p *Process) ready(ctx context.Context) error {
	if err := p.modules.Ready(ctx); err != nil {
		return err
	}
	return p.Queue.Ping(ctx)
}

// Close releases every service's resources, in reverse order of opening.
func (p *Process) Close() error {
	var errs []error
	if p.monitor != nil {
		errs = append(errs, p.monitor.Close())
	}
	for i := len(p.closers) - 1; i >= 0; i-- {
		errs = append(errs, p.closers[i]())
	}
	if p.redis != nil {
		p.redis.Close()
	}
	errs = append(errs, p.lock.Unlock())
	return errors.Join(errs...)
}

// Run builds the process and serves until interrupted.
func Run(cfg Config, out io.Writer) error {
	logger := obs.NewLogger(os.Stderr, "standalone")
	log.SetLogger(log.NewFilter(logger, log.FilterLevel(log.LevelInfo)))
	stopTracing, err := obs.SetupTracing(context.Background(), "standalone")
	if err != nil {
		return fmt.Errorf("tracing: %w", err)
	}
	defer func() {
		flush, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = stopTracing(flush)
		cancel()
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	p, err := Build(ctx, cfg, logger)
	cancel()
	if err != nil {
		return err
	}
	defer p.Close()
	if cfg.MigrateOnly {
		fmt.Fprintln(out, "Vanguard: databases are up to date in", cfg.DataDir)
		return nil
	}
	fmt.Fprintf(out, "\nVanguard (先锋) standalone\n  API:      http://%s\n  gRPC:     %s\n  data dir: %s\n  queue:    redis://%s (monitor: /admin/queues, admins)\n", cfg.HTTPAddr, cfg.GRPCAddr, cfg.DataDir, p.RedisAddr)
	if p.AdminPassword != "" {
		fmt.Fprintf(out, "  admin account created — username: admin  password: %s\n  (shown only once; change it after signing in)\n\n", p.AdminPassword)
	} else {
		fmt.Fprintf(out, "  admin account exists — sign in as admin with the password shown at first start\n\n")
	}
	app := kratos.New(kratos.Name("vanguard"), queue.Servers(p.Servers()...))
	return app.Run()
}

// randomPassword returns a 16-character password with letters and digits.
func randomPassword() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	s := base64.RawURLEncoding.EncodeToString(b)
	return "Vg" + s[:12] + "7a"
}
