// Package growth assembles the growth service (members' electronic growth files: compiled from
// the other services' records, versioned, reviewed by staff) from its layers, for its own binary
// and for the standalone binary.
package growth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/go-kratos/kratos/v2/log"
	kgrpc "github.com/go-kratos/kratos/v2/transport/grpc"
	khttp "github.com/go-kratos/kratos/v2/transport/http"
	"github.com/hibiken/asynq"

	coursev1 "github.com/vanguard/vanguard/api/course/v1"
	orgv1 "github.com/vanguard/vanguard/api/org/v1"
	quizv1 "github.com/vanguard/vanguard/api/quiz/v1"
	studyhourv1 "github.com/vanguard/vanguard/api/studyhour/v1"
	"github.com/vanguard/vanguard/app/growth/internal/biz"
	"github.com/vanguard/vanguard/app/growth/internal/data"
	"github.com/vanguard/vanguard/app/growth/internal/server"
	"github.com/vanguard/vanguard/app/growth/internal/service"
	"github.com/vanguard/vanguard/pkg/audit"
	"github.com/vanguard/vanguard/pkg/audit/spool"
	"github.com/vanguard/vanguard/pkg/clock"
	"github.com/vanguard/vanguard/pkg/dbx"
	"github.com/vanguard/vanguard/pkg/kit"
	"github.com/vanguard/vanguard/pkg/outbox"
	"github.com/vanguard/vanguard/pkg/queue"
)

// Name is the service's name: its subscriber name, its queue and its service-credential name.
const Name = "growth"

// Queue is the Asynq queue of the growth service (events and compiles).
const Queue = "growth"

// Topics are the events that ask for a compile of their members' files.
var Topics = []string{
	outbox.TopicOf(&orgv1.DevelopmentStepRecorded{}), outbox.TopicOf(&orgv1.MemberTransferred{}),
	outbox.TopicOf(&quizv1.AttemptGraded{}),
	outbox.TopicOf(&studyhourv1.HoursCredited{}), outbox.TopicOf(&studyhourv1.LessonCompleted{}),
	outbox.TopicOf(&studyhourv1.MeetingRecorded{}), outbox.TopicOf(&studyhourv1.StudyReportFiled{}),
}

// Config configures the growth service.
type Config struct {
	DatabaseDriver string
	DatabaseDSN    string
	Tasks          *queue.Client
	// Orgs is org's API with the caller's token (auth.Forward): which orgs the caller may see.
	Orgs orgv1.OrgsClient
	// The producers' service-only APIs, each over a connection calling as the growth service
	// (kit.DialAsService): the dossiers the compile reads, the events' acknowledgements.
	OrgDossiers       orgv1.DossiersClient
	StudyhourDossiers studyhourv1.DossiersClient
	QuizDossiers      quizv1.DossiersClient
	CourseDossiers    coursev1.DossiersClient
	OrgEvents         orgv1.EventsClient
	StudyhourEvents   studyhourv1.EventsClient
	QuizEvents        quizv1.EventsClient
	// Audit is org's audit log as the growth service; AuditSpool tunes the delivery.
	Audit      audit.Appender
	AuditSpool spool.Config
	// PDF prints exports to PDF (nil: PDF export is refused, HTML and JSON work).
	PDF func(ctx context.Context, html []byte) ([]byte, error)
	// Debounce is how long a compile waits after the first event of a burst (0: 2 s).
	Debounce time.Duration
}

func (c Config) validate() error {
	if c.DatabaseDriver == "" || c.DatabaseDSN == "" || c.Tasks == nil || c.Orgs == nil || c.OrgDossiers == nil ||
		c.StudyhourDossiers == nil || c.QuizDossiers == nil || c.CourseDossiers == nil || c.OrgEvents == nil ||
		c.StudyhourEvents == nil || c.QuizEvents == nil || c.Audit == nil {
		return errors.New("growth config: database, task client, org's API, the dossier and event clients and the audit log are required")
	}
	return nil
}

// Module is a wired growth service.
type Module struct {
	data     *data.Data
	uc       *biz.Growth
	compiler *biz.Compiler
	service  *service.GrowthService
	inbox    *outbox.Inbox
	spool    *spool.Spool
	log      *log.Helper
}

// New opens the database and wires the service.
func New(cfg Config, logger log.Logger, clk clock.Clock) (*Module, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	d, err := data.Open(cfg.DatabaseDriver, cfg.DatabaseDSN)
	if err != nil {
		return nil, fmt.Errorf("growth: %w", err)
	}
	sp, err := spool.New(Name, d.SpoolDB(), cfg.Audit, clk, logger, cfg.AuditSpool)
	if err != nil {
		d.Close()
		return nil, fmt.Errorf("growth: %w", err)
	}
	helper := log.NewHelper(log.With(logger, "module", Name))
	remote := &data.Remote{Org: cfg.OrgDossiers, Studyhour: cfg.StudyhourDossiers, Quiz: cfg.QuizDossiers, Course: cfg.CourseDossiers, Clock: clk}
	uc := biz.NewGrowth(biz.Deps{Files: data.NewFileRepo(d), Records: data.NewRecordRepo(d), Marks: data.NewMarkRepo(d),
		Sources: remote, Members: remote, Orgs: data.NewOrgs(cfg.Orgs), Audit: data.NewAuditLog(sp),
		Sched: data.NewScheduler(cfg.Tasks, Queue, clk), Tx: d, Clock: clk, Debounce: cfg.Debounce,
		Log: func(err error, member int64) { helper.Warnf("growth: queue compile of member %d: %v", member, err) }})
	var pdf service.PDF
	if cfg.PDF != nil {
		pdf = cfg.PDF
	}
	m := &Module{data: d, uc: uc, compiler: biz.NewCompiler(uc, remote), service: service.New(uc, pdf), spool: sp, log: helper}
	m.inbox, err = outbox.NewInbox(Name, d.OutboxDB(), map[string]outbox.Acker{
		"org": outbox.GRPCAcker(cfg.OrgEvents), "studyhour": outbox.GRPCAcker(cfg.StudyhourEvents), "quiz": outbox.GRPCAcker(cfg.QuizEvents),
	}, m.apply, clk)
	if err != nil {
		d.Close()
		return nil, err
	}
	return m, nil
}

// members are the members an event concerns.
func members(e *outbox.Event) ([]int64, error) {
	switch e.Topic {
	case outbox.TopicOf(&orgv1.DevelopmentStepRecorded{}):
		var m orgv1.DevelopmentStepRecorded
		err := e.Decode(&m)
		return []int64{m.GetMemberId()}, err
	case outbox.TopicOf(&orgv1.MemberTransferred{}):
		var m orgv1.MemberTransferred
		err := e.Decode(&m)
		return []int64{m.GetMemberId()}, err
	case outbox.TopicOf(&quizv1.AttemptGraded{}):
		var m quizv1.AttemptGraded
		err := e.Decode(&m)
		return []int64{m.GetUserId()}, err
	case outbox.TopicOf(&studyhourv1.HoursCredited{}):
		var m studyhourv1.HoursCredited
		err := e.Decode(&m)
		return []int64{m.GetMemberId()}, err
	case outbox.TopicOf(&studyhourv1.LessonCompleted{}):
		var m studyhourv1.LessonCompleted
		err := e.Decode(&m)
		return []int64{m.GetMemberId()}, err
	case outbox.TopicOf(&studyhourv1.MeetingRecorded{}):
		var m studyhourv1.MeetingRecorded
		err := e.Decode(&m)
		return m.GetPresent(), err
	case outbox.TopicOf(&studyhourv1.StudyReportFiled{}):
		var m studyhourv1.StudyReportFiled
		err := e.Decode(&m)
		return []int64{m.GetMemberId()}, err
	}
	return nil, nil // a topic routed here by mistake changes nothing
}

// apply marks the event's members for a compile, inside the inbox's transaction, and queues the
// compiles once it commits.
func (m *Module) apply(ctx context.Context, e *outbox.Event) error {
	ids, err := members(e)
	if err != nil {
		return err
	}
	var marked []int64
	for _, id := range ids {
		if id <= 0 {
			continue
		}
		if err := m.compiler.Mark(ctx, id, e.Topic); err != nil {
			return err
		}
		marked = append(marked, id)
	}
	dbx.AfterCommit(ctx, func() {
		ctx := dbx.Detach(context.WithoutCancel(ctx))
		for _, id := range marked {
			m.compiler.Kick(ctx, id)
		}
	})
	return nil
}

var _ interface {
	kit.Module
	kit.Worker
} = (*Module)(nil)

// Name is the service's name.
func (m *Module) Name() string { return Name }

// Queues are the growth queue (events and compiles).
func (m *Module) Queues() map[string]int { return map[string]int{Queue: 1} }

// Migrate creates or upgrades the schema.
func (m *Module) Migrate(ctx context.Context) error { return m.data.Migrate(ctx) }

// Ready reports whether the database answers.
func (m *Module) Ready(ctx context.Context) error { return m.data.Ping(ctx) }

// RegisterHTTP mounts the growth API.
func (m *Module) RegisterHTTP(srv *khttp.Server) { server.RegisterHTTP(srv, m.service) }

// RegisterGRPC mounts the growth API.
func (m *Module) RegisterGRPC(srv *kgrpc.Server) { server.RegisterGRPC(srv, m.service) }

// RegisterTasks registers the event inbox ("growth:event") and the compiles ("growth:compile").
func (m *Module) RegisterTasks(srv *queue.Server) {
	srv.Handle(outbox.TaskType(Name), m.inbox)
	srv.HandleFunc(data.TaskCompile, func(ctx context.Context, t *asynq.Task) error {
		id, err := data.DecodeCompile(t)
		if err != nil {
			return err
		}
		return m.compiler.Run(ctx, id)
	})
}

// Reconcile is one reconciler pass: compiles whose task was lost queued again, the day's full
// compile started once its hour has passed, and audit entries org has not confirmed delivered.
func (m *Module) Reconcile(ctx context.Context) error {
	_, err := m.compiler.Reconcile(ctx)
	_, auditErr := m.spool.Deliver(ctx)
	return errors.Join(err, auditErr)
}

// Inbox applies the events growth subscribes to (tests deliver through it).
func (m *Module) Inbox() *outbox.Inbox { return m.inbox }

// Compile runs a member's pending compile as the "growth:compile" task does (tests, tools).
func (m *Module) Compile(ctx context.Context, memberID int64) error {
	return m.compiler.Run(ctx, memberID)
}

// Nightly starts the day's full compile as the reconciler does at the nightly hour, and reports
// how many members it marked (tests, tools, benchmarks).
func (m *Module) Nightly(ctx context.Context, now time.Time) (int, error) {
	return m.compiler.Nightly(ctx, now)
}

// AuditSpool is growth's audit spool (tests inspect it).
func (m *Module) AuditSpool() *spool.Spool { return m.spool }

// Close closes the database.
func (m *Module) Close() error { return m.data.Close() }
