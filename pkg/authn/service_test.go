package authn_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/vanguard/vanguard/pkg/auth"
	"github.com/vanguard/vanguard/pkg/authn"
)

// A service token verifies to a service principal with no user, role or org; a token that
// mixes the service claim with user claims, or names an invalid service, is refused.
func TestServiceTokenShape(t *testing.T) {
	fx := atSetup()
	tok, exp, err := fx.signer.SignService("studyhour")
	if err != nil {
		t.Fatal(err)
	}
	if !exp.Equal(atT0.Add(authn.ServiceTTL)) {
		t.Fatalf("expiry = %v", exp)
	}
	p, err := fx.verifier.Verify(tok)
	if err != nil {
		t.Fatal(err)
	}
	if !p.IsService() || p.Service != "studyhour" || p.UserID != 0 || len(p.Roles) != 0 || p.OrgPath != "" || p.IsAdmin() || p.CanManageOrg("/1/") {
		t.Fatalf("service principal = %+v", p)
	}
	mixed := atClaims(atT0)
	mixed.Service = "studyhour"
	atWantReason(t, verify(fx, atForge(t, jwt.SigningMethodEdDSA, mixed, atKey)), authn.ReasonUnauthenticated)
	bad := atClaims(atT0)
	bad.Service, bad.Subject, bad.Roles, bad.OrgPath, bad.OrgID = "Not A Name", "service:Not A Name", nil, "", 0
	atWantReason(t, verify(fx, atForge(t, jwt.SigningMethodEdDSA, bad, atKey)), authn.ReasonUnauthenticated)
	if _, _, err := fx.signer.SignService("../x"); err == nil {
		t.Fatal("signed a service token for an invalid name")
	}
	fx.clk.Advance(authn.ServiceTTL + time.Minute)
	atWantReason(t, verify(fx, tok), authn.ReasonTokenExpired)
}

func verify(fx *atFixture, tok string) error { _, err := fx.verifier.Verify(tok); return err }

// Each service's secret is its own: derived per name, checked in constant time, useless for
// another name or under another key.
func TestServiceSecrets(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	s := authn.ServiceSecret(key, "growth")
	if len(s) != 64 || !authn.CheckServiceSecret(key, "growth", s) {
		t.Fatalf("secret %q does not check", s)
	}
	if authn.CheckServiceSecret(key, "search", s) || authn.CheckServiceSecret([]byte("another key another key another k"), "growth", s) ||
		authn.CheckServiceSecret(nil, "growth", s) || authn.CheckServiceSecret(key, "growth", "") {
		t.Fatal("a secret checked for the wrong name, key or an empty value")
	}
}

// The token source caches a token until a minute before it expires, then asks again; a failed
// issue is reported.
func TestServiceTokenSourceRenews(t *testing.T) {
	now := atT0
	calls := 0
	src := &authn.ServiceTokenSource{Now: func() time.Time { return now }, Issue: func(context.Context) (string, time.Time, error) {
		calls++
		if calls == 3 {
			return "", time.Time{}, errors.New("org down")
		}
		return "t" + string(rune('0'+calls)), now.Add(authn.ServiceTTL), nil
	}}
	ctx := context.Background()
	a, _ := src.Token(ctx)
	now = now.Add(3 * time.Minute)
	b, _ := src.Token(ctx)
	if a != "t1" || b != "t1" || calls != 1 {
		t.Fatalf("tokens %q %q after %d issues, want the cached t1", a, b, calls)
	}
	now = now.Add(90 * time.Second) // within a minute of expiry
	if c, _ := src.Token(ctx); c != "t2" || calls != 2 {
		t.Fatalf("token %q after %d issues, want a renewed t2", c, calls)
	}
	now = now.Add(authn.ServiceTTL)
	if _, err := src.Token(ctx); err == nil {
		t.Fatal("a failed issue returned a token")
	}
}

// The scope helpers every service shares: ancestor paths root-first, and who may author.
func TestAncestorPathsAndAuthoring(t *testing.T) {
	p := &auth.Principal{UserID: 1, OrgPath: "/1/4/9/", Roles: []string{auth.RoleTrainer}}
	got := p.AncestorPaths()
	if len(got) != 3 || got[0] != "/1/" || got[1] != "/1/4/" || got[2] != "/1/4/9/" {
		t.Fatalf("AncestorPaths = %v", got)
	}
	if auth.AncestorPaths("") != nil || (*auth.Principal)(nil).AncestorPaths() != nil {
		t.Fatal("no path must give no ancestors")
	}
	for roles, want := range map[string]bool{auth.RoleTrainer: true, auth.RoleStaff: true, auth.RoleAdmin: true, auth.RoleMember: false, "": false} {
		if got := (&auth.Principal{Roles: []string{roles}}).CanAuthor(); got != want {
			t.Errorf("CanAuthor with role %q = %v, want %v", roles, got, want)
		}
	}
	if (&auth.Principal{Service: "search"}).CanAuthor() {
		t.Error("a service principal may author")
	}
}
