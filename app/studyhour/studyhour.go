// Package studyhour assembles the studyhour service (study sessions and heartbeats, the
// tamper-evident hours ledger, exam credits, summaries) from its layers, for its own binary and
// for the standalone binary.
package studyhour

import (
	"context"
	"errors"
	"fmt"

	"github.com/go-kratos/kratos/v2/log"
	kgrpc "github.com/go-kratos/kratos/v2/transport/grpc"
	khttp "github.com/go-kratos/kratos/v2/transport/http"
	"github.com/prometheus/client_golang/prometheus"

	coursev1 "github.com/vanguard/vanguard/api/course/v1"
	orgv1 "github.com/vanguard/vanguard/api/org/v1"
	quizv1 "github.com/vanguard/vanguard/api/quiz/v1"
	studyhourv1 "github.com/vanguard/vanguard/api/studyhour/v1"
	"github.com/vanguard/vanguard/app/studyhour/internal/biz"
	"github.com/vanguard/vanguard/app/studyhour/internal/data"
	"github.com/vanguard/vanguard/app/studyhour/internal/server"
	"github.com/vanguard/vanguard/app/studyhour/internal/service"
	"github.com/vanguard/vanguard/pkg/blob"
	"github.com/vanguard/vanguard/pkg/clock"
	"github.com/vanguard/vanguard/pkg/kit"
	"github.com/vanguard/vanguard/pkg/outbox"
	"github.com/vanguard/vanguard/pkg/queue"
)

// Name is the service's name: its event producer and subscriber name, its queue and its
// service-credential name.
const Name = "studyhour"

// Queue is the Asynq queue of the studyhour service (the events it subscribes to).
const Queue = "studyhour"

// Rules are the crediting parameters (see biz.CreditRules).
type Rules = biz.CreditRules

// DefaultRules are the national platform's usual crediting parameters.
var DefaultRules = biz.DefaultCreditRules

// Config configures the studyhour service.
type Config struct {
	DatabaseDriver string
	DatabaseDSN    string
	Tasks          *queue.Client
	// Courses is course's gRPC client, Orgs and Accounts org's; their connection must use
	// auth.Forward() (course decides who may study a lesson, org who may see a member or an org).
	Courses  coursev1.CoursesClient
	Orgs     orgv1.OrgsClient
	Accounts orgv1.AccountsClient
	// QuizEvents acknowledges quiz's events; its connection must call as the studyhour service
	// (kit.DialAsService).
	QuizEvents quizv1.EventsClient
	// LedgerKey anchors each member's ledger chain (HMAC); keep it outside the database.
	LedgerKey []byte
	// Store keeps meeting minutes and offline records' files (nil only to migrate).
	Store blob.Store
	// Rules are the crediting rules (zero: DefaultRules).
	Rules Rules
	// Events routes studyhour's events to their subscribers; Outbox tunes the relay.
	Events outbox.Routes
	Outbox outbox.Config
}

// Module is a wired studyhour service.
type Module struct {
	data    *data.Data
	uc      *biz.Study
	service *service.StudyHourService
	outbox  *outbox.Outbox
	relay   *outbox.Relay
	inbox   *outbox.Inbox
	exams   biz.ExamSource
	// attachments' unfinished uploads are aborted by the reconciler.
	attachments *biz.Attachments
	// reports serves the growth service's read of a member (Dossiers).
	reports *biz.Reports
	// beats counts heartbeats by outcome and refusal reason (Collectors).
	beats *data.HeartbeatMetrics
}

// New opens the database and wires the service.
func New(cfg Config, logger log.Logger, clk clock.Clock) (*Module, error) {
	if cfg.DatabaseDriver == "" || cfg.DatabaseDSN == "" || cfg.Tasks == nil || cfg.Courses == nil || cfg.Orgs == nil || cfg.Accounts == nil || cfg.QuizEvents == nil {
		return nil, errors.New("studyhour config: database, task client, course, org and quiz clients are required")
	}
	d, err := data.Open(cfg.DatabaseDriver, cfg.DatabaseDSN)
	if err != nil {
		return nil, fmt.Errorf("studyhour: %w", err)
	}
	ob, err := outbox.New(Name, d.OutboxDB(), cfg.Events, cfg.Tasks, clk, cfg.Outbox)
	if err != nil {
		d.Close()
		return nil, fmt.Errorf("studyhour: %w", err)
	}
	orgs := data.NewOrgs(cfg.Orgs, cfg.Accounts)
	beats := data.NewHeartbeatMetrics()
	uc, err := biz.NewStudy(biz.Config{Rules: cfg.Rules, LedgerKey: cfg.LedgerKey, Heartbeats: beats}, data.NewStore(d), data.NewCourses(cfg.Courses),
		orgs, data.NewPublisher(ob), d, clk)
	if err != nil {
		d.Close()
		return nil, err
	}
	plans := data.NewPlans(cfg.Courses)
	meetings := biz.NewMeetings(uc, data.NewMeetingStore(d), orgs, plans)
	files := data.NewAttachmentStore(d)
	offlineStore := data.NewOfflineStore(d)
	attachments := biz.NewAttachments(uc, files, cfg.Store, data.NewMeetingStore(d), offlineStore)
	reports := biz.NewReports(meetings, data.NewReportStore(d))
	svc := service.New(service.UseCases{Study: uc, Meetings: meetings, Offline: biz.NewOffline(uc, offlineStore, orgs, files),
		Attachments: attachments,
		Rules:       biz.NewRules(uc, orgs), Reports: reports,
		Notes: biz.NewNotes(uc, data.NewNoteStore(d), plans, orgs)})
	m := &Module{data: d, uc: uc, service: svc, attachments: attachments, reports: reports, outbox: ob, relay: outbox.NewRelay(ob, logger),
		exams: data.NewExamSource(cfg.QuizEvents), beats: beats}
	m.inbox, err = outbox.NewInbox(Name, d.OutboxDB(), map[string]outbox.Acker{"quiz": outbox.GRPCAcker(cfg.QuizEvents)}, m.apply, clk)
	if err != nil {
		d.Close()
		return nil, err
	}
	return m, nil
}

// apply applies one event studyhour subscribes to, inside its inbox transaction.
func (m *Module) apply(ctx context.Context, e *outbox.Event) error {
	switch e.Topic {
	case outbox.TopicOf(&quizv1.AttemptGraded{}):
		g, err := data.GradedOf(e)
		if err != nil {
			return err
		}
		return m.uc.ApplyGraded(ctx, g)
	}
	return nil // a topic routed here by mistake changes nothing
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

// Queues are the studyhour queue (events from quiz).
func (m *Module) Queues() map[string]int { return map[string]int{Queue: 1} }

// Migrate creates or upgrades the schema.
func (m *Module) Migrate(ctx context.Context) error { return m.data.Migrate(ctx) }

// Ready reports whether the database answers.
func (m *Module) Ready(ctx context.Context) error { return m.data.Ping(ctx) }

// RegisterHTTP mounts the studyhour API.
func (m *Module) RegisterHTTP(srv *khttp.Server) { server.RegisterHTTP(srv, m.service) }

// RegisterGRPC mounts the studyhour API and the service-only Events and Dossiers APIs.
func (m *Module) RegisterGRPC(srv *kgrpc.Server) {
	server.RegisterGRPC(srv, m.service)
	studyhourv1.RegisterEventsServer(srv, &service.EventsService{Ack: outbox.AckService{Outbox: m.outbox}})
	studyhourv1.RegisterDossiersServer(srv, &service.DossierService{Reports: m.reports})
}

// ServiceOperations are the operations only service credentials may call.
func (m *Module) ServiceOperations() []string {
	return []string{studyhourv1.Events_AckEvents_FullMethodName, studyhourv1.Dossiers_GetMemberStudy_FullMethodName}
}

// Relay is the outbox relay loop.
func (m *Module) Relay() *outbox.Relay { return m.relay }

// Collectors are studyhour's own metrics: heartbeats by result and refusals by reason
// (vanguard_heartbeats_total, vanguard_heartbeat_refusals_total). The relay's come with Relay.
func (m *Module) Collectors() []prometheus.Collector { return m.beats.Collectors() }

// Outbox is studyhour's event outbox (tests inspect it).
func (m *Module) Outbox() *outbox.Outbox { return m.outbox }

// Inbox applies the events studyhour subscribes to (tests deliver through it).
func (m *Module) Inbox() *outbox.Inbox { return m.inbox }

// RegisterTasks registers the event inbox ("studyhour:event" tasks).
func (m *Module) RegisterTasks(srv *queue.Server) { srv.Handle(outbox.TaskType(Name), m.inbox) }

// Reconcile is one reconciler pass: the outbox relay's safety net, and attachments' uploads left
// unfinished aborted.
func (m *Module) Reconcile(ctx context.Context) error {
	_, err := m.outbox.Drain(ctx)
	return errors.Join(err, m.attachments.Reconcile(ctx))
}

// Recover runs as a worker starts: the backfill of exams graded before studyhour subscribed to
// attempt.graded (once; it resumes from its cursor after a crash and does nothing once done).
func (m *Module) Recover(ctx context.Context) error {
	_, err := m.Backfill(ctx)
	return err
}

// Backfill applies quiz's graded attempts that credit hours and reports how many it applied.
func (m *Module) Backfill(ctx context.Context) (int, error) { return m.uc.BackfillExams(ctx, m.exams) }

// Close closes the database.
func (m *Module) Close() error { return m.data.Close() }
