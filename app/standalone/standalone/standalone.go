// Package standalone composes every service into one process; tests start it in-process.
package standalone

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/go-kratos/kratos/v2"
	"github.com/go-kratos/kratos/v2/log"
	kgrpc "github.com/go-kratos/kratos/v2/transport/grpc"
	khttp "github.com/go-kratos/kratos/v2/transport/http"

	"github.com/vanguard/vanguard/app/org"
	"github.com/vanguard/vanguard/pkg/auth"
	"github.com/vanguard/vanguard/pkg/clock"
	"github.com/vanguard/vanguard/pkg/embedredis"
	"github.com/vanguard/vanguard/pkg/kit"
	"github.com/vanguard/vanguard/pkg/obs"
	"github.com/vanguard/vanguard/pkg/secret"
)

// Config is the standalone process's configuration.
type Config struct {
	HTTPAddr      string
	GRPCAddr      string
	DataDir       string
	AdminPassword string
	// RedisAddr is a Redis server for the task queues; empty starts the embedded
	// Redis-protocol server on a free loopback port.
	RedisAddr string
	// MigrateOnly migrates the databases and exits.
	MigrateOnly bool
	// Clock and Argon2 are for tests; zero values mean the real clock and default cost.
	Clock  clock.Clock
	Argon2 secret.Argon2Params
}

// ConfigFromEnv reads the VANGUARD_* environment variables.
func ConfigFromEnv() Config {
	return Config{
		HTTPAddr:      envOr("VANGUARD_HTTP_ADDR", "127.0.0.1:8000"),
		GRPCAddr:      envOr("VANGUARD_GRPC_ADDR", "127.0.0.1:9000"),
		DataDir:       envOr("VANGUARD_DATA_DIR", "data"),
		AdminPassword: os.Getenv("VANGUARD_ADMIN_PASSWORD"),
		RedisAddr:     os.Getenv("VANGUARD_REDIS_ADDR"),
	}
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
	Org    *org.Module
	logger log.Logger
	// AdminPassword is set when this start created the admin account.
	AdminPassword string
	// RedisAddr is where the task queues live (embedded or configured).
	RedisAddr string
	redis     *embedredis.Server
}

// Build creates the data directory, opens and migrates every service's database, bootstraps the
// admin account and wires all servers, without starting them.
func Build(ctx context.Context, cfg Config, logger log.Logger) (*Process, error) {
	clk := cfg.Clock
	if clk == nil {
		clk = clock.Real{}
	}
	if err := os.MkdirAll(filepath.Join(cfg.DataDir, "secrets"), 0o700); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	if err := os.MkdirAll(filepath.Join(cfg.DataDir, "org"), 0o700); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	signing, err := auth.LoadOrCreatePrivateKey(filepath.Join(cfg.DataDir, "secrets", "jwt_ed25519.pem"))
	if err != nil {
		return nil, err
	}
	signingPEM, err := auth.MarshalPrivateKeyPEM(signing)
	if err != nil {
		return nil, err
	}
	idKey, err := secret.LoadOrCreateKey(filepath.Join(cfg.DataDir, "secrets", "id.key"))
	if err != nil {
		return nil, err
	}
	om, err := org.New(org.Config{
		DatabaseDriver: "sqlite", DatabaseDSN: filepath.Join(cfg.DataDir, "org", "org.db"),
		SigningKeyPEM: signingPEM, IDKey: idKey, Argon2: cfg.Argon2,
	}, logger, clk)
	if err != nil {
		return nil, err
	}
	p := &Process{Org: om, logger: logger}
	if err := om.Migrate(ctx); err != nil {
		om.Close()
		return nil, err
	}
	if cfg.MigrateOnly {
		return p, nil
	}
	p.RedisAddr = cfg.RedisAddr
	if p.RedisAddr == "" {
		if p.redis, err = embedredis.Start("127.0.0.1:0"); err != nil {
			om.Close()
			return nil, err
		}
		p.RedisAddr = p.redis.Addr()
	}
	password := cfg.AdminPassword
	if password == "" {
		password = randomPassword()
	}
	created, err := om.Bootstrap(ctx, password)
	if err != nil {
		p.Close()
		return nil, fmt.Errorf("bootstrap admin: %w", err)
	}
	if created {
		p.AdminPassword = password
	}
	p.HTTP, p.GRPC, err = kit.NewServers(kit.Options{
		HTTPAddr: cfg.HTTPAddr, GRPCAddr: cfg.GRPCAddr,
		Verifier:         auth.NewVerifier(clk, om.Signer().PublicKey()),
		PublicOperations: om.PublicOperations(), Logger: logger, Metrics: obs.NewMetrics(), Ready: p.ready,
	})
	if err != nil {
		p.Close()
		return nil, err
	}
	om.RegisterHTTP(p.HTTP)
	om.RegisterGRPC(p.GRPC)
	return p, nil
}

// ready reports whether every database and the queue server answer.
func (p *Process) ready(ctx context.Context) error {
	if err := p.Org.Ready(ctx); err != nil {
		return err
	}
	if p.RedisAddr != "" {
		return embedredis.Ping(ctx, p.RedisAddr)
	}
	return nil
}

// Close releases every service's resources.
func (p *Process) Close() error {
	if p.redis != nil {
		p.redis.Close()
	}
	return p.Org.Close()
}

// Run builds the process and serves until interrupted.
func Run(cfg Config, out io.Writer) error {
	logger := obs.NewLogger(os.Stderr, "standalone")
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
	fmt.Fprintf(out, "\nVanguard (先锋) standalone\n  API:      http://%s\n  gRPC:     %s\n  data dir: %s\n  queue:    redis://%s\n", cfg.HTTPAddr, cfg.GRPCAddr, cfg.DataDir, p.RedisAddr)
	if p.AdminPassword != "" {
		fmt.Fprintf(out, "  admin account created — username: admin  password: %s\n  (shown only once; change it after signing in)\n\n", p.AdminPassword)
	} else {
		fmt.Fprintf(out, "  admin account exists — sign in as admin with the password shown at first start\n\n")
	}
	app := kratos.New(kratos.Name("vanguard"), kratos.Logger(logger), kratos.Server(p.HTTP, p.GRPC))
	return app.Run()
}

// randomPassword returns a 16-character password with letters and digits.
func randomPassword() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	s := base64.RawURLEncoding.EncodeToString(b)
	return "Vg" + s[:12] + "7a"
}
