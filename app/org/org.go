// Package org assembles the org service (organisations, accounts, sign-in, audit) from its
// layers, so that both its own binary (app/org/cmd/org) and the standalone binary can run it.
package org

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/go-kratos/kratos/v2/log"
	kgrpc "github.com/go-kratos/kratos/v2/transport/grpc"
	khttp "github.com/go-kratos/kratos/v2/transport/http"
	"github.com/hibiken/asynq"

	v1 "github.com/vanguard/vanguard/api/org/v1"
	"github.com/vanguard/vanguard/app/org/internal/biz"
	"github.com/vanguard/vanguard/app/org/internal/data"
	"github.com/vanguard/vanguard/app/org/internal/server"
	"github.com/vanguard/vanguard/app/org/internal/service"
	"github.com/vanguard/vanguard/pkg/authn"
	"github.com/vanguard/vanguard/pkg/blob"
	"github.com/vanguard/vanguard/pkg/clock"
	"github.com/vanguard/vanguard/pkg/kit"
	"github.com/vanguard/vanguard/pkg/outbox"
	"github.com/vanguard/vanguard/pkg/queue"
	"github.com/vanguard/vanguard/pkg/secret"
)

// Config configures the org service. Secrets come from the environment or files, never from the
// checked-in config.
type Config struct {
	// Database driver: "sqlite" or "postgres"; DSN is a file path or a PostgreSQL URL.
	DatabaseDriver string `json:"database_driver"`
	DatabaseDSN    string `json:"database_dsn"`
	// SigningKeyPEM is the Ed25519 private key (PKCS#8 PEM) that signs access tokens.
	SigningKeyPEM []byte `json:"-"`
	// IDKey is the 32-byte master key that encrypts national ID numbers.
	IDKey []byte `json:"-"`
	// RefreshTTL, MaxLoginFailures and FailureWindow tune sign-in; zero means the default.
	RefreshTTL       time.Duration `json:"refresh_ttl"`
	MaxLoginFailures int           `json:"max_login_failures"`
	FailureWindow    time.Duration `json:"failure_window"`
	// Argon2 sets password hashing cost; zero means secret.DefaultArgon2.
	Argon2 secret.Argon2Params `json:"argon2"`
	// ServiceKey (32 bytes) derives each service's secret for service credentials
	// (authn.ServiceSecret); without it org issues no service tokens.
	ServiceKey []byte `json:"-"`
	// Store keeps development steps' papers (nil: none can be uploaded; enough to migrate).
	Store blob.Store `json:"-"`
	// Tasks relays org's events to their subscribers (nil: events are kept in the outbox until a
	// process with a task queue relays them; enough to migrate and for tests without
	// subscribers). Events routes them; Outbox tunes the relay.
	Tasks  outbox.Enqueuer `json:"-"`
	Events outbox.Routes   `json:"-"`
	Outbox outbox.Config   `json:"-"`
}

// noQueue is the task queue of an org service configured without one.
type noQueue struct{}

func (noQueue) Enqueue(context.Context, *asynq.Task, ...asynq.Option) error {
	return errors.New("org: no task queue configured to relay events")
}

// Validate reports the first missing or bad setting.
func (c *Config) Validate() error {
	switch {
	case c.DatabaseDriver != "sqlite" && c.DatabaseDriver != "postgres":
		return fmt.Errorf("org config: database_driver must be sqlite or postgres, got %q", c.DatabaseDriver)
	case c.DatabaseDSN == "":
		return errors.New("org config: database_dsn is required")
	case len(c.SigningKeyPEM) == 0:
		return errors.New("org config: signing key is required (VANGUARD_JWT_PRIVATE_KEY or key file)")
	case len(c.IDKey) != 32:
		return errors.New("org config: id encryption key must be 32 bytes (VANGUARD_ID_KEY)")
	case len(c.ServiceKey) != 0 && len(c.ServiceKey) != 32:
		return errors.New("org config: service key must be 32 bytes (VANGUARD_SERVICE_KEY)")
	}
	return nil
}

// Module is a running org service: its database, use cases and API implementations.
type Module struct {
	data     *data.Data
	services *server.Services
	accounts *biz.AccountUsecase
	sessions *biz.AuthUsecase
	dev      *biz.Development
	outbox   *outbox.Outbox
	relay    *outbox.Relay
	signer   *authn.Signer
	log      *log.Helper
}

// New opens the database and wires the service. Call Migrate before serving on a new database.
func New(cfg Config, logger log.Logger, clk clock.Clock) (*Module, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	key, err := authn.ParsePrivateKeyPEM(cfg.SigningKeyPEM)
	if err != nil {
		return nil, fmt.Errorf("org: %w", err)
	}
	sealer, err := secret.NewSealer(cfg.IDKey)
	if err != nil {
		return nil, fmt.Errorf("org: %w", err)
	}
	d, err := data.Open(cfg.DatabaseDriver, cfg.DatabaseDSN)
	if err != nil {
		return nil, err
	}
	acfg := biz.DefaultAuthConfig()
	if cfg.RefreshTTL > 0 {
		acfg.RefreshTTL = cfg.RefreshTTL
	}
	if cfg.MaxLoginFailures > 0 {
		acfg.MaxFailures = cfg.MaxLoginFailures
	}
	if cfg.FailureWindow > 0 {
		acfg.FailureWindow = cfg.FailureWindow
	}
	params := cfg.Argon2
	if params.MemoryKiB == 0 {
		params = secret.DefaultArgon2
	}
	hasher := secret.Argon2{P: params}
	signer := authn.NewSigner(key, clk)
	orgs, accounts := data.NewOrgRepo(d), data.NewAccountRepo(d)
	tokens := data.NewTokenRepo(d)
	auditor := biz.NewAuditor(data.NewAuditRepo(d), orgs, clk)
	authUC, err := biz.NewAuthUsecase(acfg, accounts, tokens, data.NewLoginFailureRepo(d), hasher, signer, clk, d)
	if err != nil {
		d.Close()
		return nil, err
	}
	tasks := cfg.Tasks
	if tasks == nil {
		tasks = noQueue{}
	}
	ob, err := outbox.New(Name, d.OutboxDB(), cfg.Events, tasks, clk, cfg.Outbox)
	if err != nil {
		d.Close()
		return nil, fmt.Errorf("org: %w", err)
	}
	events := data.NewPublisher(ob)
	accountUC := biz.NewAccountUsecase(accounts, orgs, tokens, sealer, hasher, auditor, d)
	accountUC.UseEvents(events)
	devUC := biz.NewDevelopment(biz.DevelopmentConfig{}, data.NewDevelopmentRepo(d), data.NewPlanRepo(d), accounts, orgs, auditor, d, clk)
	devUC.UseDocuments(data.NewDocumentStore(d), cfg.Store)
	devUC.UseEvents(events)
	devUC.UseTempBranches(accountUC.ActiveTempBranches)
	accountUC.SetTransfers(data.NewTransferRepo(d), devUC)
	accountUC.UseTempMembers(data.NewTempMemberRepo(d))
	authUC.SetTempBranches(accountUC.ActiveTempBranches)
	authSvc, err := service.NewAuthService(authUC, signer, cfg.ServiceKey, clk, logger)
	if err != nil {
		d.Close()
		return nil, err
	}
	return &Module{
		data: d,
		services: &server.Services{
			Auth:        authSvc,
			Orgs:        service.NewOrgService(biz.NewOrgUsecase(orgs, accounts, auditor, d), auditor),
			Accounts:    service.NewAccountService(accountUC),
			Audit:       service.NewAuditService(auditor),
			Directory:   service.NewDirectoryService(biz.NewDirectory(orgs, accounts)),
			Development: service.NewDevelopmentService(devUC),
			Transfers:   service.NewTransferService(accountUC),
			Events:      &service.EventsService{Ack: outbox.AckService{Outbox: ob}},
			Dossiers:    service.NewDossierService(devUC),
		},
		accounts: accountUC,
		sessions: authUC,
		dev:      devUC,
		outbox:   ob,
		relay:    outbox.NewRelay(ob, logger),
		signer:   signer,
		log:      log.NewHelper(log.With(logger, "module", "org")),
	}, nil
}

// Name is the org service's name.
const Name = "org"

var _ interface {
	kit.Module
	kit.PublicAPI
	kit.ServiceAPI
	kit.Worker
	kit.Producer
} = (*Module)(nil)

// Relay is org's event relay (pkg/outbox): every process that runs org runs it.
func (m *Module) Relay() *outbox.Relay { return m.relay }

// Outbox is org's event outbox (tests inspect it).
func (m *Module) Outbox() *outbox.Outbox { return m.outbox }

// Queues is org's task queue: it has no tasks yet, and having one gives the worker role its
// reconciler.
func (m *Module) Queues() map[string]int { return map[string]int{Name: 1} }

// RegisterTasks registers nothing: org runs no tasks yet.
func (m *Module) RegisterTasks(*queue.Server) {}

// Reconcile is one reconciler pass: the outbox relay's safety net, and development papers'
// uploads left unfinished aborted.
func (m *Module) Reconcile(ctx context.Context) error {
	_, err := m.outbox.Drain(ctx)
	return errors.Join(err, m.dev.ReconcileDocuments(ctx))
}

// Name is the service's name.
func (m *Module) Name() string { return Name }

// Migrate creates or upgrades the schema.
func (m *Module) Migrate(ctx context.Context) error { return m.data.Migrate(ctx) }

// Bootstrap creates the root org and the admin account on first start; see biz.Bootstrap.
func (m *Module) Bootstrap(ctx context.Context, adminPassword string) (created bool, err error) {
	res, err := m.accounts.Bootstrap(ctx, adminPassword)
	if err != nil {
		return false, err
	}
	return res.Created, nil
}

// Ready reports whether the database answers.
func (m *Module) Ready(ctx context.Context) error { return m.data.Ping(ctx) }

// PublicOperations lists the operations that need no access token.
func (m *Module) PublicOperations() []string { return service.PublicOperations }

// ServiceOperations lists the operations only service credentials may call: appending other
// services' staff actions to the audit log.
func (m *Module) ServiceOperations() []string { return service.ServiceOperations }

// Signer returns the token signer (its public key verifies tokens in every service).
func (m *Module) Signer() *authn.Signer { return m.signer }

// RegisterHTTP mounts the org API on srv.
func (m *Module) RegisterHTTP(srv *khttp.Server) { server.RegisterHTTP(srv, m.services, v1.OpenAPI) }

// RegisterGRPC mounts the org API on srv.
func (m *Module) RegisterGRPC(srv *kgrpc.Server) { server.RegisterGRPC(srv, m.services) }

// Close closes the database.
func (m *Module) Close() error { return m.data.Close() }
