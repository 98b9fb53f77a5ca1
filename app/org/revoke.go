package org

import (
	"context"
	"time"

	"github.com/go-kratos/kratos/v2/log"
	"github.com/go-kratos/kratos/v2/transport"
	"github.com/redis/go-redis/v9"

	"github.com/vanguard/vanguard/app/org/internal/biz"
	"github.com/vanguard/vanguard/pkg/authn"
	"github.com/vanguard/vanguard/pkg/clock"
	"github.com/vanguard/vanguard/pkg/queue"
	"github.com/vanguard/vanguard/pkg/revoke"
)

// RepublishInterval is how often org publishes its recent revocations again, so one whose
// publish failed (Redis down) still reaches every process.
const RepublishInterval = time.Minute

// RevocationPublisher broadcasts ended sessions to every process (pkg/revoke's Broadcaster).
type RevocationPublisher = biz.RevocationPublisher

// SetRevocationPublisher makes the service broadcast every session it ends (password reset or
// change, account disabled, roles or org changed) through pub. Call it before serving.
func (m *Module) SetRevocationPublisher(pub RevocationPublisher) {
	m.accounts.SetRevocationPublisher(pub)
	m.sessions.SetRevocationPublisher(pub)
}

// RepublishRevocations publishes again, from the database, every revocation still recent enough
// to cover unexpired access tokens.
func (m *Module) RepublishRevocations(ctx context.Context) error {
	n, err := m.sessions.RepublishRevocations(ctx)
	if n > 0 {
		m.log.WithContext(ctx).Debugw("msg", "revocations republished", "count", n)
	}
	return err
}

// ServeRevocations wires session revocation into a process that runs the org service: org
// publishes through rdb (and republishes its recent revocations now, since an embedded Redis
// starts empty), and verifier refuses revoked tokens, listening through rdb. It returns the
// servers the process must run: the subscriber and the periodic republisher.
func (m *Module) ServeRevocations(ctx context.Context, rdb redis.UniversalClient, verifier *authn.Verifier, clk clock.Clock, logger log.Logger) []transport.Server {
	opts := revoke.Options{Clock: clk, Logger: logger}
	m.SetRevocationPublisher(revoke.NewBroadcaster(rdb, opts))
	rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	if err := m.RepublishRevocations(rctx); err != nil {
		m.log.WithContext(ctx).Warnw("msg", "republishing revocations at start failed; retried periodically", "error", err)
	}
	cancel()
	sub := revoke.Listen(ctx, rdb, verifier, opts)
	return []transport.Server{sub, queue.NewReconciler("org-revocations", RepublishInterval, m.RepublishRevocations, logger)}
}
