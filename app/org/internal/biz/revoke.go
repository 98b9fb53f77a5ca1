package biz

import (
	"context"
	"time"

	"github.com/vanguard/vanguard/pkg/auth"
)

// RevocationPublisher broadcasts ended sessions to every process that verifies access tokens
// (pkg/revoke over Redis). The database stays the truth: a revocation whose publish failed is
// published again by RepublishRevocations.
type RevocationPublisher interface {
	Publish(ctx context.Context, revs ...auth.Revocation) error
}

// publishTimeout bounds the publish a request waits for after its transaction committed.
const publishTimeout = 2 * time.Second

// publishRevocation broadcasts rev after the transaction that recorded it has committed. A
// failure does not fail the request (the change is committed and the publisher logs it); the
// periodic republish delivers it.
func publishRevocation(ctx context.Context, pub RevocationPublisher, rev auth.Revocation) {
	if pub == nil || rev.UserID == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), publishTimeout)
	defer cancel()
	_ = pub.Publish(ctx, rev)
}

// SetRevocationPublisher makes the use case broadcast the sessions it ends through pub. Call it
// before serving; without a publisher, revoked access tokens stay valid until they expire.
func (uc *AccountUsecase) SetRevocationPublisher(pub RevocationPublisher) { uc.revocations = pub }

// SetRevocationPublisher makes the use case broadcast the sessions it ends (own password change)
// through pub, and lets RepublishRevocations use it. Call it before serving.
func (uc *AuthUsecase) SetRevocationPublisher(pub RevocationPublisher) { uc.revocations = pub }

// RepublishRevocations publishes again every revocation recent enough to cover unexpired access
// tokens, and reports how many. The org service runs it at start (an embedded Redis starts
// empty) and periodically (a publish may have failed while Redis was down).
func (uc *AuthUsecase) RepublishRevocations(ctx context.Context) (int, error) {
	if uc.revocations == nil {
		return 0, nil
	}
	revs, err := uc.tokens.RevocationsSince(ctx, uc.clock.Now().Add(-auth.RevocationTTL))
	if err != nil || len(revs) == 0 {
		return 0, err
	}
	return len(revs), uc.revocations.Publish(ctx, revs...)
}
