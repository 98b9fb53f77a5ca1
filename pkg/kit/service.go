package kit

import (
	"context"
	"flag"
	"fmt"
	"os"

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
}

// DialOrg connects to the org service's gRPC API, forwarding callers' tokens.
func DialOrg(ctx context.Context, endpoint string) (*grpc.ClientConn, error) {
	conn, err := kgrpc.DialInsecure(ctx, kgrpc.WithEndpoint(endpoint), kgrpc.WithMiddleware(authn.Forward()))
	if err != nil {
		return nil, fmt.Errorf("dial org service %s: %w", endpoint, err)
	}
	return conn, nil
}

// RunService serves m in the given role until the process is stopped: the API role verifies
// tokens with the org service's public key (or a PEM file) and mounts the admin-only queue
// monitor; the worker role runs the task handlers and the reconciler. The API role also
// subscribes to session revocations (one subscriber per process). It returns when the process
// is signalled to stop or ctx ends.
func RunService(ctx context.Context, spec ServiceSpec, m Module, orgConn *grpc.ClientConn, logger log.Logger) error {
	mods := Modules{m}
	var servers []transport.Server
	if spec.Role != "worker" {
		key, err := TokenKey(ctx, spec.JWTPublicKeyFile, orgv1.NewAuthClient(orgConn))
		if err != nil {
			return err
		}
		verifier := authn.NewVerifier(clock.Real{}, key)
		revocations, closeRevocations, err := ListenRevocations(ctx, spec.Redis, verifier, clock.Real{}, logger)
		if err != nil {
			return err
		}
		defer closeRevocations()
		servers = append(servers, revocations)
		opts := Options{
			HTTPAddr: spec.Server.HTTPAddr, GRPCAddr: spec.Server.GRPCAddr, Verifier: verifier,
			PublicOperations:  mods.PublicOperations(),
			ServiceOperations: mods.ServiceOperations(),
			Logger:            logger, Metrics: obs.NewMetrics(), Ready: m.Ready,
			MetricsToken: spec.Server.MetricsToken, MetricsAddr: spec.Server.MetricsAddr,
		}
		hs, gs, err := NewServers(opts)
		if err != nil {
			return err
		}
		mods.Register(hs, gs)
		hs.HandlePrefix("/admin/queues", queue.MonitorHandler(spec.Redis, "/admin/queues", verifier))
		servers = append(servers, hs, gs, NewMetricsServer(opts))
	}
	servers = append(servers, mods.Relays()...)
	if queues := mods.Queues(); spec.Role != "api" && len(queues) > 0 {
		worker, err := queue.NewServer(spec.Redis, queue.Config{Queues: queues}, logger)
		if err != nil {
			return err
		}
		mods.RegisterTasks(worker)
		servers = append(servers, worker, queue.NewReconciler(spec.Name, queue.DefaultReconcileInterval, mods.Reconcile, logger))
	}
	app := kratos.New(kratos.Context(ctx), kratos.Name("vanguard-"+spec.Name), kratos.Logger(logger), queue.Servers(servers...))
	return app.Run()
}

// Command is a parsed service command line: `<svc> [serve|migrate] [-conf FILE] [-role ROLE]`.
type Command struct {
	Name     string // "serve" or "migrate"
	ConfPath string
	Role     string // all, api or worker
}

// ParseCommand parses a distributed service's command line; defaultConf is the config path used
// when -conf is not given.
func ParseCommand(service, defaultConf string, args []string) (Command, error) {
	c := Command{Name: "serve"}
	if len(args) > 0 && (args[0] == "serve" || args[0] == "migrate") {
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
	return c, nil
}

// Main runs a service's run function and exits non-zero with the error on failure.
func Main(service string, run func(args []string) error) {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, service+":", err)
		os.Exit(1)
	}
}
