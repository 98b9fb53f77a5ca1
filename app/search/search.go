// Package search assembles the search service (full-text search over what each user may open:
// published courses and lessons, news posts, and questions for trainers and staff) from its
// layers, for its own binary and for the standalone binary.
package search

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"time"

	"github.com/go-kratos/kratos/v2/log"
	kgrpc "github.com/go-kratos/kratos/v2/transport/grpc"
	khttp "github.com/go-kratos/kratos/v2/transport/http"
	"github.com/hibiken/asynq"

	coursev1 "github.com/vanguard/vanguard/api/course/v1"
	quizv1 "github.com/vanguard/vanguard/api/quiz/v1"
	"github.com/vanguard/vanguard/app/search/internal/biz"
	"github.com/vanguard/vanguard/app/search/internal/data"
	"github.com/vanguard/vanguard/app/search/internal/server"
	"github.com/vanguard/vanguard/app/search/internal/service"
	"github.com/vanguard/vanguard/pkg/clock"
	"github.com/vanguard/vanguard/pkg/dbx"
	"github.com/vanguard/vanguard/pkg/kit"
	"github.com/vanguard/vanguard/pkg/outbox"
	"github.com/vanguard/vanguard/pkg/queue"
)

// Name is the service's name: its subscriber name, its queue and its service-credential name.
const Name = "search"

// Queue is the Asynq queue of the search service (events, syncs, reindexes).
const Queue = "search"

// Topics are the events that change what the index holds.
var Topics = []string{
	outbox.TopicOf(&coursev1.CoursePublished{}), outbox.TopicOf(&coursev1.CourseUpdated{}), outbox.TopicOf(&coursev1.CourseArchived{}),
	outbox.TopicOf(&coursev1.CourseDeleted{}), outbox.TopicOf(&coursev1.AssignmentChanged{}),
	outbox.TopicOf(&coursev1.NewsPublished{}), outbox.TopicOf(&coursev1.NewsUpdated{}), outbox.TopicOf(&coursev1.NewsDeleted{}),
	outbox.TopicOf(&quizv1.QuestionChanged{}),
}

// Config configures the search service.
type Config struct {
	DatabaseDriver string
	DatabaseDSN    string
	Tasks          *queue.Client
	// IndexDir holds the Bleve index's generations (standalone, or a single search replica).
	IndexDir string
	// MeiliURL, when set, puts the index in Meilisearch instead (distributed mode): one index
	// per generation, named MeiliIndex_000001 …, managed with MeiliKey.
	MeiliURL, MeiliKey, MeiliIndex string
	// The owners' service-only APIs, each over a connection calling as the search service
	// (kit.DialAsService): the feeds syncs and reindexes read, the events' acknowledgements.
	CourseFeed   coursev1.SearchFeedClient
	QuizFeed     quizv1.SearchFeedClient
	CourseEvents coursev1.EventsClient
	QuizEvents   quizv1.EventsClient
	// Debounce is how long a sync waits after the first event of a burst (0: 300 ms).
	Debounce time.Duration
}

func (c Config) validate() error {
	if c.DatabaseDriver == "" || c.DatabaseDSN == "" || c.Tasks == nil || (c.IndexDir == "" && c.MeiliURL == "") || c.CourseFeed == nil || c.QuizFeed == nil ||
		c.CourseEvents == nil || c.QuizEvents == nil {
		return errors.New("search config: database, task client, index directory or Meilisearch, the feeds and the event clients are required")
	}
	return nil
}

// Module is a wired search service.
type Module struct {
	data    *data.Data
	index   *biz.Index
	indexer *biz.Indexer
	service *service.SearchService
	inbox   *outbox.Inbox
	log     *log.Helper
}

// New opens the database and wires the service; the index opens on Start's first reconcile.
func New(cfg Config, logger log.Logger, clk clock.Clock) (*Module, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if cfg.Debounce == 0 {
		cfg.Debounce = 300 * time.Millisecond
	}
	d, err := data.Open(cfg.DatabaseDriver, cfg.DatabaseDSN)
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	helper := log.NewHelper(log.With(logger, "module", Name))
	var gens biz.Generations = &data.BleveGenerations{Dir: cfg.IndexDir}
	if cfg.MeiliURL != "" {
		index := cfg.MeiliIndex
		if index == "" {
			index = "vanguard"
		}
		gens = &data.MeiliGenerations{Config: data.MeiliConfig{URL: cfg.MeiliURL, APIKey: cfg.MeiliKey, Index: index}}
	}
	index := biz.NewIndex(gens)
	ix := biz.NewIndexer(biz.IndexerDeps{Index: index, Repo: data.NewRepo(d), Sources: &data.Remote{Course: cfg.CourseFeed, Quiz: cfg.QuizFeed},
		Sched: data.NewScheduler(cfg.Tasks, Queue, clk), Clock: clk, Debounce: cfg.Debounce, Log: helper.Infof})
	m := &Module{data: d, index: index, indexer: ix, service: service.New(biz.NewSearcher(index), ix, index, gens.Engine()), log: helper}
	m.inbox, err = outbox.NewInbox(Name, d.OutboxDB(), map[string]outbox.Acker{
		"course": outbox.GRPCAcker(cfg.CourseEvents), "quiz": outbox.GRPCAcker(cfg.QuizEvents),
	}, m.apply, clk)
	if err != nil {
		d.Close()
		return nil, err
	}
	return m, nil
}

// items are the owners' items an event concerns.
func items(e *outbox.Event) ([]string, error) {
	course := func(m interface {
		GetCourse() *coursev1.CourseSummary
	}) []string {
		return []string{biz.Item(biz.ItemCourse, m.GetCourse().GetCourseId())}
	}
	post := func(m interface{ GetPost() *coursev1.NewsSummary }) []string {
		return []string{biz.Item(biz.ItemNews, m.GetPost().GetPostId())}
	}
	switch e.Topic {
	case outbox.TopicOf(&coursev1.CoursePublished{}):
		var m coursev1.CoursePublished
		err := e.Decode(&m)
		return course(&m), err
	case outbox.TopicOf(&coursev1.CourseUpdated{}):
		var m coursev1.CourseUpdated
		err := e.Decode(&m)
		return course(&m), err
	case outbox.TopicOf(&coursev1.CourseArchived{}):
		var m coursev1.CourseArchived
		err := e.Decode(&m)
		return course(&m), err
	case outbox.TopicOf(&coursev1.CourseDeleted{}):
		var m coursev1.CourseDeleted
		err := e.Decode(&m)
		return []string{biz.Item(biz.ItemCourse, m.GetCourseId())}, err
	case outbox.TopicOf(&coursev1.AssignmentChanged{}):
		var m coursev1.AssignmentChanged
		err := e.Decode(&m)
		return []string{biz.Item(biz.ItemCourse, m.GetCourseId())}, err
	case outbox.TopicOf(&coursev1.NewsPublished{}):
		var m coursev1.NewsPublished
		err := e.Decode(&m)
		return post(&m), err
	case outbox.TopicOf(&coursev1.NewsUpdated{}):
		var m coursev1.NewsUpdated
		err := e.Decode(&m)
		return post(&m), err
	case outbox.TopicOf(&coursev1.NewsDeleted{}):
		var m coursev1.NewsDeleted
		err := e.Decode(&m)
		return []string{biz.Item(biz.ItemNews, m.GetPostId())}, err
	case outbox.TopicOf(&quizv1.QuestionChanged{}):
		var m quizv1.QuestionChanged
		err := e.Decode(&m)
		return []string{biz.Item(biz.ItemQuestion, m.GetQuestionId())}, err
	}
	return nil, nil // a topic routed here by mistake changes nothing
}

// apply marks the event's items for a sync, inside the inbox's transaction, and queues the syncs
// once it commits.
func (m *Module) apply(ctx context.Context, e *outbox.Event) error {
	its, err := items(e)
	if err != nil {
		return err
	}
	var valid []string
	for _, it := range its {
		if _, _, err := biz.ParseItem(it); err == nil {
			valid = append(valid, it)
		}
	}
	if len(valid) == 0 {
		return nil
	}
	due, err := m.indexer.Mark(ctx, valid, e.Topic)
	if err != nil {
		return err
	}
	dbx.AfterCommit(ctx, func() {
		m.indexer.Kick(dbx.Detach(context.WithoutCancel(ctx)), valid, due)
	})
	return nil
}

var _ interface {
	kit.Module
	kit.Worker
	kit.Concurrent
} = (*Module)(nil)

// WorkerConcurrency is four task slots per CPU: search's tasks (an event applied and
// acknowledged, a sync reading course's or quiz's feed) mostly wait, and with Bleve it runs as
// one process. With one slot per CPU it applied a publish storm's events seconds behind
// (the harness's search scenario, 37 changes/s: change → searchable p50 4.8 s; 0.89 s with
// four per CPU).
func (m *Module) WorkerConcurrency() int { return 4 * runtime.NumCPU() }

// Name is the service's name.
func (m *Module) Name() string { return Name }

// Queues are the search queue (events, syncs, reindexes).
func (m *Module) Queues() map[string]int { return map[string]int{Queue: 1} }

// Migrate creates or upgrades the schema.
func (m *Module) Migrate(ctx context.Context) error { return m.data.Migrate(ctx) }

// Ready reports whether the database answers.
func (m *Module) Ready(ctx context.Context) error { return m.data.Ping(ctx) }

// RegisterHTTP mounts the search API.
func (m *Module) RegisterHTTP(srv *khttp.Server) { server.RegisterHTTP(srv, m.service) }

// RegisterGRPC mounts the search API.
func (m *Module) RegisterGRPC(srv *kgrpc.Server) { server.RegisterGRPC(srv, m.service) }

// RegisterTasks registers the event inbox ("search:event"), the syncs ("search:sync") and the
// reindex ("search:reindex").
func (m *Module) RegisterTasks(srv *queue.Server) {
	srv.Handle(outbox.TaskType(Name), m.inbox)
	srv.HandleFunc(data.TaskSync, func(ctx context.Context, t *asynq.Task) error {
		item, err := data.DecodeSync(t)
		if err != nil {
			return err
		}
		return m.indexer.Sync(ctx, item)
	})
	srv.HandleFunc(data.TaskReindex, func(ctx context.Context, _ *asynq.Task) error { return m.indexer.Reindex(ctx) })
}

// Reconcile is one reconciler pass: the live index follows the database, lost syncs are queued
// again, and the first start (nothing indexed yet) or a stopped reindex starts a reindex.
func (m *Module) Reconcile(ctx context.Context) error { return m.indexer.Reconcile(ctx) }

// Reindex runs a requested reindex as the "search:reindex" task does (tests, tools).
func (m *Module) Reindex(ctx context.Context) error { return m.indexer.Reindex(ctx) }

// RequestReindex asks for a reindex (tests, tools).
func (m *Module) RequestReindex(ctx context.Context) error {
	_, err := m.indexer.RequestReindex(ctx)
	return err
}

// IndexState is the index's live generation and the reindex's state (idle, requested, running),
// as the database holds them.
func (m *Module) IndexState(ctx context.Context) (generation int64, reindex string, documents int, err error) {
	st, err := m.indexer.State(ctx)
	if err != nil {
		return 0, "", 0, err
	}
	return st.Generation, st.Reindex, st.Documents, nil
}

// Close closes the index and the database.
func (m *Module) Close() error { return errors.Join(m.index.Close(), m.data.Close()) }
