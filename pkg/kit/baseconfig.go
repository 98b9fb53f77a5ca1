package kit

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/vanguard/vanguard/pkg/outbox"
)

// BaseConfig is the part of a service binary's config file that every service shares. A
// service's config embeds it (its fields are inlined in the YAML) and adds its own sections;
// LoadConfig validates it right after loading, so a bad setting fails at start, named.
type BaseConfig struct {
	Server   ServerConfig   `json:"server"`
	Database DatabaseConfig `json:"database"`
	Redis    RedisConfig    `json:"redis"`
	Outbox   OutboxConfig   `json:"outbox"`
}

// OutboxConfig tunes the event relay of a producing service; empty values take pkg/outbox's
// defaults (re-deliver after 2 minutes, keep delivered events 7 days).
type OutboxConfig struct {
	// RedeliverAfter is how long a relayed event may stay unacknowledged before it is sent again.
	RedeliverAfter string `json:"redeliver_after"`
	// Retention is how long fully acknowledged events are kept (re-delivery, audit).
	Retention string `json:"retention"`
}

// Relay returns the outbox settings; Validate has checked them.
func (o OutboxConfig) Relay() outbox.Config {
	var c outbox.Config
	c.RedeliverAfter, _ = time.ParseDuration(o.RedeliverAfter)
	c.Retention, _ = time.ParseDuration(o.Retention)
	return c
}

func (o OutboxConfig) validate() error {
	return errors.Join(PositiveDuration("outbox.redeliver_after", o.RedeliverAfter), PositiveDuration("outbox.retention", o.Retention))
}

// PositiveDuration checks an optional duration setting (empty takes the default): it must parse
// as a positive time.Duration. The error names the setting.
func PositiveDuration(name, v string) error {
	if v == "" {
		return nil
	}
	if d, err := time.ParseDuration(v); err != nil || d <= 0 {
		return fmt.Errorf("%s: want a positive duration such as 2m or 168h, got %q", name, v)
	}
	return nil
}

// ServerConfig are the listening addresses.
type ServerConfig struct {
	HTTPAddr string `json:"http_addr"`
	GRPCAddr string `json:"grpc_addr"`
	// MetricsAddr serves /metrics without a token on its own (cluster-internal) listener;
	// MetricsToken opens /metrics on the public HTTP port to that bearer token.
	MetricsAddr  string `json:"metrics_addr"`
	MetricsToken string `json:"metrics_token"`
	// AccessLogSuccessEvery logs one in N successful requests (0 or 1: all); failures are
	// always logged.
	AccessLogSuccessEvery int `json:"access_log_success_every"`
	// WorkerConcurrency is how many tasks the worker role runs at once (0: the module's
	// choice, see Concurrent, else one per CPU).
	WorkerConcurrency int `json:"worker_concurrency"`
	// ReconcileInterval is how often the worker role's reconciler rebuilds lost work from the
	// database (a duration; empty: pkg/queue.DefaultReconcileInterval). It also runs once at
	// each worker's start.
	ReconcileInterval string `json:"reconcile_interval"`
}

// ReconcileEvery is the reconciler's interval (0: the default).
func (s ServerConfig) ReconcileEvery() time.Duration {
	d, _ := time.ParseDuration(s.ReconcileInterval)
	return d
}

// DatabaseConfig is the service's own database.
type DatabaseConfig struct {
	Driver string `json:"driver"`
	DSN    string `json:"dsn"`
}

// RedisConfig is the Redis of the task queues and of session revocations.
type RedisConfig struct {
	Addr string `json:"addr"`
	DB   int    `json:"db"`
}

// OrgLink is how a service reaches org: its gRPC endpoint, optionally the token public key as a
// file (otherwise fetched from org at start), and the service's secret for calls it makes as
// itself (DialOrgAsService).
type OrgLink struct {
	GRPCEndpoint     string `json:"grpc_endpoint"`
	JWTPublicKeyFile string `json:"jwt_public_key_file"`
	// ServiceSecret is the service's secret for service credentials (`org service-secret NAME`
	// prints it): 64 hex digits, from the environment, never the checked-in file.
	ServiceSecret string `json:"service_secret"`
}

// Validate checks the shared settings and names the first bad one.
func (b *BaseConfig) Validate() error {
	return errors.Join(
		hostPort("server.http_addr", b.Server.HTTPAddr, true),
		hostPort("server.grpc_addr", b.Server.GRPCAddr, true),
		hostPort("server.metrics_addr", b.Server.MetricsAddr, false),
		metricsToken(b.Server.MetricsToken),
		nonNegative("server.access_log_success_every", b.Server.AccessLogSuccessEvery),
		nonNegative("server.worker_concurrency", b.Server.WorkerConcurrency),
		PositiveDuration("server.reconcile_interval", b.Server.ReconcileInterval),
		b.Database.validate(),
		hostPort("redis.addr", b.Redis.Addr, true),
		dbNumber(b.Redis.DB),
		b.Outbox.validate(),
	)
}

// Validate checks the link to org.
func (o *OrgLink) Validate() error {
	var bad error
	if o.ServiceSecret != "" && !serviceSecret.MatchString(o.ServiceSecret) {
		bad = errors.New("org.service_secret: want the 64 hex digits `org service-secret NAME` prints")
	}
	return errors.Join(hostPort("org.grpc_endpoint", o.GRPCEndpoint, true), bad)
}

var serviceSecret = regexp.MustCompile(`^[0-9a-fA-F]{64}$`)

func (d DatabaseConfig) validate() error {
	switch d.Driver {
	case "sqlite":
		if strings.TrimSpace(d.DSN) == "" {
			return errors.New("database.dsn: a file path is required for sqlite")
		}
	case "postgres":
		u, err := url.Parse(d.DSN)
		if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || u.Host == "" {
			return errors.New("database.dsn: want a postgres://user@host:port/db URL")
		}
	default:
		return fmt.Errorf("database.driver: want sqlite or postgres, got %q", d.Driver)
	}
	return nil
}

func hostPort(name, v string, required bool) error {
	if v == "" {
		if required {
			return fmt.Errorf("%s: required (host:port)", name)
		}
		return nil
	}
	if _, port, err := net.SplitHostPort(v); err != nil || port == "" {
		return fmt.Errorf("%s: want host:port, got %q", name, v)
	}
	return nil
}

func metricsToken(t string) error {
	if t != "" && len(t) < 16 {
		return errors.New("server.metrics_token: too short, use at least 16 characters")
	}
	return nil
}

func dbNumber(n int) error {
	if n < 0 || n > 15 {
		return fmt.Errorf("redis.db: want 0..15, got %d", n)
	}
	return nil
}

func nonNegative(name string, n int) error {
	if n < 0 {
		return fmt.Errorf("%s: must not be negative, got %d", name, n)
	}
	return nil
}
