// Package quiz assembles the quiz service (banks, papers, exams, attempts, grading) from its
// layers, for its own binary and for the standalone binary.
package quiz

import (
	"context"
	"errors"
	"fmt"

	"github.com/go-kratos/kratos/v2/log"
	kgrpc "github.com/go-kratos/kratos/v2/transport/grpc"
	khttp "github.com/go-kratos/kratos/v2/transport/http"
	"github.com/prometheus/client_golang/prometheus"

	orgv1 "github.com/vanguard/vanguard/api/org/v1"
	quizv1 "github.com/vanguard/vanguard/api/quiz/v1"
	"github.com/vanguard/vanguard/app/quiz/internal/biz"
	"github.com/vanguard/vanguard/app/quiz/internal/data"
	"github.com/vanguard/vanguard/app/quiz/internal/server"
	"github.com/vanguard/vanguard/app/quiz/internal/service"
	"github.com/vanguard/vanguard/app/quiz/internal/task"
	"github.com/vanguard/vanguard/pkg/audit"
	"github.com/vanguard/vanguard/pkg/audit/spool"
	"github.com/vanguard/vanguard/pkg/clock"
	"github.com/vanguard/vanguard/pkg/kit"
	"github.com/vanguard/vanguard/pkg/outbox"
	"github.com/vanguard/vanguard/pkg/queue"
)

// Name is the service's name: its event producer name and service-credential name.
const Name = "quiz"

// Queue is the Asynq queue of the quiz service.
const Queue = task.Queue

// Config configures the quiz service.
type Config struct {
	DatabaseDriver string
	DatabaseDSN    string
	Tasks          *queue.Client
	// Orgs and Accounts are the org service's gRPC clients; their connection must use
	// auth.Forward().
	Orgs     orgv1.OrgsClient
	Accounts orgv1.AccountsClient
	// Events routes quiz's events (attempt.graded, question.changed) to their subscribers;
	// Outbox tunes the relay.
	Events outbox.Routes
	Outbox outbox.Config
	// Audit appends staff actions (regrades) to org's audit log: an audit.Client over a
	// connection to org that calls as the quiz service (kit.DialAsService). The audit spool
	// delivers to it after each commit and from the reconciler pass.
	Audit audit.Appender
	// Directory looks up members' and orgs' names for exams' managers, over a connection to org
	// that calls as the quiz service (like Audit); nil shows ids only.
	Directory orgv1.DirectoryClient
	// AuditSpool tunes that delivery.
	AuditSpool spool.Config
}

// Module is a wired quiz service.
type Module struct {
	data    *data.Data
	uc      *biz.Quiz
	service *service.QuizService
	tasks   *service.Tasks
	outbox  *outbox.Outbox
	relay   *outbox.Relay
	spool   *spool.Spool
	grading *data.GradingMetrics
}

// New opens the database and wires the service.
func New(cfg Config, logger log.Logger, clk clock.Clock) (*Module, error) {
	if cfg.DatabaseDriver == "" || cfg.DatabaseDSN == "" || cfg.Tasks == nil || cfg.Orgs == nil || cfg.Accounts == nil || cfg.Audit == nil {
		return nil, errors.New("quiz config: database, task client, org clients and audit client are required")
	}
	d, err := data.Open(cfg.DatabaseDriver, cfg.DatabaseDSN)
	if err != nil {
		return nil, fmt.Errorf("quiz: %w", err)
	}
	ob, err := outbox.New(Name, d.OutboxDB(), cfg.Events, cfg.Tasks, clk, cfg.Outbox)
	if err != nil {
		d.Close()
		return nil, fmt.Errorf("quiz: %w", err)
	}
	sp, err := spool.New(Name, d.SpoolDB(), cfg.Audit, clk, logger, cfg.AuditSpool)
	if err != nil {
		d.Close()
		return nil, fmt.Errorf("quiz: %w", err)
	}
	grading := data.NewGradingMetrics()
	uc := biz.New(biz.Deps{Banks: data.NewBankRepo(d), Papers: data.NewPaperRepo(d), Exams: data.NewExamRepo(d), Attempts: data.NewAttemptRepo(d),
		Regrades: data.NewRegradeRepo(d), Practice: data.NewPracticeRepo(d), Events: data.NewPublisher(ob),
		Orgs: data.NewOrgDirectory(cfg.Orgs, cfg.Accounts), Queue: data.NewTaskQueue(cfg.Tasks), Tx: d, Clock: clk,
		Audit: data.NewAuditLog(sp), Names: data.NewNameDirectory(cfg.Directory), Grading: grading})
	return &Module{data: d, uc: uc, service: service.NewQuizService(uc, logger), tasks: service.NewTasks(uc),
		outbox: ob, relay: outbox.NewRelay(ob, logger), spool: sp, grading: grading}, nil
}

var _ interface {
	kit.Module
	kit.ServiceAPI
	kit.Worker
	kit.Recoverer
	kit.Producer
	kit.Instrumented
} = (*Module)(nil)

// Name is the service's name.
func (m *Module) Name() string { return Name }

// Queues are the quiz queue: grading and autosubmit (weighted high in a shared worker: the
// exam-end peak must not wait behind media probes).
func (m *Module) Queues() map[string]int { return map[string]int{Queue: 3} }

// Migrate creates or upgrades the schema.
func (m *Module) Migrate(ctx context.Context) error { return m.data.Migrate(ctx) }

// Ready reports whether the database answers.
func (m *Module) Ready(ctx context.Context) error { return m.data.Ping(ctx) }

// RegisterHTTP mounts the quiz API.
func (m *Module) RegisterHTTP(srv *khttp.Server) { server.RegisterHTTP(srv, m.service) }

// RegisterGRPC mounts the quiz API and the service-only Events API (event acknowledgements).
func (m *Module) RegisterGRPC(srv *kgrpc.Server) {
	server.RegisterGRPC(srv, m.service)
	quizv1.RegisterEventsServer(srv, &service.EventsService{Ack: outbox.AckService{Outbox: m.outbox}, Attempts: m.uc.Attempts, Message: data.GradedMessage})
	quizv1.RegisterDossiersServer(srv, &service.DossierService{Attempts: m.uc.Attempts})
	quizv1.RegisterSearchFeedServer(srv, &service.FeedService{Feed: m.uc.Feed})
}

// ServiceOperations are the operations only service credentials may call: acknowledging events,
// the backfill of graded attempts, the growth service's read of a member's results and the
// search service's read of questions.
func (m *Module) ServiceOperations() []string {
	return []string{quizv1.Events_AckEvents_FullMethodName, quizv1.Events_ListGradedAttempts_FullMethodName,
		quizv1.Dossiers_GetMemberResults_FullMethodName, quizv1.SearchFeed_GetSearchQuestions_FullMethodName,
		quizv1.SearchFeed_ListSearchQuestions_FullMethodName}
}

// Relay is the outbox relay loop; every process that runs the module runs it.
func (m *Module) Relay() *outbox.Relay { return m.relay }

// Collectors are quiz's own metrics: the grading lag (vanguard_grading_lag_seconds). The
// relay's come with Relay.
func (m *Module) Collectors() []prometheus.Collector { return m.grading.Collectors() }

// Outbox is quiz's event outbox (tests and benchmarks inspect it).
func (m *Module) Outbox() *outbox.Outbox { return m.outbox }

// AuditSpool is quiz's audit spool: regrade entries org has not confirmed yet (tests inspect it).
func (m *Module) AuditSpool() *spool.Spool { return m.spool }

// RegisterTasks registers the task handlers.
func (m *Module) RegisterTasks(srv *queue.Server) { server.RegisterTasks(srv, m.tasks) }

// Reconcile is one reconciler pass: overdue attempts, ungraded attempts, and the safety nets of
// the outbox relay (events a crash left between commit and relay) and of the audit spool (audit
// entries org did not confirm after their commit: org down, or a crash).
func (m *Module) Reconcile(ctx context.Context) error {
	_, relayErr := m.outbox.Drain(ctx)
	_, auditErr := m.spool.Deliver(ctx)
	return errors.Join(m.uc.Reconcile(ctx), relayErr, auditErr)
}

// Recover schedules every open attempt's deadline again as a worker starts (the scheduled
// autosubmits may have died with the queue), so attempts are finalised at their deadline even
// after a crash.
func (m *Module) Recover(ctx context.Context) error {
	_, err := m.uc.Attempts.RescheduleDeadlines(ctx)
	return err
}

// Grade grades one attempt now (what the quiz:grade handler does); tests and tools use it.
func (m *Module) Grade(ctx context.Context, attemptID int64) error {
	return m.uc.Attempts.Grade(ctx, attemptID)
}

// Close closes the database.
func (m *Module) Close() error { return m.data.Close() }
