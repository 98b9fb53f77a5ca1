package biz

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	kerrors "github.com/go-kratos/kratos/v2/errors"

	"github.com/vanguard/vanguard/pkg/auth"
	"github.com/vanguard/vanguard/pkg/authn"
)

// recordingPublisher records what would be broadcast.
type recordingPublisher struct {
	mu   sync.Mutex
	revs []auth.Revocation
	fail error
}

func (p *recordingPublisher) Publish(_ context.Context, revs ...auth.Revocation) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.revs = append(p.revs, revs...)
	return p.fail
}

func (p *recordingPublisher) published() []auth.Revocation {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]auth.Revocation(nil), p.revs...)
}

// TestSessionEndingChangesRevokeAccessTokens: every change that ends memberA's sessions raises
// its session version, publishes the revocation after the commit, makes the old access token
// fail verification once the list knows it, and leaves a token signed right after (same clock
// instant) valid. Changes that do not end sessions, and denied ones, publish nothing.
func TestSessionEndingChangesRevokeAccessTokens(t *testing.T) {
	disabled, orgA2 := StatusDisabled, int64(0)
	name := "新名字"
	tests := []struct {
		name    string
		change  func(e *testEnv) error
		revokes bool
		// password to sign in with afterwards; "" when the account can no longer sign in.
		password string
	}{
		{"staff resets password", func(e *testEnv) error {
			return e.accountUC.ResetPassword(e.as("staffA"), e.acc["memberA"].ID, "Reset-pass-2026")
		}, true, "Reset-pass-2026"},
		{"own password change", func(e *testEnv) error {
			return e.authUC.ChangePassword(e.as("memberA"), testPassword, "Own-pass-2026")
		}, true, "Own-pass-2026"},
		{"disabled", func(e *testEnv) error {
			_, err := e.accountUC.Update(e.as("staffA"), e.acc["memberA"].ID, UpdateInput{Status: &disabled})
			return err
		}, true, ""},
		{"roles changed", func(e *testEnv) error {
			_, err := e.accountUC.SetRoles(e.as("staffA"), e.acc["memberA"].ID, []string{auth.RoleTrainer, auth.RoleMember})
			return err
		}, true, testPassword},
		{"moved to another org", func(e *testEnv) error {
			orgA2 = e.org["A2"].ID
			_, err := e.accountUC.Update(e.as("staffA"), e.acc["memberA"].ID, UpdateInput{OrgID: &orgA2})
			return err
		}, true, testPassword},
		{"display name only", func(e *testEnv) error {
			_, err := e.accountUC.Update(e.as("staffA"), e.acc["memberA"].ID, UpdateInput{DisplayName: &name})
			return err
		}, false, testPassword},
		{"denied reset", func(e *testEnv) error {
			if err := e.accountUC.ResetPassword(e.as("staffB"), e.acc["memberA"].ID, "Reset-pass-2026"); err == nil {
				return errors.New("staff of B reset a member of A")
			}
			return nil
		}, false, testPassword},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t)
			pub := &recordingPublisher{}
			e.accountUC.SetRevocationPublisher(pub)
			e.authUC.SetRevocationPublisher(pub)
			list := authn.NewRevocations(e.clk)
			e.verifier.UseRevocations(list)
			ctx := context.Background()
			old, err := e.authUC.Login(ctx, "memberA", testPassword)
			if err != nil {
				t.Fatal(err)
			}
			if err := tt.change(e); err != nil {
				t.Fatal(err)
			}
			var want []auth.Revocation
			if tt.revokes {
				want = []auth.Revocation{{UserID: e.acc["memberA"].ID, Version: 1, At: testT0}}
			}
			got := pub.published()
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("published (-want +got):\n%s", diff)
			}
			list.Add(got...)
			_, err = e.verifier.Verify(old.AccessToken)
			if tt.revokes && kerrors.Reason(err) != authn.ReasonTokenRevoked {
				t.Fatalf("old token after revocation: %v, want TOKEN_REVOKED", err)
			}
			if !tt.revokes && err != nil {
				t.Fatalf("old token without revocation: %v", err)
			}
			if tt.password == "" {
				return
			}
			// Same clock instant as the revocation: the new token carries the new version.
			fresh, err := e.authUC.Login(ctx, "memberA", tt.password)
			if err != nil {
				t.Fatal(err)
			}
			p, err := e.verifier.Verify(fresh.AccessToken)
			if err != nil {
				t.Fatalf("token signed after the revocation: %v", err)
			}
			if tt.revokes && p.SessionVersion != 1 {
				t.Fatalf("new token's session version = %d, want 1", p.SessionVersion)
			}
		})
	}
}

// TestRevocationPublishFailureKeepsChangeAndRepublishes: a failed publish does not undo or fail
// the committed change; RepublishRevocations sends every revocation still within a token's
// lifetime, and none once they are older.
func TestRevocationPublishFailureKeepsChangeAndRepublishes(t *testing.T) {
	e := newTestEnv(t)
	pub := &recordingPublisher{fail: errors.New("redis down")}
	e.accountUC.SetRevocationPublisher(pub)
	e.authUC.SetRevocationPublisher(pub)
	ctx := context.Background()
	for _, u := range []string{"memberA", "memberB"} {
		if err := e.accountUC.ResetPassword(e.as("admin"), e.acc[u].ID, "Reset-pass-2026"); err != nil {
			t.Fatalf("reset %s with a failing publisher: %v", u, err)
		}
	}
	if _, err := e.authUC.Login(ctx, "memberA", "Reset-pass-2026"); err != nil {
		t.Fatalf("the reset did not stick: %v", err)
	}
	pub.fail = nil
	pub.revs = nil
	n, err := e.authUC.RepublishRevocations(ctx)
	if err != nil || n != 2 || len(pub.published()) != 2 {
		t.Fatalf("republish = %d, %v; published %+v", n, err, pub.published())
	}
	e.clk.Advance(auth.RevocationTTL + 1)
	pub.revs = nil
	if n, err := e.authUC.RepublishRevocations(ctx); err != nil || n != 0 || len(pub.published()) != 0 {
		t.Fatalf("republish after the token lifetime = %d, %v", n, err)
	}
}
