package biz

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vanguard/vanguard/pkg/auth"
	"github.com/vanguard/vanguard/pkg/bizerr"
)

func (e *testEnv) failureCount(key string) int {
	n, _, _ := fakeFailureRepo{e.db}.Since(context.Background(), key, time.Time{})
	return n
}

func TestLoginOK(t *testing.T) {
	for _, login := range []string{"memberA", " memberA ", "13900000002"} {
		t.Run(login, func(t *testing.T) {
			e := newTestEnv(t)
			ctx := context.Background()
			// An earlier failure is cleared by a successful sign-in. Failures count per account,
			// whether the username or the phone number was typed.
			key := "id:" + itoa(e.acc["memberA"].ID)
			if _, err := e.authUC.Login(ctx, login, "wrong-pass1"); !errors.Is(err, ErrInvalidCredentials) {
				t.Fatalf("wrong password: %v", err)
			}
			if n := e.failureCount(key); n != 1 {
				t.Fatalf("failures for %q = %d, want 1", key, n)
			}
			pair, err := e.authUC.Login(ctx, login, testPassword)
			if err != nil {
				t.Fatal(err)
			}
			want := e.acc["memberA"]
			if pair.Account.ID != want.ID {
				t.Fatalf("signed in as %d, want %d", pair.Account.ID, want.ID)
			}
			p, err := e.verifier.Verify(pair.AccessToken)
			if err != nil {
				t.Fatalf("access token does not verify: %v", err)
			}
			wantP := want.Principal()
			wantP.TokenID = p.TokenID
			if diff := cmp.Diff(wantP, p); diff != "" {
				t.Errorf("token principal (-want +got):\n%s", diff)
			}
			if !pair.AccessExpiresAt.Equal(testT0.Add(auth.AccessTTL)) || !pair.RefreshExpiresAt.Equal(testT0.Add(e.cfg.RefreshTTL)) {
				t.Errorf("expiries %v / %v", pair.AccessExpiresAt, pair.RefreshExpiresAt)
			}
			toks := e.db.tokensOf(want.ID)
			sum := sha256.Sum256([]byte(pair.RefreshToken))
			if len(toks) != 1 || toks[0].Hash != hex.EncodeToString(sum[:]) || toks[0].Hash == pair.RefreshToken {
				t.Errorf("stored refresh tokens = %+v; want one, stored by SHA-256 hash only", toks)
			}
			if n := e.failureCount(key); n != 0 {
				t.Errorf("failures for %q after success = %d, want 0", key, n)
			}
		})
	}
}

func TestLoginFailures(t *testing.T) {
	tests := []struct {
		name     string
		login    string
		password string
		setup    func(e *testEnv)
		want     error
		failKey  string
		failures int
	}{
		{"wrong password", "memberA", "wrong-pass1", nil, ErrInvalidCredentials, "@memberA", 1},
		{"wrong password by phone counts for the account", "13900000002", "wrong-pass1", nil, ErrInvalidCredentials, "@memberA", 1},
		{"unknown login key is case-insensitive", "NoBody", "wrong-pass1", nil, ErrInvalidCredentials, "nobody", 1},
		{"unknown user", "nobody", testPassword, nil, ErrInvalidCredentials, "nobody", 1},
		{"disabled account with right password", "memberA", testPassword, disable("memberA"), ErrAccountDisabled, "@memberA", 0},
		{"disabled account with wrong password", "memberA", "wrong-pass1", disable("memberA"), ErrInvalidCredentials, "@memberA", 1},
		{"account without password", "memberA", "", clearHash("memberA"), ErrInvalidCredentials, "@memberA", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t)
			if tt.setup != nil {
				tt.setup(e)
			}
			pair, err := e.authUC.Login(context.Background(), tt.login, tt.password)
			if !errors.Is(err, tt.want) || pair != nil {
				t.Fatalf("Login = %v, %v; want %v", pair, err, tt.want)
			}
			key := tt.failKey
			if strings.HasPrefix(key, "@") {
				key = "id:" + itoa(e.acc[key[1:]].ID)
			}
			if n := e.failureCount(key); n != tt.failures {
				t.Errorf("failures for %q = %d, want %d", key, n, tt.failures)
			}
			if toks := e.db.tokensOf(e.acc["memberA"].ID); len(toks) != 0 {
				t.Errorf("failed sign-in issued tokens: %+v", toks)
			}
		})
	}
}

func disable(username string) func(e *testEnv) {
	return func(e *testEnv) {
		s := StatusDisabled
		if _, err := (fakeAccountRepo{e.db}).Update(context.Background(), e.acc[username].ID, AccountPatch{Status: &s}); err != nil {
			panic(err)
		}
	}
}

func clearHash(username string) func(e *testEnv) {
	return func(e *testEnv) {
		h := ""
		if _, err := (fakeAccountRepo{e.db}).Update(context.Background(), e.acc[username].ID, AccountPatch{PasswordHash: &h}); err != nil {
			panic(err)
		}
	}
}

func TestLoginRateLimit(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	if e.cfg.MaxFailures != 3 || e.cfg.FailureWindow != 15*time.Minute {
		t.Fatalf("test assumes 3 failures / 15 min, cfg = %+v", e.cfg)
	}
	// Failures at t0, t0+1m, t0+2m (username and phone: the same account, the same counter).
	for i, login := range []string{"memberA", "13900000002", "memberA"} {
		if i > 0 {
			e.clk.Advance(time.Minute)
		}
		if _, err := e.authUC.Login(ctx, login, "wrong-pass1"); !errors.Is(err, ErrInvalidCredentials) {
			t.Fatalf("failure %d: %v", i+1, err)
		}
	}
	steps := []struct {
		at        time.Duration // since t0
		password  string
		wantRetry time.Duration // 0: no rate limit expected
		wantErr   error
	}{
		{5 * time.Minute, testPassword, 10 * time.Minute, nil},
		{14*time.Minute + 30*time.Second, testPassword, 30 * time.Second, nil},
		{15*time.Minute - 200*time.Millisecond, testPassword, time.Second, nil}, // clamped to at least 1s
		{15*time.Minute + time.Second, testPassword, 0, nil},                    // oldest failure left the window
	}
	for _, s := range steps {
		e.clk.Set(testT0.Add(s.at))
		pair, err := e.authUC.Login(ctx, "memberA", s.password)
		var rl *RateLimitError
		if s.wantRetry > 0 {
			if !errors.As(err, &rl) {
				t.Fatalf("at +%v: error = %v, want *RateLimitError", s.at, err)
			}
			if rl.RetryAfter != s.wantRetry {
				t.Errorf("at +%v: RetryAfter = %v, want %v", s.at, rl.RetryAfter, s.wantRetry)
			}
			continue
		}
		if err != nil || pair == nil {
			t.Fatalf("at +%v: Login = %v, %v; want success after the window", s.at, pair, err)
		}
	}
	// The success cleared the failures: a fresh wrong attempt is an ordinary failure.
	if _, err := e.authUC.Login(ctx, "memberA", "wrong-pass1"); !errors.Is(err, ErrInvalidCredentials) {
		t.Fatalf("after success: %v", err)
	}
	// Another username is never affected.
	if _, err := e.authUC.Login(ctx, "staffA", testPassword); err != nil {
		t.Fatalf("other user: %v", err)
	}
}

func TestLoginRateLimitDoesNotCheckPassword(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	for range e.cfg.MaxFailures {
		_, _ = e.authUC.Login(ctx, "memberA", "wrong-pass1")
	}
	verifies := e.hasher.verifyCount()
	if _, err := e.authUC.Login(ctx, "memberA", "wrong-pass1"); !errors.As(err, new(*RateLimitError)) {
		t.Fatalf("error = %v, want *RateLimitError", err)
	}
	if n := e.failureCount("id:" + itoa(e.acc["memberA"].ID)); n != e.cfg.MaxFailures {
		t.Errorf("refused attempts must not extend the lock: failures = %d, want %d", n, e.cfg.MaxFailures)
	}
	if e.hasher.verifyCount() != verifies {
		t.Error("a rate-limited attempt still verified a password (brute force not stopped)")
	}
}

func TestRefreshRotationAndReuse(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	first, err := e.authUC.Login(ctx, "memberA", testPassword)
	if err != nil {
		t.Fatal(err)
	}
	other, err := e.authUC.Login(ctx, "memberA", testPassword) // a second device, own family
	if err != nil {
		t.Fatal(err)
	}
	e.clk.Advance(time.Minute)
	second, err := e.authUC.Refresh(ctx, first.RefreshToken)
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	if second.RefreshToken == first.RefreshToken || second.AccessToken == first.AccessToken {
		t.Fatal("refresh did not rotate the tokens")
	}
	if second.Account.ID != e.acc["memberA"].ID || !second.RefreshExpiresAt.Equal(e.clk.Now().Add(e.cfg.RefreshTTL)) {
		t.Errorf("second pair = %+v", second)
	}
	if _, err := e.verifier.Verify(second.AccessToken); err != nil {
		t.Errorf("rotated access token: %v", err)
	}
	// Replaying the used token fails and revokes the whole family, including the new token.
	if _, err := e.authUC.Refresh(ctx, first.RefreshToken); !errors.Is(err, ErrInvalidRefreshToken) {
		t.Fatalf("replayed token: error = %v, want ErrInvalidRefreshToken", err)
	}
	if _, err := e.authUC.Refresh(ctx, second.RefreshToken); !errors.Is(err, ErrInvalidRefreshToken) {
		t.Fatalf("token of a replayed family: error = %v, want ErrInvalidRefreshToken", err)
	}
	// The other device's family is untouched.
	if _, err := e.authUC.Refresh(ctx, other.RefreshToken); err != nil {
		t.Fatalf("other family: %v", err)
	}
}

func TestRefreshRefused(t *testing.T) {
	tests := []struct {
		name string
		act  func(t *testing.T, e *testEnv, pair *TokenPair) string // returns the token to refresh
		want error
	}{
		{"garbage token", func(t *testing.T, e *testEnv, p *TokenPair) string { return "garbage" }, ErrInvalidRefreshToken},
		{"empty token", func(t *testing.T, e *testEnv, p *TokenPair) string { return "" }, ErrInvalidRefreshToken},
		{"expired", func(t *testing.T, e *testEnv, p *TokenPair) string {
			e.clk.Advance(e.cfg.RefreshTTL)
			return p.RefreshToken
		}, ErrInvalidRefreshToken},
		{"after logout", func(t *testing.T, e *testEnv, p *TokenPair) string {
			if err := e.authUC.Logout(context.Background(), p.RefreshToken); err != nil {
				t.Fatal(err)
			}
			return p.RefreshToken
		}, ErrInvalidRefreshToken},
		{"after password change", func(t *testing.T, e *testEnv, p *TokenPair) string {
			if err := e.authUC.ChangePassword(e.as("memberA"), testPassword, "brandnew123"); err != nil {
				t.Fatal(err)
			}
			return p.RefreshToken
		}, ErrInvalidRefreshToken},
		{"account disabled", func(t *testing.T, e *testEnv, p *TokenPair) string {
			disable("memberA")(e)
			return p.RefreshToken
		}, ErrAccountDisabled},
		{"account deleted", func(t *testing.T, e *testEnv, p *TokenPair) string {
			e.db.mu.Lock()
			delete(e.db.st.Accounts, e.acc["memberA"].ID)
			e.db.mu.Unlock()
			return p.RefreshToken
		}, ErrInvalidRefreshToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t)
			pair, err := e.authUC.Login(context.Background(), "memberA", testPassword)
			if err != nil {
				t.Fatal(err)
			}
			tok := tt.act(t, e, pair)
			got, err := e.authUC.Refresh(context.Background(), tok)
			if !errors.Is(err, tt.want) || got != nil {
				t.Fatalf("Refresh = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
	t.Run("just before expiry works", func(t *testing.T) {
		e := newTestEnv(t)
		pair, err := e.authUC.Login(context.Background(), "memberA", testPassword)
		if err != nil {
			t.Fatal(err)
		}
		e.clk.Advance(e.cfg.RefreshTTL - time.Second)
		if _, err := e.authUC.Refresh(context.Background(), pair.RefreshToken); err != nil {
			t.Fatalf("Refresh just before expiry: %v", err)
		}
	})
	t.Run("disabled account keeps token unused", func(t *testing.T) {
		e := newTestEnv(t)
		pair, _ := e.authUC.Login(context.Background(), "memberA", testPassword)
		disable("memberA")(e)
		_, _ = e.authUC.Refresh(context.Background(), pair.RefreshToken)
		for _, tok := range e.db.tokensOf(e.acc["memberA"].ID) {
			if tok.UsedAt != nil {
				t.Errorf("failed refresh marked token used (transaction not rolled back): %+v", tok)
			}
		}
	})
}

func TestLogoutUnknownTokenIsNoop(t *testing.T) {
	e := newTestEnv(t)
	before := e.state()
	if err := e.authUC.Logout(context.Background(), "never-issued"); err != nil {
		t.Fatalf("Logout(unknown) = %v, want nil", err)
	}
	if diff := cmp.Diff(before, e.state()); diff != "" {
		t.Errorf("logout of unknown token changed the store:\n%s", diff)
	}
}

func TestChangePassword(t *testing.T) {
	tests := []struct {
		name     string
		old, new string
		want     any
	}{
		{"wrong old password", "wrong-pass1", "brandnew123", ErrWrongPassword},
		{"weak new password", testPassword, "short", &FieldError{Field: "new_password"}},
		{"same password", testPassword, testPassword, &FieldError{Field: "new_password"}},
		{"ok", testPassword, "brandnew123", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t)
			ctx := context.Background()
			pair, err := e.authUC.Login(ctx, "memberA", testPassword)
			if err != nil {
				t.Fatal(err)
			}
			mustChange := true
			if _, err := (fakeAccountRepo{e.db}).Update(ctx, e.acc["memberA"].ID, AccountPatch{MustChangePassword: &mustChange}); err != nil {
				t.Fatal(err)
			}
			before := e.state()
			err = e.authUC.ChangePassword(e.as("memberA"), tt.old, tt.new)
			wantErrKind(t, err, tt.want)
			if tt.want != nil {
				after := e.state()
				// A wrong old password counts as a failed sign-in (guessing is rate limited);
				// nothing else may change.
				if tt.want == ErrWrongPassword {
					if n := len(after.Failures["id:"+itoa(e.acc["memberA"].ID)]); n != 1 {
						t.Errorf("wrong old password recorded %d failures, want 1", n)
					}
				}
				after.Failures, before.Failures = nil, nil
				if diff := cmp.Diff(before, after); diff != "" {
					t.Errorf("failed change altered the store (-before +after):\n%s", diff)
				}
				if _, err := e.authUC.Login(ctx, "memberA", testPassword); err != nil {
					t.Errorf("old password stopped working: %v", err)
				}
				return
			}
			if a := e.db.accountByUsername("memberA"); a.MustChangePassword {
				t.Error("MustChangePassword still set")
			}
			if _, err := e.authUC.Refresh(ctx, pair.RefreshToken); !errors.Is(err, ErrInvalidRefreshToken) {
				t.Errorf("session survived password change: %v", err)
			}
			if _, err := e.authUC.Login(ctx, "memberA", testPassword); !errors.Is(err, ErrInvalidCredentials) {
				t.Errorf("old password still works: %v", err)
			}
			if _, err := e.authUC.Login(ctx, "memberA", tt.new); err != nil {
				t.Errorf("new password does not work: %v", err)
			}
		})
	}
	t.Run("unauthenticated", func(t *testing.T) {
		e := newTestEnv(t)
		if err := e.authUC.ChangePassword(context.Background(), testPassword, "brandnew123"); !errors.Is(err, bizerr.ErrUnauthenticated) {
			t.Fatalf("error = %v, want 401", err)
		}
	})
}

func TestMe(t *testing.T) {
	e := newTestEnv(t)
	a, err := e.authUC.Me(e.as("memberA"))
	if err != nil || a.ID != e.acc["memberA"].ID {
		t.Fatalf("Me = %+v, %v", a, err)
	}
	disable("memberA")(e)
	if _, err := e.authUC.Me(e.as("memberA")); !errors.Is(err, ErrAccountDisabled) {
		t.Errorf("disabled: %v", err)
	}
	ghost := auth.NewContext(context.Background(), &auth.Principal{UserID: 999, OrgPath: "/1/"})
	if _, err := e.authUC.Me(ghost); !errors.Is(err, bizerr.ErrUnauthenticated) {
		t.Errorf("deleted account: error = %v, want 401", err)
	}
}

func TestChangePasswordGuessingIsRateLimited(t *testing.T) {
	e := newTestEnv(t)
	for range e.cfg.MaxFailures {
		if err := e.authUC.ChangePassword(e.as("memberA"), "wrong-pass1", "brandnew123"); !errors.Is(err, ErrWrongPassword) {
			t.Fatalf("wrong old password: %v", err)
		}
	}
	// Even the right old password is refused now, and signing in is locked too.
	if err := e.authUC.ChangePassword(e.as("memberA"), testPassword, "brandnew123"); !errors.As(err, new(*RateLimitError)) {
		t.Fatalf("after %d wrong guesses: %v, want *RateLimitError", e.cfg.MaxFailures, err)
	}
	if _, err := e.authUC.Login(context.Background(), "memberA", testPassword); !errors.As(err, new(*RateLimitError)) {
		t.Fatalf("login after guessing: %v, want *RateLimitError", err)
	}
}
