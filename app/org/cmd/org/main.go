// Command org runs the org service alone (distributed mode), against PostgreSQL, with Redis
// carrying the session revocations it publishes.
//
//	org serve   -conf app/org/configs/config.yaml   # serve HTTP and gRPC
//	org migrate -conf app/org/configs/config.yaml   # create or upgrade the schema, then exit;
//	                                                # with VANGUARD_ADMIN_PASSWORD set, also create
//	                                                # the first admin if there is none
//	org keygen                                      # print a new Ed25519 signing key (PKCS#8 PEM)
//	org service-secret NAME                         # print service NAME's secret (from
//	                                                # VANGUARD_SERVICE_KEY)
//
// Like the other services it parses its command with kit.ParseCommand and serves through
// kit.RunService, but verifies tokens with its own signing key and publishes revocations as
// well as listening to them. org has no background task queues, so no worker role: -role
// accepts only its default, all.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/go-kratos/kratos/v2/log"
	"github.com/go-kratos/kratos/v2/transport"
	"github.com/hibiken/asynq"

	"github.com/vanguard/vanguard/app/org"
	"github.com/vanguard/vanguard/pkg/auth"
	"github.com/vanguard/vanguard/pkg/authn"
	"github.com/vanguard/vanguard/pkg/clock"
	"github.com/vanguard/vanguard/pkg/kit"
	"github.com/vanguard/vanguard/pkg/queue"
	"github.com/vanguard/vanguard/pkg/revoke"
	"github.com/vanguard/vanguard/pkg/secret"
)

type fileConfig struct {
	// BaseConfig holds the sections every service shares: server, database, and redis (which
	// carries session revocations to every service process: the Redis of their queues).
	kit.BaseConfig
	Secrets struct {
		JWTPrivateKeyFile string `json:"jwt_private_key_file"`
		IDKeyFile         string `json:"id_key_file"`
		IDKey             string `json:"id_key"`
		// ServiceKey derives the services' secrets for service credentials (optional).
		ServiceKey string `json:"service_key"`
	} `json:"secrets"`
	Auth struct {
		RefreshTTL       string `json:"refresh_ttl"`
		MaxLoginFailures int    `json:"max_login_failures"`
		FailureWindow    string `json:"failure_window"`
	} `json:"auth"`
	// MinIO keeps development steps' papers.
	MinIO kit.MinIOLink `json:"minio"`
}

// Validate checks the configuration right after loading: the shared sections, and the auth
// durations and limits (the secrets are read and checked when the module is configured).
func (c *fileConfig) Validate() error {
	var failures error
	if c.Auth.MaxLoginFailures < 0 {
		failures = fmt.Errorf("auth.max_login_failures: must not be negative, got %d", c.Auth.MaxLoginFailures)
	}
	return errors.Join(c.BaseConfig.Validate(), kit.PositiveDuration("auth.refresh_ttl", c.Auth.RefreshTTL),
		kit.PositiveDuration("auth.failure_window", c.Auth.FailureWindow), failures, c.MinIO.Validate())
}

func main() { kit.Main("org", run) }

func run(args []string) error {
	cmd, err := kit.ParseCommand("org", "app/org/configs/config.yaml", args, "keygen", "service-secret")
	if err != nil {
		return err
	}
	switch {
	case cmd.Name == "service-secret":
		// org service-secret NAME: print the secret to give service NAME (from VANGUARD_SERVICE_KEY).
		if len(cmd.Args) != 1 || !auth.ValidServiceName(cmd.Args[0]) {
			return errors.New("usage: org service-secret <service name>")
		}
		key, err := secret.ParseKey(os.Getenv("VANGUARD_SERVICE_KEY"))
		if err != nil {
			return fmt.Errorf("VANGUARD_SERVICE_KEY: %w", err)
		}
		fmt.Println(authn.ServiceSecret(key, cmd.Args[0]))
		return nil
	case cmd.Name == "keygen":
		if len(cmd.Args) != 0 {
			return errors.New("usage: org keygen")
		}
		return keygen()
	case cmd.Role != "all":
		return fmt.Errorf("-role %s: org has no separate api and worker roles, only all", cmd.Role)
	}
	logger := kit.NewLogger("org")
	fc, err := loadConfig(cmd.ConfPath)
	if err != nil {
		return err
	}
	cfg, err := moduleConfig(fc)
	if err != nil {
		return err
	}
	if cmd.Name == "serve" { // migrating needs no store and relays no events
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		cfg.Store, err = fc.MinIO.Open(ctx)
		cancel()
		if err != nil {
			return err
		}
		tasks, err := queue.NewClient(asynq.RedisClientOpt{Addr: fc.Redis.Addr, DB: fc.Redis.DB})
		if err != nil {
			return err
		}
		defer tasks.Close()
		cfg.Tasks, cfg.Events, cfg.Outbox = tasks, kit.EventRoutes, fc.Outbox.Relay()
	}
	m, err := org.New(cfg, logger, clock.Real{})
	if err != nil {
		return err
	}
	defer m.Close()
	if cmd.Name == "migrate" {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		return migrate(ctx, m)
	}
	return serve(context.Background(), fc, m, logger)
}

// serve runs m's HTTP and gRPC APIs (role all) until ctx ends or the process is signalled to
// stop. org verifies tokens with its own signing key, so it dials nothing, and wires revocations
// both ways through fc's Redis: it publishes the sessions it ends and listens like every process.
func serve(ctx context.Context, fc *fileConfig, m *org.Module, logger log.Logger) error {
	redisOpt := asynq.RedisClientOpt{Addr: fc.Redis.Addr, DB: fc.Redis.DB}
	return kit.RunService(ctx, kit.ServiceSpec{
		Name: org.Name, Role: "all", Server: fc.Server, Redis: redisOpt,
		Verifier: authn.NewVerifier(clock.Real{}, m.Signer().PublicKey()),
		Revocations: func(ctx context.Context, verifier *authn.Verifier) ([]transport.Server, func() error, error) {
			rdb, err := revoke.Client(redisOpt)
			if err != nil {
				return nil, nil, err
			}
			return m.ServeRevocations(ctx, rdb, verifier, clock.Real{}, logger), rdb.Close, nil
		},
	}, m, nil, logger)
}

// keygen prints a new Ed25519 token signing key (PKCS#8 PEM).
func keygen() error {
	key, err := authn.GenerateKey()
	if err != nil {
		return err
	}
	pemBytes, err := authn.MarshalPrivateKeyPEM(key)
	if err != nil {
		return err
	}
	_, err = os.Stdout.Write(pemBytes)
	return err
}

// migrate creates or upgrades the schema and, with VANGUARD_ADMIN_PASSWORD set, creates the
// root organisation and the first admin if there is none.
func migrate(ctx context.Context, m *org.Module) error {
	if err := m.Migrate(ctx); err != nil {
		return err
	}
	fmt.Println("org: schema is up to date")
	if pw := os.Getenv("VANGUARD_ADMIN_PASSWORD"); pw != "" {
		created, err := m.Bootstrap(ctx, pw)
		if err != nil {
			return err
		}
		if created {
			fmt.Println("org: created the root organisation and the admin account")
		} else {
			fmt.Println("org: an admin account already exists; VANGUARD_ADMIN_PASSWORD ignored")
		}
	}
	return nil
}

func loadConfig(path string) (*fileConfig, error) {
	var fc fileConfig
	if err := kit.LoadConfig(path, &fc); err != nil {
		return nil, err
	}
	return &fc, nil
}

func moduleConfig(fc *fileConfig) (org.Config, error) {
	cfg := org.Config{DatabaseDriver: fc.Database.Driver, DatabaseDSN: fc.Database.DSN, MaxLoginFailures: fc.Auth.MaxLoginFailures}
	// Validate (at load) has checked the durations; empty ones stay 0, the module's defaults.
	cfg.RefreshTTL, _ = time.ParseDuration(fc.Auth.RefreshTTL)
	cfg.FailureWindow, _ = time.ParseDuration(fc.Auth.FailureWindow)
	var err error
	if pemText := os.Getenv("VANGUARD_JWT_PRIVATE_KEY"); pemText != "" {
		cfg.SigningKeyPEM = []byte(pemText)
	} else if fc.Secrets.JWTPrivateKeyFile != "" {
		if cfg.SigningKeyPEM, err = os.ReadFile(fc.Secrets.JWTPrivateKeyFile); err != nil {
			return cfg, fmt.Errorf("secrets.jwt_private_key_file: %w", err)
		}
	} else {
		return cfg, errors.New("no token signing key: set VANGUARD_JWT_PRIVATE_KEY or VANGUARD_JWT_PRIVATE_KEY_FILE")
	}
	switch {
	case fc.Secrets.IDKey != "":
		cfg.IDKey, err = secret.ParseKey(fc.Secrets.IDKey)
	case fc.Secrets.IDKeyFile != "":
		var b []byte
		if b, err = os.ReadFile(fc.Secrets.IDKeyFile); err == nil {
			cfg.IDKey, err = secret.ParseKey(string(b))
		}
	default:
		err = errors.New("set VANGUARD_ID_KEY or VANGUARD_ID_KEY_FILE")
	}
	if err != nil {
		return cfg, fmt.Errorf("id encryption key: %w", err)
	}
	if fc.Secrets.ServiceKey != "" {
		if cfg.ServiceKey, err = secret.ParseKey(fc.Secrets.ServiceKey); err != nil {
			return cfg, fmt.Errorf("secrets.service_key: %w", err)
		}
	}
	return cfg, nil
}
