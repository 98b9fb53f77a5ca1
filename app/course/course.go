// Package course assembles the course service (courses, lessons, lecture media, assignments,
// study plans) from its layers, for its own binary and for the standalone binary.
package course

import (
	"context"
	"errors"
	"fmt"

	"github.com/go-kratos/kratos/v2/log"
	kgrpc "github.com/go-kratos/kratos/v2/transport/grpc"
	khttp "github.com/go-kratos/kratos/v2/transport/http"

	coursev1 "github.com/vanguard/vanguard/api/course/v1"
	orgv1 "github.com/vanguard/vanguard/api/org/v1"
	"github.com/vanguard/vanguard/app/course/internal/biz"
	"github.com/vanguard/vanguard/app/course/internal/data"
	"github.com/vanguard/vanguard/app/course/internal/server"
	"github.com/vanguard/vanguard/app/course/internal/service"
	"github.com/vanguard/vanguard/app/course/internal/task"
	"github.com/vanguard/vanguard/pkg/blob"
	"github.com/vanguard/vanguard/pkg/clock"
	"github.com/vanguard/vanguard/pkg/kit"
	"github.com/vanguard/vanguard/pkg/outbox"
	"github.com/vanguard/vanguard/pkg/queue"
)

// Name is the service's name: its event producer name and service-credential name.
const Name = "course"

// Queue is the Asynq queue of the course service.
const Queue = task.Queue

// MediaConfig limits uploads and playback URLs (see biz.MediaConfig).
type MediaConfig = biz.MediaConfig

// Config configures the course service.
type Config struct {
	DatabaseDriver string
	DatabaseDSN    string
	// Store holds lecture media (MinIO in production, the local store in standalone mode).
	Store blob.Store
	// Tasks enqueues background work (media:probe).
	Tasks *queue.Client
	// Orgs is the org service's gRPC client; its connection must use auth.Forward().
	Orgs  orgv1.OrgsClient
	Media MediaConfig
	// Events routes the course service's events to their subscribers; Outbox tunes the relay.
	Events outbox.Routes
	Outbox outbox.Config
}

// Validate reports the first missing setting.
func (c *Config) Validate() error {
	switch {
	case c.DatabaseDriver == "" || c.DatabaseDSN == "":
		return errors.New("course config: database driver and DSN are required")
	case c.Store == nil:
		return errors.New("course config: a media store is required")
	case c.Tasks == nil:
		return errors.New("course config: a task queue client is required")
	case c.Orgs == nil:
		return errors.New("course config: an org service client is required")
	}
	return nil
}

// Module is a wired course service.
type Module struct {
	data    *data.Data
	service *service.CourseService
	tasks   *service.MediaTasks
	media   *biz.MediaUsecase
	log     *log.Helper
	outbox  *outbox.Outbox
	relay   *outbox.Relay
	courses *biz.CourseUsecase
	feed    *biz.SearchFeed
}

// New opens the database and wires the service.
func New(cfg Config, logger log.Logger, clk clock.Clock) (*Module, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	d, err := data.Open(cfg.DatabaseDriver, cfg.DatabaseDSN)
	if err != nil {
		return nil, fmt.Errorf("course: %w", err)
	}
	ob, err := outbox.New(Name, d.OutboxDB(), cfg.Events, cfg.Tasks, clk, cfg.Outbox)
	if err != nil {
		d.Close()
		return nil, fmt.Errorf("course: %w", err)
	}
	repo := data.NewCourseRepo(d)
	orgs := data.NewOrgDirectory(cfg.Orgs)
	courses := biz.NewCourseUsecase(repo, data.NewAssignmentRepo(d), orgs, data.NewPublisher(ob), cfg.Store, d, clk)
	media := biz.NewMediaUsecase(cfg.Media, courses, repo, data.NewUploadRepo(d), cfg.Store, data.NewTaskQueue(cfg.Tasks), d)
	plans := biz.NewPlanUsecase(data.NewPlanRepo(d), repo, orgs, clk)
	news := biz.NewNewsUsecase(data.NewNewsRepo(d), orgs, data.NewPublisher(ob), d, clk)
	return &Module{
		data:    d,
		service: service.NewCourseService(courses, media, plans, news),
		tasks:   service.NewMediaTasks(media),
		media:   media,
		log:     log.NewHelper(log.With(logger, "module", "course")),
		outbox:  ob,
		relay:   outbox.NewRelay(ob, logger),
		courses: courses,
		feed:    biz.NewSearchFeed(repo, data.NewAssignmentRepo(d), data.NewNewsRepo(d)),
	}, nil
}

var _ interface {
	kit.Module
	kit.ServiceAPI
	kit.Worker
	kit.Producer
} = (*Module)(nil)

// Name is the service's name.
func (m *Module) Name() string { return Name }

// Queues are the course queue (media:probe).
func (m *Module) Queues() map[string]int { return map[string]int{Queue: 1} }

// Migrate creates or upgrades the schema.
func (m *Module) Migrate(ctx context.Context) error { return m.data.Migrate(ctx) }

// Ready reports whether the database answers.
func (m *Module) Ready(ctx context.Context) error { return m.data.Ping(ctx) }

// RegisterHTTP mounts the course API.
func (m *Module) RegisterHTTP(srv *khttp.Server) { server.RegisterHTTP(srv, m.service) }

// RegisterGRPC mounts the course API and the service-only Events API (event acknowledgements)
// Dossiers API (the growth service's read of course outlines) and SearchFeed API (the search
// service's read of courses and news posts).
func (m *Module) RegisterGRPC(srv *kgrpc.Server) {
	server.RegisterGRPC(srv, m.service)
	coursev1.RegisterEventsServer(srv, &service.EventsService{Ack: outbox.AckService{Outbox: m.outbox}})
	coursev1.RegisterDossiersServer(srv, &service.DossierService{Courses: m.courses})
	coursev1.RegisterSearchFeedServer(srv, &service.FeedService{Feed: m.feed})
}

// ServiceOperations are the operations only service credentials may call: acknowledging events
// and reading course outlines.
func (m *Module) ServiceOperations() []string {
	return []string{coursev1.Events_AckEvents_FullMethodName, coursev1.Dossiers_GetCourseOutlines_FullMethodName,
		coursev1.SearchFeed_GetSearchItems_FullMethodName, coursev1.SearchFeed_ListSearchItems_FullMethodName}
}

// Relay is the outbox relay loop; every process that runs the module runs it.
func (m *Module) Relay() *outbox.Relay { return m.relay }

// Outbox is the course service's event outbox (tests inspect it).
func (m *Module) Outbox() *outbox.Outbox { return m.outbox }

// RegisterTasks registers the task handlers on the Asynq transport server.
func (m *Module) RegisterTasks(srv *queue.Server) { server.RegisterTasks(srv, m.tasks) }

// Reconcile is one reconciler pass: re-enqueue media still processing, abort expired uploads,
// and the outbox relay's safety net (events a crash left between commit and relay).
func (m *Module) Reconcile(ctx context.Context) error {
	_, err := m.outbox.Drain(ctx)
	return errors.Join(m.media.Reconcile(ctx), err)
}

// Close closes the database.
func (m *Module) Close() error { return m.data.Close() }
