package authn_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/vanguard/vanguard/pkg/auth"
	"github.com/vanguard/vanguard/pkg/authn"
)

// A cached token is refused as soon as the uncached check would refuse it: at expiry (plus
// the verifiers' leeway, as the parser allows), and for a service token too.
func TestCachedTokenStillExpires(t *testing.T) {
	fx := atSetup()
	user := fx.sign(t, atAlice)
	svc, _, err := fx.signer.SignService("quiz")
	if err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{user, svc} {
		if _, err := fx.verifier.Verify(tok); err != nil {
			t.Fatal(err)
		}
	}
	if n := authn.CacheLen(fx.verifier); n != 2 {
		t.Fatalf("cache holds %d tokens, want 2", n)
	}
	fx.clk.Set(atT0.Add(authn.ServiceTTL + 5*time.Second))
	if _, err := fx.verifier.Verify(svc); err != nil {
		t.Fatalf("service token at expiry + leeway: %v", err)
	}
	fx.clk.Advance(time.Nanosecond)
	_, err = fx.verifier.Verify(svc)
	atWantReason(t, err, authn.ReasonTokenExpired)
	if _, err := fx.verifier.Verify(user); err != nil {
		t.Fatalf("user token within its lifetime: %v", err)
	}
	fx.clk.Set(atT0.Add(auth.AccessTTL + 5*time.Second + time.Nanosecond))
	_, err = fx.verifier.Verify(user)
	atWantReason(t, err, authn.ReasonTokenExpired)
	if n := authn.CacheLen(fx.verifier); n != 0 {
		t.Errorf("expired tokens still cached: %d", n)
	}
}

// Only good tokens are cached (bad ones cannot evict them), the cache stays within its bound,
// and each caller gets its own copy of the principal.
func TestVerifierCacheIsBoundedAndPrivate(t *testing.T) {
	fx := atSetup()
	fx.verifier.CacheSize = 8
	for i := range 5 {
		if _, err := fx.verifier.Verify(fmt.Sprintf("bad.token.%d", i)); err == nil {
			t.Fatal("bad token accepted")
		}
	}
	if n := authn.CacheLen(fx.verifier); n != 0 {
		t.Fatalf("bad tokens cached: %d", n)
	}
	for i := range 50 {
		p := &auth.Principal{UserID: int64(100 + i), Username: "u", Roles: []string{auth.RoleMember}, OrgID: 4, OrgPath: "/1/4/"}
		got, err := fx.verifier.Verify(fx.sign(t, p))
		if err != nil || got.UserID != p.UserID {
			t.Fatalf("token %d: %+v, %v", i, got, err)
		}
		if n := authn.CacheLen(fx.verifier); n > 8 {
			t.Fatalf("cache grew to %d entries, bound 8", n)
		}
	}
	tok := fx.sign(t, atAlice)
	first, err := fx.verifier.Verify(tok)
	if err != nil {
		t.Fatal(err)
	}
	first.Roles[0], first.OrgPath = auth.RoleAdmin, "/"
	second, err := fx.verifier.Verify(tok)
	if err != nil || second.Roles[0] != atAlice.Roles[0] || second.OrgPath != atAlice.OrgPath {
		t.Fatalf("a caller's change reached the cache: %+v, %v", second, err)
	}

	// Disabled, it verifies every time and remembers nothing.
	off := authn.NewVerifier(fx.clk, fx.signer.PublicKey())
	off.CacheSize = 0
	if p, err := off.Verify(tok); err != nil || p.UserID != atAlice.UserID || authn.CacheLen(off) != 0 {
		t.Fatalf("uncached verifier: %+v, %v, %d cached", p, err, authn.CacheLen(off))
	}
}
