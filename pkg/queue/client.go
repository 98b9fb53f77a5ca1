package queue

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
)

// allQueuesKey is the Redis set in which asynq lists every queue name (asynq's base.AllQueues).
const allQueuesKey = "asynq:queues"

// Client enqueues tasks. Services hold one per process (it is safe for concurrent use) and
// close it on shutdown.
//
// Conventions every service follows:
//
//   - Task types are "<service area>:<verb>" constants in the service ("media:probe",
//     "quiz:grade", "quiz:autosubmit", "growth:compile").
//   - Each service enqueues to its own queue, a constant in the service ("course", "quiz",
//     "growth"), passed with asynq.Queue, and its worker Server lists that queue in
//     Config.Queues.
//   - Task types, payloads and constructors live in the service's internal/task package, e.g.
//     task.NewProbe(lessonID, mediaKey) (*asynq.Task, []asynq.Option, error); payloads are
//     JSON; constructors return errors instead of dropping them.
//   - A task about one entity gets asynq.TaskID(TaskID(type, entityID)), i.e.
//     "<type>:<entity id>", so the same work is never queued twice: Enqueue then treats
//     "already queued" as success, and request handlers, retries and the Reconciler may all
//     enqueue freely. The id is free again once the task has completed (unless asynq.Retention
//     keeps it); an archived task (retries exhausted, or asynq.SkipRetry) keeps its id until an
//     admin runs or deletes it in the monitor.
//   - A handler that cannot decode its payload returns fmt.Errorf("decode ...: %w",
//     asynq.SkipRetry): retrying a malformed payload can never succeed, so it is archived at once.
type Client struct {
	c  *asynq.Client
	rc redis.UniversalClient
}

// NewClient returns a client for the Redis at opt. It connects lazily; an unsupported option
// type is reported as an error.
func NewClient(opt asynq.RedisConnOpt) (*Client, error) {
	rc, err := redisClient(opt)
	if err != nil {
		return nil, err
	}
	return &Client{c: asynq.NewClientFromRedisClient(rc), rc: rc}, nil
}

// TaskID returns the conventional asynq task id "<type>:<entity id>" for work on one entity,
// e.g. TaskID("media:probe", 7) == "media:probe:7".
func TaskID(taskType string, entityID int64) string {
	return taskType + ":" + strconv.FormatInt(entityID, 10)
}

// Enqueue puts task on its queue. A task whose asynq.TaskID (or asynq.Unique lock) is already
// taken counts as enqueued and returns nil: the work is queued, running or kept in the archive
// already. Any other failure (Redis down, invalid options) is returned wrapped with the task type.
func (c *Client) Enqueue(ctx context.Context, task *asynq.Task, opts ...asynq.Option) error {
	if task == nil {
		return errors.New("queue: enqueue: nil task")
	}
	task = withTraceContext(ctx, task)
	info, err := c.c.EnqueueContext(ctx, task, opts...)
	switch {
	case err == nil:
		// asynq registers a queue name in its queue set only on a client's first enqueue to
		// it. After Redis lost its data (a restart of the embedded server, a failover) the
		// reconciler refills the queue through this long-lived client, and without the name
		// in the set the monitor and the Inspector would not see the refilled queue (workers
		// would still process it). Registering on every enqueue costs one SADD.
		if err := c.rc.SAdd(ctx, allQueuesKey, info.Queue).Err(); err != nil {
			return fmt.Errorf("queue: enqueue %s: register queue %s: %w", task.Type(), info.Queue, err)
		}
		return nil
	case errors.Is(err, asynq.ErrTaskIDConflict), errors.Is(err, asynq.ErrDuplicateTask):
		return nil
	default:
		return fmt.Errorf("queue: enqueue %s: %w", task.Type(), err)
	}
}

// Close releases the Redis connections.
func (c *Client) Close() error {
	return c.rc.Close()
}

// Ping checks that the queue's Redis answers (readiness probes).
func (c *Client) Ping(ctx context.Context) error { return c.rc.Ping(ctx).Err() }
