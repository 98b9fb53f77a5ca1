package authn

import (
	"sync"

	kerrors "github.com/go-kratos/kratos/v2/errors"

	"github.com/vanguard/vanguard/pkg/clock"

	"github.com/vanguard/vanguard/pkg/auth"
)

// Session revocation.
//
// Every account has a session version in the org database, and every access token carries the
// version of its account at signing time (the "sv" claim). When org ends an account's sessions
// (password reset or change, account disabled, roles or primary org changed) it raises the
// version in the same transaction and broadcasts a Revocation{UserID, Version}: "tokens of this
// user with a version below Version are invalid". Each process keeps the revocations it has
// heard of in a Revocations list, which the Verifier consults on every token check.
//
// A version counter rather than a comparison of issue times: the JWT iat claim has second
// precision, so a token issued in the same second as the revocation (the new sign-in right after
// a password change) could not be told apart from the revoked ones, and org replicas' clocks
// differ by milliseconds; the version is read from the same database row the revocation wrote,
// so a token signed after the revocation committed always carries the new version. Tokens
// without the claim (signed before it existed) count as version 0.

// ReasonTokenRevoked is the 401 reason of an access token whose sessions were ended by a
// password change or reset, a disabled account or changed roles; clients sign in again (the
// refresh tokens were revoked with it).
const ReasonTokenRevoked = "TOKEN_REVOKED"

// ErrTokenRevoked is returned for an access token that was revoked before it expired.
func ErrTokenRevoked() *kerrors.Error {
	return kerrors.Unauthorized(ReasonTokenRevoked, "登录凭证已失效，请重新登录")
}

// Revocations is a process's in-memory revocation list: per user, the latest revocation heard of.
// It is safe for concurrent use; Revoked is a map lookup under a read lock.
type Revocations struct {
	clock clock.Clock
	mu    sync.RWMutex
	users map[int64]auth.Revocation
}

// NewRevocations returns an empty list that reads the time (to forget old revocations) from clk.
func NewRevocations(clk clock.Clock) *Revocations {
	if clk == nil {
		clk = clock.Real{}
	}
	return &Revocations{clock: clk, users: make(map[int64]auth.Revocation)}
}

// Add records revs, keeping the highest version per user, and reports how many raised a user's
// version. Revocations older than RevocationTTL are ignored: every token they cover has expired.
func (r *Revocations) Add(revs ...auth.Revocation) int {
	oldest := r.clock.Now().Add(-auth.RevocationTTL)
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, rev := range revs {
		if rev.UserID <= 0 || rev.Version <= 0 || rev.At.Before(oldest) {
			continue
		}
		if cur, ok := r.users[rev.UserID]; ok && cur.Version >= rev.Version {
			continue
		}
		r.users[rev.UserID] = rev
		n++
	}
	return n
}

// Revoked reports whether an access token of userID signed with session version version has
// been revoked.
func (r *Revocations) Revoked(userID, version int64) bool {
	r.mu.RLock()
	rev, ok := r.users[userID]
	r.mu.RUnlock()
	return ok && version < rev.Version
}

// Prune forgets revocations older than RevocationTTL and reports how many it dropped.
func (r *Revocations) Prune() int {
	oldest := r.clock.Now().Add(-auth.RevocationTTL)
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for uid, rev := range r.users {
		if rev.At.Before(oldest) {
			delete(r.users, uid)
			n++
		}
	}
	return n
}

// Len returns how many users have a remembered revocation.
func (r *Revocations) Len() int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return len(r.users)
}

// UseRevocations makes v refuse, with ErrTokenRevoked, every token that list says is revoked.
// It may be called while v is in use.
func (v *Verifier) UseRevocations(list *Revocations) { v.revocations.Store(list) }

// revoked reports whether the token of userID with session version version is revoked.
func (v *Verifier) revoked(userID, version int64) bool {
	list := v.revocations.Load()
	return list != nil && list.Revoked(userID, version)
}
