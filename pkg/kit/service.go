package kit

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/go-kratos/kratos/v2"
	"github.com/go-kratos/kratos/v2/log"
	"github.com/go-kratos/kratos/v2/transport"
	kgrpc "github.com/go-kratos/kratos/v2/transport/grpc"
	"github.com/hibiken/asynq"
	"google.golang.org/grpc"

	orgv1 "github.com/vanguard/vanguard/api/org/v1"
	"github.com/vanguard/vanguard/pkg/authn"
	"github.com/vanguard/vanguard/pkg/clock"
	"github.com/vanguard/vanguard/pkg/obs"
	"github.com/vanguard/vanguard/pkg/queue"
)

// ServiceSpec describes one service process in distributed mode.
type ServiceSpec struct {
	Name string
	// Role is "all", "api" (HTTP + gRPC) or "worker" (Asynq handlers + reconciler).
	Role string
	// Server are the listening addresses and the metrics settings (the config's server section).
	Server           ServerConfig
	JWTPublicKeyFile string
	Redis            asynq.RedisConnOpt
	// Verifier, when set, verifies the API role's tokens: RunService then neither reads
	// JWTPublicKeyFile nor asks the org service for its public key, and orgConn may be nil (org
	// itself, which holds the signing key).
	Verifier *authn.Verifier
	// Revocations, when set, replaces the API role's default revocation wiring
	// (ListenRevocations on Redis): it returns the servers that keep verifier's revocation list
	// current, which RunService runs with the others, and a function that releases their
	// resources once they stopped (nil if none). Org sets it: it publishes revocations as well.
	Revocations func(ctx context.Context, verifier *authn.Verifier) ([]transport.Server, func() error, error)
}

// DialOrg connects to the org service's gRPC API, forwarding callers' tokens.
func DialOrg(ctx context.Context, endpoint string) (*grpc.ClientConn, error) {
	conn, err := kgrpc.DialInsecure(ctx, kgrpc.WithEndpoint(endpoint), kgrpc.WithMiddleware(obs.TracingClient(), authn.Forward()))
	if err != nil {
		return nil, fmt.Errorf("dial org service %s: %w", endpoint, err)
	}
	return conn, nil
}

// RunService serves m in the given role until the process is stopped: the API role verifies
// tokens with spec.Verifier, or else the org service's public key (or a PEM file), and, when m
// has task queues, mounts the admin-only queue monitor; the worker role runs the task handlers
// and the reconciler (a module without queues has no worker). The API role also keeps the
// verifier's revocation list current: by default one Redis subscriber per process, or
// spec.Revocations. Relays run in every role. It returns when the process is signalled to stop
// or ctx ends, or at once with an error when the role leaves nothing to run.
func RunService(ctx context.Context, spec ServiceSpec, m Module, orgConn *grpc.ClientConn, logger log.Logger) error {
	setGlobalLogger(logger)
	mods := Modules{m}
	queues := mods.Queues()
	var servers []transport.Server
	if spec.Role != "worker" {
		verifier := spec.Verifier
		if verifier == nil {
			if spec.JWTPublicKeyFile == "" && orgConn == nil {
				return errors.New(spec.Name + ": no token verifier: set a public key file or connect to the org service")
			}
			var auth orgv1.AuthClient
			if orgConn != nil {
				auth = orgv1.NewAuthClient(orgConn)
			}
			key, err := TokenKey(ctx, spec.JWTPublicKeyFile, auth)
			if err != nil {
				return err
			}
			verifier = authn.NewVerifier(clock.Real{}, key)
		}
		revocations := spec.Revocations
		if revocations == nil {
			revocations = func(ctx context.Context, verifier *authn.Verifier) ([]transport.Server, func() error, error) {
				sub, release, err := ListenRevocations(ctx, spec.Redis, verifier, clock.Real{}, logger)
				if err != nil {
					return nil, nil, err
				}
				return []transport.Server{sub}, release, nil
			}
		}
		revServers, release, err := revocations(ctx, verifier)
		if err != nil {
			return err
		}
		if release != nil {
			defer release()
		}
		servers = append(servers, revServers...)
		metrics := obs.NewMetrics()
		if err := mods.RegisterMetrics(metrics.Registry); err != nil {
			return err
		}
		opts := Options{
			HTTPAddr: spec.Server.HTTPAddr, GRPCAddr: spec.Server.GRPCAddr, Verifier: verifier,
			PublicOperations:  mods.PublicOperations(),
			ServiceOperations: mods.ServiceOperations(),
			Logger:            logger, Metrics: metrics, Ready: m.Ready,
			MetricsToken: spec.Server.MetricsToken, MetricsAddr: spec.Server.MetricsAddr,
			AccessLog: obs.AccessLogConfig{SuccessEvery: spec.Server.AccessLogSuccessEvery},
		}
		hs, gs, err := NewServers(opts)
		if err != nil {
			return err
		}
		mods.Register(hs, gs)
		if len(queues) > 0 {
			hs.HandlePrefix("/admin/queues", queue.MonitorHandler(spec.Redis, "/admin/queues", verifier))
		}
		servers = append(servers, hs, gs, NewMetricsServer(opts))
	}
	servers = append(servers, mods.Relays()...)
	if spec.Role != "api" && len(queues) > 0 {
		slots := spec.Server.WorkerConcurrency
		if c, ok := m.(Concurrent); ok && slots == 0 {
			slots = c.WorkerConcurrency()
		}
		worker, err := queue.NewServer(spec.Redis, queue.Config{Queues: queues, Concurrency: slots}, logger)
		if err != nil {
			return err
		}
		mods.RegisterTasks(worker)
		servers = append(servers, worker, queue.NewReconciler(spec.Name, spec.Server.ReconcileEvery(), mods.ReconcilePass(), logger))
		if spec.Role == "worker" && spec.Server.HTTPAddr != "" {
			// The worker's probes and metrics, with its queues' depth (asynq_queue_size, what
			// its HPA scales on) and the module's own (grading lag, relay lag), on the HTTP
			// address it would otherwise leave unused.
			metrics := obs.NewMetrics()
			if err := mods.RegisterMetrics(metrics.Registry); err != nil {
				return err
			}
			names := make([]string, 0, len(queues))
			for q := range queues {
				names = append(names, q)
			}
			depth := queue.NewQueueCollector(spec.Redis, names...)
			defer depth.Close()
			metrics.Registry.MustRegister(depth)
			servers = append(servers, NewHealthServer(spec.Server.HTTPAddr, m.Ready, metrics))
		}
	}
	if len(servers) == 0 {
		return fmt.Errorf("%s: role %q has nothing to run (the service has no background work)", spec.Name, spec.Role)
	}
	// Not kratos.Logger: kratos.New would set Kratos's global logger again while servers
	// already running in this process (in tests, another RunService's) read it unsynchronised;
	// RunService sets it once per process, on entry.
	app := kratos.New(kratos.Context(ctx), kratos.Name("vanguard-"+spec.Name), queue.Servers(servers...))
	return app.Run()
}

// Command is a parsed service command line:
// `<svc> [serve|migrate|EXTRA] [-conf FILE] [-role ROLE] [ARG...]`.
type Command struct {
	Name     string // "serve", "migrate" or one of the service's extra subcommands
	ConfPath string
	Role     string // all, api or worker
	// Args are the arguments left after the flags; only extra subcommands take any (e.g.
	// `org service-secret NAME`), the caller checks them.
	Args []string
}

// ParseCommand parses a distributed service's command line; defaultConf is the config path used
// when -conf is not given. Every service has serve (the default) and migrate; extra names the
// service's own subcommands besides them (org's keygen and service-secret). Flags come after
// the subcommand; serve and migrate take no further arguments.
func ParseCommand(service, defaultConf string, args []string, extra ...string) (Command, error) {
	c := Command{Name: "serve"}
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		if args[0] != "serve" && args[0] != "migrate" && !slices.Contains(extra, args[0]) {
			return c, fmt.Errorf("unknown command %q: want %s", args[0], strings.Join(append([]string{"serve", "migrate"}, extra...), ", "))
		}
		c.Name, args = args[0], args[1:]
	}
	fs := flag.NewFlagSet(service, flag.ContinueOnError)
	fs.StringVar(&c.ConfPath, "conf", defaultConf, "config file")
	fs.StringVar(&c.Role, "role", "all", "all, api or worker")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if c.Role != "all" && c.Role != "api" && c.Role != "worker" {
		return c, fmt.Errorf("-role must be all, api or worker, got %q", c.Role)
	}
	c.Args = fs.Args()
	if (c.Name == "serve" || c.Name == "migrate") && len(c.Args) > 0 {
		// `svc -conf f migrate` would otherwise serve: the subcommand comes first.
		return c, fmt.Errorf("%s %s: unexpected argument %q (the subcommand comes before the flags)", service, c.Name, c.Args[0])
	}
	return c, nil
}

// Main runs a service's run function with tracing set up (obs.SetupTracing) and exits non-zero
// with the error on failure.
func Main(service string, run func(args []string) error) {
	stopTracing, err := obs.SetupTracing(context.Background(), service)
	if err != nil {
		fmt.Fprintln(os.Stderr, service+": tracing:", err)
		os.Exit(1)
	}
	err = run(os.Args[1:])
	flush, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	_ = stopTracing(flush) // spans not exported within 5 s are dropped: never hold up an exit
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, service+":", err)
		os.Exit(1)
	}
}
