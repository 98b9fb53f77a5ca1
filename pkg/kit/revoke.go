package kit

import (
	"context"

	"github.com/go-kratos/kratos/v2/log"
	"github.com/hibiken/asynq"

	"github.com/vanguard/vanguard/pkg/authn"
	"github.com/vanguard/vanguard/pkg/clock"
	"github.com/vanguard/vanguard/pkg/revoke"
)

// ListenRevocations makes verifier refuse the access tokens whose sessions org has ended
// (password reset, disabled account, role change …), heard through the Redis of the task
// queues. It returns the subscriber — a transport server the process must run, one per
// process — and a function that releases its Redis client after the subscriber stopped.
func ListenRevocations(ctx context.Context, redisOpt asynq.RedisConnOpt, verifier *authn.Verifier, clk clock.Clock, logger log.Logger) (*revoke.Subscriber, func() error, error) {
	rdb, err := revoke.Client(redisOpt)
	if err != nil {
		return nil, nil, err
	}
	sub := revoke.Listen(ctx, rdb, verifier, revoke.Options{Clock: clk, Logger: logger})
	return sub, rdb.Close, nil
}
