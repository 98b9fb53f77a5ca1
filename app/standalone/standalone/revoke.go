package standalone

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/go-kratos/kratos/v2/log"
	"github.com/hibiken/asynq"

	"github.com/vanguard/vanguard/pkg/authn"
	"github.com/vanguard/vanguard/pkg/clock"
	"github.com/vanguard/vanguard/pkg/revoke"
)

// startRevocations wires session revocation for the whole process: org publishes every session
// it ends through the queues' Redis (embedded or configured) and republishes its recent ones now
// (an embedded Redis starts empty); one subscriber feeds the verifier that every service of the
// process shares. They run from Build until Close, whichever servers the caller starts.
func (p *Process) startRevocations(redisOpt asynq.RedisConnOpt, verifier *authn.Verifier, clk clock.Clock, logger log.Logger) error {
	rdb, err := revoke.Client(redisOpt)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	servers := p.Org.ServeRevocations(ctx, rdb, verifier, clk, logger)
	var wg sync.WaitGroup
	for _, s := range servers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = s.Start(ctx)
		}()
	}
	p.closers = append(p.closers, func() error {
		stop, done := context.WithTimeout(context.Background(), 5*time.Second)
		defer done()
		var errs []error
		for _, s := range servers {
			errs = append(errs, s.Stop(stop))
		}
		cancel()
		wg.Wait()
		return errors.Join(append(errs, rdb.Close())...)
	})
	return nil
}
