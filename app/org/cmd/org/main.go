// Command org runs the org service alone (distributed mode), against PostgreSQL.
//
//	org serve   -conf app/org/configs/config.yaml   # serve HTTP and gRPC
//	org migrate -conf app/org/configs/config.yaml   # create or upgrade the schema, then exit;
//	                                                # with VANGUARD_ADMIN_PASSWORD set, also create
//	                                                # the first admin if there is none
//	org keygen                                      # print a new Ed25519 signing key (PKCS#8 PEM)
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/go-kratos/kratos/v2"
	"github.com/go-kratos/kratos/v2/log"
	"github.com/go-kratos/kratos/v2/transport"
	"github.com/redis/go-redis/v9"

	"github.com/vanguard/vanguard/app/org"
	"github.com/vanguard/vanguard/pkg/auth"
	"github.com/vanguard/vanguard/pkg/authn"
	"github.com/vanguard/vanguard/pkg/clock"
	"github.com/vanguard/vanguard/pkg/kit"
	"github.com/vanguard/vanguard/pkg/obs"
	"github.com/vanguard/vanguard/pkg/queue"
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
}

// Validate checks the configuration right after loading: the shared sections, and the auth
// durations and limits (the secrets are read and checked when the module is configured).
func (c *fileConfig) Validate() error {
	var failures error
	if c.Auth.MaxLoginFailures < 0 {
		failures = fmt.Errorf("auth.max_login_failures: must not be negative, got %d", c.Auth.MaxLoginFailures)
	}
	return errors.Join(c.BaseConfig.Validate(), kit.PositiveDuration("auth.refresh_ttl", c.Auth.RefreshTTL),
		kit.PositiveDuration("auth.failure_window", c.Auth.FailureWindow), failures)
}

func main() { kit.Main("org", run) }

func run(args []string) error {
	cmd := "serve"
	if len(args) > 0 && (args[0] == "serve" || args[0] == "migrate" || args[0] == "keygen" || args[0] == "service-secret") {
		cmd, args = args[0], args[1:]
	}
	if cmd == "service-secret" {
		// org service-secret NAME: print the secret to give service NAME (from VANGUARD_SERVICE_KEY).
		if len(args) != 1 || !auth.ValidServiceName(args[0]) {
			return errors.New("usage: org service-secret <service name>")
		}
		key, err := secret.ParseKey(os.Getenv("VANGUARD_SERVICE_KEY"))
		if err != nil {
			return fmt.Errorf("VANGUARD_SERVICE_KEY: %w", err)
		}
		fmt.Println(authn.ServiceSecret(key, args[0]))
		return nil
	}
	if cmd == "keygen" {
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
	logger := obs.NewLogger(os.Stdout, "org")
	log.SetLogger(log.NewFilter(logger, log.FilterLevel(log.LevelInfo)))
	fs := flag.NewFlagSet("org", flag.ContinueOnError)
	confPath := fs.String("conf", "app/org/configs/config.yaml", "config file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	fc, err := loadConfig(*confPath)
	if err != nil {
		return err
	}
	cfg, err := moduleConfig(fc)
	if err != nil {
		return err
	}
	m, err := org.New(cfg, logger, clock.Real{})
	if err != nil {
		return err
	}
	defer m.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if cmd == "migrate" {
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
	metrics := obs.NewMetrics()
	verifier := authn.NewVerifier(clock.Real{}, m.Signer().PublicKey())
	rdb := redis.NewClient(&redis.Options{Addr: fc.Redis.Addr, DB: fc.Redis.DB})
	defer rdb.Close()
	revocations := m.ServeRevocations(ctx, rdb, verifier, clock.Real{}, logger)
	opts := kit.Options{
		HTTPAddr: fc.Server.HTTPAddr, GRPCAddr: fc.Server.GRPCAddr,
		Verifier:         verifier,
		PublicOperations: m.PublicOperations(), ServiceOperations: m.ServiceOperations(),
		Logger: logger, Metrics: metrics, Ready: m.Ready,
		MetricsToken: fc.Server.MetricsToken, MetricsAddr: fc.Server.MetricsAddr,
	}
	hs, gs, err := kit.NewServers(opts)
	if err != nil {
		return err
	}
	m.RegisterHTTP(hs)
	m.RegisterGRPC(gs)
	app := kratos.New(kratos.Name("vanguard-org"), kratos.Logger(logger), queue.Servers(append([]transport.Server{hs, gs, kit.NewMetricsServer(opts)}, revocations...)...))
	return app.Run()
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
