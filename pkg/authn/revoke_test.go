package authn_test

import (
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/vanguard/vanguard/pkg/auth"
	"github.com/vanguard/vanguard/pkg/authn"
)

// TestRevokedTokens: a revocation of version 1 refuses alice's tokens signed with version 0 (and
// tokens without the claim, from before it existed) with 401 TOKEN_REVOKED, but not a token
// signed in the same instant with the new version, nor other users' tokens. Versions only go
// up: an older revocation arriving late changes nothing.
func TestRevokedTokens(t *testing.T) {
	fx := atSetup()
	list := authn.NewRevocations(fx.clk)
	old := fx.sign(t, atAlice)
	legacy := atForge(t, jwt.SigningMethodEdDSA, atClaims(atT0), atKey)
	fx.verifier.UseRevocations(list)
	if _, err := fx.verifier.Verify(old); err != nil {
		t.Fatalf("before any revocation: %v", err)
	}

	if n := authn.CacheLen(fx.verifier); n != 1 {
		t.Fatalf("cache holds %d tokens, want the one verified", n)
	}
	if n := list.Add(auth.Revocation{UserID: 42, Version: 1, At: atT0}); n != 1 {
		t.Fatalf("Add = %d, want 1", n)
	}
	// old is answered from the cache now: the revocation must still refuse it.
	_, err := fx.verifier.Verify(old)
	atWantReason(t, err, authn.ReasonTokenRevoked)
	_, err = fx.verifier.Verify(legacy)
	atWantReason(t, err, authn.ReasonTokenRevoked)

	renewed := *atAlice
	renewed.SessionVersion = 1
	p, err := fx.verifier.Verify(fx.sign(t, &renewed)) // same clock instant as the revocation
	if err != nil || p.SessionVersion != 1 {
		t.Fatalf("token with the new version: %+v, %v", p, err)
	}
	bob := &auth.Principal{UserID: 43, Username: "bob", Roles: []string{auth.RoleMember}, OrgID: 4, OrgPath: "/1/4/"}
	if _, err := fx.verifier.Verify(fx.sign(t, bob)); err != nil {
		t.Fatalf("another user's token: %v", err)
	}

	// Late, older or invalid revocations change nothing.
	if n := list.Add(auth.Revocation{UserID: 42, Version: 1, At: atT0}, auth.Revocation{UserID: 0, Version: 3, At: atT0}, auth.Revocation{UserID: 43, Version: 0, At: atT0}); n != 0 {
		t.Fatalf("Add of stale revocations = %d, want 0", n)
	}
	if _, err := fx.verifier.Verify(fx.sign(t, &renewed)); err != nil {
		t.Fatalf("a replayed revocation refused the new version: %v", err)
	}
}

// TestRevocationsAreForgottenAfterTokenLifetime: a revocation older than RevocationTTL is not
// added and Prune drops it, since every token it covered has expired by then.
func TestRevocationsAreForgottenAfterTokenLifetime(t *testing.T) {
	fx := atSetup()
	list := authn.NewRevocations(fx.clk)
	if list.Add(auth.Revocation{UserID: 42, Version: 1, At: atT0.Add(-auth.RevocationTTL - time.Second)}) != 0 {
		t.Fatal("added a revocation older than the token lifetime")
	}
	list.Add(auth.Revocation{UserID: 42, Version: 1, At: atT0})
	fx.clk.Advance(auth.RevocationTTL - time.Second)
	if list.Prune() != 0 || list.Len() != 1 {
		t.Fatal("pruned a revocation still within the token lifetime")
	}
	// Every token it covered is expired beyond the verifier's leeway.
	if auth.RevocationTTL <= auth.AccessTTL+atLeeway {
		t.Fatalf("RevocationTTL %s does not outlast a token (%s + leeway)", auth.RevocationTTL, auth.AccessTTL)
	}
	fx.clk.Advance(2 * time.Second)
	if list.Prune() != 1 || list.Len() != 0 {
		t.Fatal("kept a revocation past the token lifetime")
	}
}
