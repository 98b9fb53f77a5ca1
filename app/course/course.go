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

	orgv1 "github.com/vanguard/vanguard/api/org/v1"
	"github.com/vanguard/vanguard/app/course/internal/biz"
	"github.com/vanguard/vanguard/app/course/internal/data"
	"github.com/vanguard/vanguard/app/course/internal/server"
	"github.com/vanguard/vanguard/app/course/internal/service"
	"github.com/vanguard/vanguard/pkg/blob"
	"github.com/vanguard/vanguard/pkg/clock"
	"github.com/vanguard/vanguard/pkg/queue"
)

// Queue is the Asynq queue of the course service.
const Queue = data.Queue

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
	repo := data.NewCourseRepo(d)
	orgs := data.NewOrgDirectory(cfg.Orgs)
	courses := biz.NewCourseUsecase(repo, data.NewAssignmentRepo(d), orgs, d, clk)
	media := biz.NewMediaUsecase(cfg.Media, courses, repo, data.NewUploadRepo(d), cfg.Store, data.NewTaskQueue(cfg.Tasks), d)
	plans := biz.NewPlanUsecase(data.NewPlanRepo(d), repo, orgs, clk)
	return &Module{
		data:    d,
		service: service.NewCourseService(courses, media, plans, cfg.Store),
		tasks:   service.NewMediaTasks(media),
		media:   media,
		log:     log.NewHelper(log.With(logger, "module", "course")),
	}, nil
}

// Migrate creates or upgrades the schema.
func (m *Module) Migrate(ctx context.Context) error { return m.data.Migrate(ctx) }

// Ready reports whether the database answers.
func (m *Module) Ready(ctx context.Context) error { return m.data.Ping(ctx) }

// RegisterHTTP mounts the course API.
func (m *Module) RegisterHTTP(srv *khttp.Server) { server.RegisterHTTP(srv, m.service) }

// RegisterGRPC mounts the course API.
func (m *Module) RegisterGRPC(srv *kgrpc.Server) { server.RegisterGRPC(srv, m.service) }

// RegisterTasks registers the task handlers on the Asynq transport server.
func (m *Module) RegisterTasks(srv *queue.Server) { server.RegisterTasks(srv, m.tasks) }

// Reconcile is one reconciler pass: re-enqueue media still processing, abort expired uploads.
func (m *Module) Reconcile(ctx context.Context) error { return m.media.Reconcile(ctx) }

// Close closes the database.
func (m *Module) Close() error { return m.data.Close() }
