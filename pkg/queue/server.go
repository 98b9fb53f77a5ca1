package queue

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"reflect"
	"runtime/debug"
	"sort"
	"sync"
	"time"

	"github.com/go-kratos/kratos/v2"
	"github.com/go-kratos/kratos/v2/log"
	"github.com/go-kratos/kratos/v2/transport"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
)

// ErrHandlerPanic is wrapped by the error a task fails with when its handler panicked, so error
// handlers and tests can tell a crash from an ordinary failure with errors.Is.
var ErrHandlerPanic = errors.New("queue: task handler panicked")

// pingTimeout bounds the Redis check Start makes before it starts any worker.
const pingTimeout = 5 * time.Second

// Config tunes a worker Server. The zero value processes the "default" queue with one worker
// per CPU and asynq's defaults for every interval; services set Queues to their own queue
// names, and tests shorten the intervals.
type Config struct {
	// Queues maps each queue this server pulls from to its priority: with {"course": 6,
	// "default": 1}, tasks of "course" are picked six times as often while both have work.
	// Every priority must be positive. Empty means asynq's single "default" queue.
	Queues map[string]int
	// StrictPriority makes a lower-priority queue wait until every higher one is empty.
	StrictPriority bool
	// Concurrency is the number of tasks processed at once; zero means one per CPU.
	Concurrency int
	// ShutdownTimeout is how long Stop lets running handlers finish before their contexts are
	// cancelled and their tasks are handed back to Redis for another worker; zero means asynq's
	// default of 8 seconds. Keep it below the Kratos stop timeout.
	ShutdownTimeout time.Duration
	// RetryDelayFunc decides how long a failed task waits before its next attempt; nil means
	// asynq's exponential backoff. Tests pass a few milliseconds.
	RetryDelayFunc asynq.RetryDelayFunc
	// TaskCheckInterval is how long an idle worker waits before looking for new tasks again;
	// zero means DefaultTaskCheck.
	TaskCheckInterval time.Duration
	// HealthCheckInterval is how often the Redis connection is pinged (failures are logged);
	// zero means 15 seconds.
	HealthCheckInterval time.Duration
	// DelayedTaskCheckInterval is how often scheduled and retrying tasks that became due are
	// moved to their queue; zero means DefaultDelayedTaskCheck. It bounds how late a scheduled
	// task (a debounced sync or compile, a retry) can start.
	DelayedTaskCheckInterval time.Duration
}

// DefaultDelayedTaskCheck is how often a server moves due scheduled tasks to their queues when
// the config names no interval: Asynq's own 5 s made a search sync debounced by 300 ms wait 5 s
// (BenchmarkSearchLag); four checks a second cost one Redis script per queue each.
const DefaultDelayedTaskCheck = 250 * time.Millisecond

// DefaultTaskCheck is how long an idle server waits before looking for tasks again when the
// config names no interval (Asynq's own is 1 s): an event's task, then the sync it queues, each
// waited up to that on an idle process.
const DefaultTaskCheck = 100 * time.Millisecond

func (c Config) validate() error {
	for name, prio := range c.Queues {
		if name == "" {
			return errors.New("queue: config: empty queue name")
		}
		if prio <= 0 {
			return fmt.Errorf("queue: config: queue %q: priority must be positive, got %d", name, prio)
		}
	}
	durations := []struct {
		name string
		d    time.Duration
	}{
		{"ShutdownTimeout", c.ShutdownTimeout},
		{"TaskCheckInterval", c.TaskCheckInterval},
		{"HealthCheckInterval", c.HealthCheckInterval},
		{"DelayedTaskCheckInterval", c.DelayedTaskCheckInterval},
	}
	for _, d := range durations {
		if d.d < 0 {
			return fmt.Errorf("queue: config: %s must not be negative, got %v", d.name, d.d)
		}
	}
	if c.Concurrency < 0 {
		return fmt.Errorf("queue: config: Concurrency must not be negative, got %d", c.Concurrency)
	}
	return nil
}

// Server is the worker side of a service: an asynq.Server with its ServeMux, run as a Kratos
// transport server next to the HTTP and gRPC servers, so one binary can serve the API, run the
// workers, or both. Register handlers with Handle before Start.
//
// Every handler runs behind a middleware that turns a panic into an error wrapping
// ErrHandlerPanic (logged with its stack), and every failed attempt is logged with the task's
// type, id, queue and retry count.
type Server struct {
	srv    *asynq.Server
	mux    *asynq.ServeMux
	rc     redis.UniversalClient
	log    *log.Helper
	queues map[string]int

	mu            sync.Mutex
	started       bool
	running       bool          // asynq.Server.Start succeeded
	stopRequested bool          // Stop was called or Start's context ended
	stopping      chan struct{} // closed when a stop is requested
	done          chan struct{} // closed once shutdown has finished and Redis is released
}

var _ transport.Server = (*Server)(nil)

// NewServer returns a worker server on the Redis at opt (one of asynq's RedisClientOpt,
// RedisFailoverClientOpt or RedisClusterOpt). It connects lazily: Start checks that Redis
// answers. An invalid cfg is reported here, not at run time.
func NewServer(opt asynq.RedisConnOpt, cfg Config, logger log.Logger) (*Server, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	rc, err := redisClient(opt)
	if err != nil {
		return nil, err
	}
	if logger == nil {
		logger = log.GetLogger()
	}
	logger = log.With(logger, "module", "queue")
	helper := log.NewHelper(logger)
	s := &Server{
		mux:      asynq.NewServeMux(),
		rc:       rc,
		log:      helper,
		queues:   cfg.Queues,
		stopping: make(chan struct{}),
		done:     make(chan struct{}),
	}
	s.mux.Use(traceTasks, recoverPanics(helper))
	s.srv = asynq.NewServerFromRedisClient(rc, asynq.Config{
		Concurrency:              cfg.Concurrency,
		Queues:                   cfg.Queues,
		StrictPriority:           cfg.StrictPriority,
		ShutdownTimeout:          cfg.ShutdownTimeout,
		RetryDelayFunc:           cfg.RetryDelayFunc,
		TaskCheckInterval:        cmp.Or(cfg.TaskCheckInterval, DefaultTaskCheck),
		HealthCheckInterval:      cfg.HealthCheckInterval,
		DelayedTaskCheckInterval: cmp.Or(cfg.DelayedTaskCheckInterval, DefaultDelayedTaskCheck),
		ErrorHandler:             asynq.ErrorHandlerFunc(s.logFailure),
		HealthCheckFunc: func(err error) {
			if err != nil {
				helper.Warnw("msg", "redis health check failed", "error", err)
			}
		},
		Logger: asynqLogger{logger: logger},
	})
	return s, nil
}

// Handle registers h for tasks of taskType (asynq matches the longest registered prefix of a
// task's type). Like http.ServeMux it panics on an empty type, a nil handler or a second
// registration of the same type: those are wiring mistakes found at the first start.
func (s *Server) Handle(taskType string, h asynq.Handler) {
	s.mux.Handle(taskType, h)
}

// HandleFunc registers f for tasks of taskType; see Handle.
func (s *Server) HandleFunc(taskType string, f func(context.Context, *asynq.Task) error) {
	s.mux.HandleFunc(taskType, f)
}

// Start checks that Redis answers, starts the workers and blocks until Stop is called or ctx
// ends (which stops the server gracefully too). It returns an error if Redis is unreachable or
// the server was started before; it returns nil once stopped.
func (s *Server) Start(ctx context.Context) error {
	s.mu.Lock()
	if s.started {
		s.mu.Unlock()
		return errors.New("queue: server already started")
	}
	s.started = true
	stopped := s.stopRequested
	s.mu.Unlock()
	if stopped {
		return nil
	}

	pctx, cancel := context.WithTimeout(ctx, pingTimeout)
	err := s.rc.Ping(pctx).Err()
	cancel()
	if err != nil {
		return fmt.Errorf("queue: redis unreachable: %w", err)
	}

	s.mu.Lock()
	if s.stopRequested {
		s.mu.Unlock()
		return nil
	}
	if err := s.srv.Start(s.mux); err != nil {
		s.mu.Unlock()
		return fmt.Errorf("queue: start: %w", err)
	}
	s.running = true
	s.mu.Unlock()
	s.log.Infow("msg", "queue server started", "queues", queueList(s.queues))

	select {
	case <-s.stopping:
	case <-ctx.Done():
		s.requestStop()
	}
	<-s.done
	return nil
}

// Stop stops taking new tasks and waits for running handlers to finish, up to the
// ShutdownTimeout from Config; handlers still running then get a cancelled context and their
// tasks go back to Redis. If ctx ends first, Stop returns ctx.Err() and the shutdown carries on
// in the background. Stop may be called more than once and before Start.
func (s *Server) Stop(ctx context.Context) error {
	s.requestStop()
	select {
	case <-s.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("queue: stop: %w", ctx.Err())
	}
}

// requestStop begins the shutdown once, whoever asks first.
func (s *Server) requestStop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopRequested {
		return
	}
	s.stopRequested = true
	close(s.stopping)
	if !s.running {
		_ = s.rc.Close()
		close(s.done)
		return
	}
	go func() {
		s.srv.Shutdown()
		if err := s.rc.Close(); err != nil {
			s.log.Warnw("msg", "closing redis client", "error", err)
		}
		s.log.Info("queue server stopped")
		close(s.done)
	}()
}

// logFailure records each failed attempt; whether asynq retries or archives the task follows
// from the retry counts and asynq.SkipRetry.
func (s *Server) logFailure(ctx context.Context, task *asynq.Task, err error) {
	id, _ := asynq.GetTaskID(ctx)
	retried, _ := asynq.GetRetryCount(ctx)
	maxRetry, _ := asynq.GetMaxRetry(ctx)
	queue, _ := asynq.GetQueueName(ctx)
	final := retried >= maxRetry || errors.Is(err, asynq.SkipRetry)
	s.log.WithContext(ctx).Errorw(
		"msg", "task failed",
		"task_type", task.Type(),
		"task_id", id,
		"queue", queue,
		"retry", retried,
		"max_retry", maxRetry,
		"archived", final,
		"error", err,
	)
}

// recoverPanics turns a handler panic into an error so a bug in one handler fails that task
// (which is retried like any failure) instead of taking the worker process down.
func recoverPanics(logger *log.Helper) asynq.MiddlewareFunc {
	return func(next asynq.Handler) asynq.Handler {
		return asynq.HandlerFunc(func(ctx context.Context, task *asynq.Task) (err error) {
			defer func() {
				if r := recover(); r != nil {
					id, _ := asynq.GetTaskID(ctx)
					logger.WithContext(ctx).Errorw("msg", "task handler panicked", "task_type", task.Type(), "task_id", id,
						"panic", fmt.Sprint(r), "stack", string(debug.Stack()))
					err = fmt.Errorf("%w: %s: %v", ErrHandlerPanic, task.Type(), r)
				}
			}()
			return next.ProcessTask(ctx, task)
		})
	}
}

// Servers returns a kratos.Server option for the given transport servers, leaving out nil ones
// (also typed nils such as a nil *Server), so a binary can pass its HTTP, gRPC, worker and
// reconciler servers in one call whichever roles it runs:
//
//	app := kratos.New(kratos.Name("course"), queue.Servers(hs, gs, worker, reconciler))
func Servers(servers ...transport.Server) kratos.Option {
	var keep []transport.Server
	for _, srv := range servers {
		if srv == nil {
			continue
		}
		if v := reflect.ValueOf(srv); v.Kind() == reflect.Pointer && v.IsNil() {
			continue
		}
		keep = append(keep, srv)
	}
	return kratos.Server(keep...)
}

// redisClient builds the client for opt, reporting unsupported option types as an error where
// asynq would panic.
func redisClient(opt asynq.RedisConnOpt) (redis.UniversalClient, error) {
	if opt == nil {
		return nil, errors.New("queue: no redis connection option")
	}
	c, ok := opt.MakeRedisClient().(redis.UniversalClient)
	if !ok {
		return nil, fmt.Errorf("queue: unsupported redis connection option %T", opt)
	}
	return c, nil
}

func queueList(queues map[string]int) []string {
	if len(queues) == 0 {
		return []string{"default"}
	}
	out := make([]string, 0, len(queues))
	for q, p := range queues {
		out = append(out, fmt.Sprintf("%s:%d", q, p))
	}
	sort.Strings(out)
	return out
}

// asynqLogger sends asynq's own messages to the Kratos logger. Fatal only logs: asynq does not
// rely on it to exit, and a library must not end the process.
type asynqLogger struct{ logger log.Logger }

func (l asynqLogger) log(level log.Level, args ...any) {
	_ = l.logger.Log(level, "msg", fmt.Sprint(args...), "source", "asynq")
}

func (l asynqLogger) Debug(args ...any) { l.log(log.LevelDebug, args...) }
func (l asynqLogger) Info(args ...any)  { l.log(log.LevelInfo, args...) }
func (l asynqLogger) Warn(args ...any)  { l.log(log.LevelWarn, args...) }
func (l asynqLogger) Error(args ...any) { l.log(log.LevelError, args...) }
func (l asynqLogger) Fatal(args ...any) { l.log(log.LevelFatal, args...) }
