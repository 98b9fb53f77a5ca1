package biz

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/vanguard/vanguard/pkg/auth"
	"github.com/vanguard/vanguard/pkg/bizerr"
	"github.com/vanguard/vanguard/pkg/clock"
)

// RefreshToken is one stored refresh token (by hash). Tokens issued by rotation share Family.
type RefreshToken struct {
	ID        int64
	Hash      string
	Family    string
	AccountID int64
	ExpiresAt time.Time
	UsedAt    *time.Time
	RevokedAt *time.Time
}

// TokenRepo stores refresh tokens.
type TokenRepo interface {
	Create(ctx context.Context, t *RefreshToken) error
	// GetForUpdate finds a token by hash and locks it for the rest of the transaction.
	GetForUpdate(ctx context.Context, hash string) (*RefreshToken, error)
	// MarkUsed marks a token used, only if it was unused; it reports whether it did.
	MarkUsed(ctx context.Context, id int64, at time.Time) (bool, error)
	RevokeFamily(ctx context.Context, family string, at time.Time) error
	// RevokeAccount ends every session of the account: its refresh tokens are revoked and its
	// session version goes up, stamped at (see auth.Revocation). It returns the revocation to
	// broadcast once the transaction has committed.
	RevokeAccount(ctx context.Context, accountID int64, at time.Time) (auth.Revocation, error)
	// RevocationsSince returns the latest revocation of every account whose sessions ended at
	// or after t.
	RevocationsSince(ctx context.Context, t time.Time) ([]auth.Revocation, error)
}

// LoginFailureRepo counts failed sign-ins per username.
type LoginFailureRepo interface {
	Add(ctx context.Context, username string, at time.Time) error
	// Since returns how many failures username has at or after t, and the earliest of them.
	Since(ctx context.Context, username string, t time.Time) (int, time.Time, error)
	Clear(ctx context.Context, username string) error
}

// AuthConfig sets token lifetimes and the brute-force limit.
type AuthConfig struct {
	RefreshTTL time.Duration
	// MaxFailures failed sign-ins per username within FailureWindow lock the username until the
	// oldest failure leaves the window.
	MaxFailures   int
	FailureWindow time.Duration
}

// DefaultAuthConfig is 7-day refresh tokens and 10 failures per 15 minutes.
func DefaultAuthConfig() AuthConfig {
	return AuthConfig{RefreshTTL: 7 * 24 * time.Hour, MaxFailures: 10, FailureWindow: 15 * time.Minute}
}

// TokenPair is what a successful sign-in or refresh returns.
type TokenPair struct {
	AccessToken      string
	AccessExpiresAt  time.Time
	RefreshToken     string
	RefreshExpiresAt time.Time
	Account          *Account
	// TempBranches are the temporary branches the access token carries.
	TempBranches []ActiveTemp
}

// TokenSigner signs access tokens for principals (pkg/authn.Signer).
type TokenSigner interface {
	Sign(p *auth.Principal) (token string, expires time.Time, err error)
}

// AuthUsecase signs accounts in and out.
type AuthUsecase struct {
	cfg      AuthConfig
	accounts AccountRepo
	tokens   TokenRepo
	failures LoginFailureRepo
	hasher   PasswordHasher
	signer   TokenSigner
	clock    clock.Clock
	tx       Transaction
	// revocations broadcasts ended sessions; see SetRevocationPublisher.
	revocations RevocationPublisher
	// tempBranches gives the temporary branches an account's tokens carry; see SetTempBranches.
	tempBranches func(ctx context.Context, accountID int64) ([]ActiveTemp, error)
	// dummyHash is verified against when the username is unknown, so timing does not reveal
	// which usernames exist.
	dummyHash string
}

// NewAuthUsecase wires an AuthUsecase.
func NewAuthUsecase(cfg AuthConfig, accounts AccountRepo, tokens TokenRepo, failures LoginFailureRepo, hasher PasswordHasher, signer TokenSigner, clk clock.Clock, tx Transaction) (*AuthUsecase, error) {
	dummy, err := hasher.Hash("vanguard-dummy-password-0")
	if err != nil {
		return nil, err
	}
	return &AuthUsecase{cfg: cfg, accounts: accounts, tokens: tokens, failures: failures, hasher: hasher, signer: signer, clock: clk, tx: tx, dummyHash: dummy}, nil
}

// Login checks the password and issues a token pair. Failures are counted per account; once the
// limit is reached every attempt is refused with a RateLimitError until the window passes.
func (uc *AuthUsecase) Login(ctx context.Context, login, password string) (*TokenPair, error) {
	login = strings.TrimSpace(login)
	now := uc.clock.Now()
	a, err := uc.accounts.GetByLogin(ctx, login)
	if err != nil && !errors.Is(err, ErrAccountNotFound) {
		return nil, err
	}
	// Failures count per account, whichever name (username or phone) was typed; for unknown
	// names per name, so probing for accounts is limited the same way.
	key := failureKey(a, login)
	if err := uc.checkFailures(ctx, key, now); err != nil {
		return nil, err
	}
	hash := uc.dummyHash
	if a != nil && a.PasswordHash != "" {
		hash = a.PasswordHash
	}
	ok, err := uc.hasher.Verify(password, hash)
	if err != nil {
		return nil, err
	}
	if a == nil || !ok {
		if err := uc.failures.Add(ctx, key, now); err != nil {
			return nil, err
		}
		return nil, ErrInvalidCredentials
	}
	if a.Status != StatusActive {
		return nil, ErrAccountDisabled
	}
	if err := uc.failures.Clear(ctx, key); err != nil {
		return nil, err
	}
	var pair *TokenPair
	err = uc.tx.InTx(ctx, func(ctx context.Context) error {
		pair, err = uc.issue(ctx, a, newFamily())
		return err
	})
	return pair, err
}

func failureKey(a *Account, login string) string {
	if a != nil {
		return "id:" + strconv.FormatInt(a.ID, 10)
	}
	return strings.ToLower(login)
}

// checkFailures returns a RateLimitError once key has MaxFailures failures in the window; the
// wait lasts until the oldest of them leaves the window.
func (uc *AuthUsecase) checkFailures(ctx context.Context, key string, now time.Time) error {
	n, oldest, err := uc.failures.Since(ctx, key, now.Add(-uc.cfg.FailureWindow))
	if err != nil {
		return err
	}
	if n < uc.cfg.MaxFailures {
		return nil
	}
	wait := oldest.Add(uc.cfg.FailureWindow).Sub(now)
	if wait < time.Second {
		wait = time.Second
	}
	return &RateLimitError{RetryAfter: wait}
}

// Refresh rotates a refresh token. A token that was already used (or revoked) revokes its whole
// family: either the client or a thief replayed it, and both lose the session.
func (uc *AuthUsecase) Refresh(ctx context.Context, token string) (*TokenPair, error) {
	now := uc.clock.Now()
	var pair *TokenPair
	var reused *RefreshToken
	err := uc.tx.InTx(ctx, func(ctx context.Context) error {
		t, err := uc.tokens.GetForUpdate(ctx, hashToken(token))
		if err != nil {
			if errors.Is(err, ErrRefreshTokenNotFound) {
				return ErrInvalidRefreshToken
			}
			return err
		}
		if t.RevokedAt != nil || t.UsedAt != nil {
			reused = t
			return ErrInvalidRefreshToken
		}
		if !now.Before(t.ExpiresAt) {
			return ErrInvalidRefreshToken
		}
		ok, err := uc.tokens.MarkUsed(ctx, t.ID, now)
		if err != nil {
			return err
		}
		if !ok {
			reused = t
			return ErrInvalidRefreshToken
		}
		a, err := uc.accounts.Get(ctx, t.AccountID)
		if err != nil {
			if errors.Is(err, ErrAccountNotFound) {
				return ErrInvalidRefreshToken
			}
			return err
		}
		if a.Status != StatusActive {
			return ErrAccountDisabled
		}
		pair, err = uc.issue(ctx, a, t.Family)
		return err
	})
	if reused != nil {
		// Outside the failed transaction so the revocation sticks.
		if rerr := uc.tokens.RevokeFamily(ctx, reused.Family, now); rerr != nil {
			return nil, rerr
		}
	}
	return pair, err
}

// Logout revokes the family of the given refresh token. Unknown tokens are ignored so logout
// is always safe to retry.
func (uc *AuthUsecase) Logout(ctx context.Context, token string) error {
	return uc.tx.InTx(ctx, func(ctx context.Context) error {
		t, err := uc.tokens.GetForUpdate(ctx, hashToken(token))
		if errors.Is(err, ErrRefreshTokenNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		return uc.tokens.RevokeFamily(ctx, t.Family, uc.clock.Now())
	})
}

// Me returns the caller's own account; a deleted or disabled account is unauthenticated.
func (uc *AuthUsecase) Me(ctx context.Context) (*Account, error) {
	p, err := requireHome(ctx)
	if err != nil {
		return nil, err
	}
	a, err := uc.accounts.Get(ctx, p.UserID)
	if errors.Is(err, ErrAccountNotFound) {
		return nil, bizerr.ErrUnauthenticated
	}
	if err != nil {
		return nil, err
	}
	if a.Status != StatusActive {
		return nil, ErrAccountDisabled
	}
	return a, nil
}

// ChangePassword checks the old password, sets the new one and ends every session of the
// account (the client signs in again).
func (uc *AuthUsecase) ChangePassword(ctx context.Context, oldPassword, newPassword string) error {
	p, err := requireHome(ctx)
	if err != nil {
		return err
	}
	if err := ValidatePassword("new_password", newPassword); err != nil {
		return err
	}
	if oldPassword == newPassword {
		return Invalid("new_password", "新密码不能与原密码相同")
	}
	a, err := uc.accounts.Get(ctx, p.UserID)
	if err != nil {
		if errors.Is(err, ErrAccountNotFound) {
			return bizerr.ErrUnauthenticated
		}
		return err
	}
	// Guessing the old password with a stolen access token is limited like signing in.
	now := uc.clock.Now()
	key := failureKey(a, "")
	if err := uc.checkFailures(ctx, key, now); err != nil {
		return err
	}
	ok, err := uc.hasher.Verify(oldPassword, a.PasswordHash)
	if err != nil {
		return err
	}
	if !ok {
		if err := uc.failures.Add(ctx, key, now); err != nil {
			return err
		}
		return ErrWrongPassword
	}
	hash, err := uc.hasher.Hash(newPassword)
	if err != nil {
		return err
	}
	var rev auth.Revocation
	err = uc.tx.InTx(ctx, func(ctx context.Context) error {
		must := false
		if _, err := uc.accounts.Update(ctx, a.ID, AccountPatch{PasswordHash: &hash, MustChangePassword: &must}); err != nil {
			return err
		}
		rev, err = uc.tokens.RevokeAccount(ctx, a.ID, now)
		return err
	})
	if err == nil {
		publishRevocation(ctx, uc.revocations, rev)
	}
	return err
}

// issue signs an access token and stores a new refresh token in family.
func (uc *AuthUsecase) issue(ctx context.Context, a *Account, family string) (*TokenPair, error) {
	pr := a.Principal()
	temps, err := uc.TempBranchesOf(ctx, a.ID)
	if err != nil {
		return nil, err
	}
	pr.TempPaths, pr.TempStaffPaths = tempPathsOf(temps)
	access, exp, err := uc.signer.Sign(pr)
	if err != nil {
		return nil, err
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return nil, err
	}
	refresh := base64.RawURLEncoding.EncodeToString(raw)
	rexp := uc.clock.Now().Add(uc.cfg.RefreshTTL)
	if err := uc.tokens.Create(ctx, &RefreshToken{Hash: hashToken(refresh), Family: family, AccountID: a.ID, ExpiresAt: rexp}); err != nil {
		return nil, err
	}
	return &TokenPair{AccessToken: access, AccessExpiresAt: exp, RefreshToken: refresh, RefreshExpiresAt: rexp, Account: a, TempBranches: temps}, nil
}

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

func newFamily() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
