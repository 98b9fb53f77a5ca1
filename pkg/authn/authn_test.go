package authn_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	kerrors "github.com/go-kratos/kratos/v2/errors"
	"github.com/go-kratos/kratos/v2/log"
	"github.com/go-kratos/kratos/v2/transport"
	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/vanguard/vanguard/pkg/auth"
	"github.com/vanguard/vanguard/pkg/authn"
	"github.com/vanguard/vanguard/pkg/clock"
)

var (
	atT0       = time.Date(2025, 7, 1, 9, 0, 0, 0, time.UTC)
	atKey      = ed25519.NewKeyFromSeed([]byte("vanguard-auth-test-seed-32bytes!"))
	atOtherKey = ed25519.NewKeyFromSeed([]byte("vanguard-auth-other-seed-32byte!"))
	atAlice    = &auth.Principal{UserID: 42, Username: "alice", Roles: []string{auth.RoleStaff, auth.RoleMember}, OrgID: 4, OrgPath: "/1/4/"}
)

// atLeeway mirrors the unexported clock-skew tolerance of the verifier.
const atLeeway = 5 * time.Second

type atFixture struct {
	clk      *clock.Fake
	signer   *authn.Signer
	verifier *authn.Verifier
}

func atSetup() *atFixture {
	clk := clock.NewFake(atT0)
	s := authn.NewSigner(atKey, clk)
	return &atFixture{clk: clk, signer: s, verifier: authn.NewVerifier(clk, s.PublicKey())}
}

func (fx *atFixture) sign(t *testing.T, p *auth.Principal) string {
	t.Helper()
	tok, _, err := fx.signer.Sign(p)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// atWantReason checks that err is a 401 Kratos error with the given reason.
func atWantReason(t *testing.T, err error, reason string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want 401 %s", reason)
	}
	if code, got := kerrors.Code(err), kerrors.Reason(err); code != 401 || got != reason {
		t.Fatalf("error = %v (code %d, reason %q), want 401 %s", err, code, got, reason)
	}
}

// atForge signs claims with method and key, setting kid to the trusted key's id.
func atForge(t *testing.T, method jwt.SigningMethod, claims jwt.Claims, key any) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, claims)
	tok.Header["kid"] = authn.KeyID(atKey.Public().(ed25519.PublicKey))
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func atClaims(now time.Time) *authn.Claims {
	return &authn.Claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer: authn.Issuer, Subject: "42", Audience: jwt.ClaimStrings{authn.Audience},
			ExpiresAt: jwt.NewNumericDate(now.Add(auth.AccessTTL)), IssuedAt: jwt.NewNumericDate(now),
			NotBefore: jwt.NewNumericDate(now), ID: "jti",
		},
		Username: "alice", Roles: []string{auth.RoleAdmin}, OrgID: 1, OrgPath: "/1/",
	}
}

func TestSignVerifyRoundTrip(t *testing.T) {
	fx := atSetup()
	tok, exp, err := fx.signer.Sign(atAlice)
	if err != nil {
		t.Fatal(err)
	}
	if !exp.Equal(atT0.Add(auth.AccessTTL)) {
		t.Errorf("expiry = %v, want %v", exp, atT0.Add(auth.AccessTTL))
	}
	got, err := fx.verifier.Verify(tok)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(atAlice, got, cmpopts.IgnoreFields(auth.Principal{}, "TokenID")); diff != "" {
		t.Errorf("principal (-want +got):\n%s", diff)
	}
	if len(got.TokenID) != 24 {
		t.Errorf("TokenID = %q, want 24 hex chars", got.TokenID)
	}
	other, err := fx.verifier.Verify(fx.sign(t, atAlice))
	if err != nil || other.TokenID == got.TokenID {
		t.Errorf("second token id %q equals first %q (err %v)", other.TokenID, got.TokenID, err)
	}
	// Header: EdDSA with the signer's key id.
	var hdr map[string]any
	raw, _ := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[0])
	if err := json.Unmarshal(raw, &hdr); err != nil {
		t.Fatal(err)
	}
	if hdr["alg"] != "EdDSA" || hdr["kid"] != fx.signer.KeyID() || fx.signer.KeyID() != authn.KeyID(fx.signer.PublicKey()) {
		t.Errorf("header = %v, signer kid %q", hdr, fx.signer.KeyID())
	}
}

func TestVerifyExpiry(t *testing.T) {
	tests := []struct {
		after  time.Duration
		reason string // "" = valid
	}{
		{0, ""},
		{auth.AccessTTL - time.Second, ""},
		{auth.AccessTTL + atLeeway - time.Second, ""}, // within the clock-skew leeway
		{auth.AccessTTL + atLeeway + time.Second, authn.ReasonTokenExpired},
		{24 * time.Hour, authn.ReasonTokenExpired},
	}
	for _, tt := range tests {
		t.Run(tt.after.String(), func(t *testing.T) {
			fx := atSetup()
			tok := fx.sign(t, atAlice)
			fx.clk.Advance(tt.after)
			p, err := fx.verifier.Verify(tok)
			if tt.reason == "" {
				if err != nil || p.UserID != atAlice.UserID {
					t.Fatalf("Verify = %+v, %v; want valid", p, err)
				}
				return
			}
			atWantReason(t, err, tt.reason)
		})
	}
}

func TestVerifyRejects(t *testing.T) {
	fx := atSetup()
	good := fx.sign(t, atAlice)
	parts := strings.Split(good, ".")
	pub := atKey.Public().(ed25519.PublicKey)

	// Tampered payload: move the principal to the root org, keep the signature.
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(payload, []byte(`"opath":"/1/4/"`)) {
		t.Fatalf("payload %s lacks the org path claim", payload)
	}
	tamperedPayload := bytes.Replace(payload, []byte(`"opath":"/1/4/"`), []byte(`"opath":"/1/"`), 1)
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString(tamperedPayload) + "." + parts[2]

	otherSigner := authn.NewSigner(atOtherKey, fx.clk)
	otherTok, _, _ := otherSigner.Sign(atAlice)

	// alg "none" with the trusted kid.
	noneTok := atForge(t, jwt.SigningMethodNone, atClaims(atT0), jwt.UnsafeAllowNoneSignatureType)
	// HS256 keyed with the public key bytes (classic algorithm confusion).
	hsTok := atForge(t, jwt.SigningMethodHS256, atClaims(atT0), []byte(pub))
	// Trusted kid, signed by another Ed25519 key.
	wrongSig := atForge(t, jwt.SigningMethodEdDSA, atClaims(atT0), atOtherKey)

	withClaims := func(edit func(c *authn.Claims)) string {
		c := atClaims(atT0)
		edit(c)
		return atForge(t, jwt.SigningMethodEdDSA, c, atKey)
	}
	tests := map[string]string{
		"empty":                  "",
		"garbage":                "not.a.jwt",
		"two segments":           parts[0] + "." + parts[1],
		"signature stripped":     parts[0] + "." + parts[1] + ".",
		"tampered org path":      tampered,
		"other key":              otherTok,
		"trusted kid, wrong key": wrongSig,
		"alg none":               noneTok,
		"HS256 with public key":  hsTok,
		"wrong issuer":           withClaims(func(c *authn.Claims) { c.Issuer = "evil" }),
		"no issuer":              withClaims(func(c *authn.Claims) { c.Issuer = "" }),
		"wrong audience":         withClaims(func(c *authn.Claims) { c.Audience = jwt.ClaimStrings{"other"} }),
		"no audience":            withClaims(func(c *authn.Claims) { c.Audience = nil }),
		"no expiry":              withClaims(func(c *authn.Claims) { c.ExpiresAt = nil }),
		"issued in the future":   withClaims(func(c *authn.Claims) { c.IssuedAt = jwt.NewNumericDate(atT0.Add(time.Hour)) }),
		"not yet valid":          withClaims(func(c *authn.Claims) { c.NotBefore = jwt.NewNumericDate(atT0.Add(time.Hour)) }),
		"non-numeric subject":    withClaims(func(c *authn.Claims) { c.Subject = "alice" }),
		"zero subject":           withClaims(func(c *authn.Claims) { c.Subject = "0" }),
		"negative subject":       withClaims(func(c *authn.Claims) { c.Subject = "-7" }),
		"no org path":            withClaims(func(c *authn.Claims) { c.OrgPath = "" }),
	}
	// The genuine token is verified (and cached) first: a forgery derived from it must not be
	// answered from the cache, and no refused token may be cached.
	if _, err := fx.verifier.Verify(good); err != nil {
		t.Fatalf("genuine token rejected: %v", err)
	}
	for name, tok := range tests {
		t.Run(name, func(t *testing.T) {
			p, err := fx.verifier.Verify(tok)
			if p != nil {
				t.Errorf("principal %+v returned", p)
			}
			atWantReason(t, err, authn.ReasonUnauthenticated)
		})
	}
	if n := authn.CacheLen(fx.verifier); n != 1 {
		t.Errorf("cache holds %d tokens after the forgeries, want only the genuine one", n)
	}
	// Sanity: the same forging helper with the right key and claims is accepted, so the cases
	// above fail for the reason they name.
	if _, err := fx.verifier.Verify(withClaims(func(*authn.Claims) {})); err != nil {
		t.Fatalf("control token rejected: %v", err)
	}
}

func TestVerifierKeyRotation(t *testing.T) {
	clk := clock.NewFake(atT0)
	oldS, newS := authn.NewSigner(atOtherKey, clk), authn.NewSigner(atKey, clk)
	v := authn.NewVerifier(clk, newS.PublicKey(), oldS.PublicKey())
	for name, s := range map[string]*authn.Signer{"old": oldS, "new": newS} {
		tok, _, err := s.Sign(atAlice)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := v.Verify(tok); err != nil {
			t.Errorf("%s key: %v", name, err)
		}
	}
	if _, err := authn.NewVerifier(clk).Verify(func() string { tok, _, _ := newS.Sign(atAlice); return tok }()); err == nil {
		t.Error("verifier without keys accepted a token")
	}
}

// ---- middleware ----

type atHeader http.Header

func (h atHeader) Get(k string) string      { return http.Header(h).Get(k) }
func (h atHeader) Set(k, v string)          { http.Header(h).Set(k, v) }
func (h atHeader) Add(k, v string)          { http.Header(h).Add(k, v) }
func (h atHeader) Values(k string) []string { return http.Header(h).Values(k) }
func (h atHeader) Keys() []string {
	out := make([]string, 0, len(h))
	for k := range h {
		out = append(out, k)
	}
	return out
}

type atTransport struct {
	op    string
	req   atHeader
	reply atHeader
}

func (t *atTransport) Kind() transport.Kind            { return transport.KindHTTP }
func (t *atTransport) Endpoint() string                { return "http://test" }
func (t *atTransport) Operation() string               { return t.op }
func (t *atTransport) RequestHeader() transport.Header { return t.req }
func (t *atTransport) ReplyHeader() transport.Header   { return t.reply }

const (
	atPublicOp  = "/org.v1.Auth/Login"
	atPrivateOp = "/org.v1.Org/ListOrgs"
)

func TestServerMiddleware(t *testing.T) {
	fx := atSetup()
	good := fx.sign(t, atAlice)
	// Signed with the trusted key an hour ago: expired now.
	expired, _, err := authn.NewSigner(atKey, clock.NewFake(atT0.Add(-time.Hour))).Sign(atAlice)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		noTr       bool
		op         string
		authz      []string // Authorization header values
		handlerErr error
		wantReason string // "" = handler reply expected
		wantCode   int
		wantP      *auth.Principal // principal the handler must see; nil = none
		wantCalled bool
	}{
		{name: "no transport", noTr: true, op: atPrivateOp, wantReason: authn.ReasonUnauthenticated, wantCode: 401},
		{name: "missing header", op: atPrivateOp, wantReason: authn.ReasonUnauthenticated, wantCode: 401},
		{name: "empty bearer", op: atPrivateOp, authz: []string{"Bearer "}, wantReason: authn.ReasonUnauthenticated, wantCode: 401},
		{name: "no scheme", op: atPrivateOp, authz: []string{good}, wantReason: authn.ReasonUnauthenticated, wantCode: 401},
		{name: "basic scheme", op: atPrivateOp, authz: []string{"Basic " + good}, wantReason: authn.ReasonUnauthenticated, wantCode: 401},
		{name: "garbage token", op: atPrivateOp, authz: []string{"Bearer garbage"}, wantReason: authn.ReasonUnauthenticated, wantCode: 401},
		{name: "expired token", op: atPrivateOp, authz: []string{"Bearer " + expired}, wantReason: authn.ReasonTokenExpired, wantCode: 401},
		{name: "valid token", op: atPrivateOp, authz: []string{"Bearer " + good}, wantP: atAlice, wantCalled: true},
		{name: "scheme is case-insensitive", op: atPrivateOp, authz: []string{"bearer  " + good + " "}, wantP: atAlice, wantCalled: true},
		{name: "public op without token", op: atPublicOp, wantCalled: true},
		{name: "public op ignores a bad token", op: atPublicOp, authz: []string{"Bearer garbage"}, wantCalled: true},
		{name: "handler denial passes through", op: atPrivateOp, authz: []string{"Bearer " + good}, handlerErr: authn.ErrForbidden(""),
			wantReason: authn.ReasonPermissionDenied, wantCode: 403, wantP: atAlice, wantCalled: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			var called bool
			var seen *auth.Principal
			handler := func(ctx context.Context, req any) (any, error) {
				called = true
				seen, _ = auth.FromContext(ctx)
				if tt.handlerErr != nil {
					return nil, tt.handlerErr
				}
				return "reply:" + req.(string), nil
			}
			mw := authn.Server(fx.verifier, log.NewStdLogger(&logs), atPublicOp)
			ctx := context.Background()
			if !tt.noTr {
				tr := &atTransport{op: tt.op, req: atHeader{}, reply: atHeader{}}
				for _, a := range tt.authz {
					tr.req.Add("Authorization", a)
				}
				ctx = transport.NewServerContext(ctx, tr)
			}
			reply, err := mw(handler)(ctx, "req")
			// The token text never reaches a log line, whether accepted or refused.
			for _, a := range tt.authz {
				if tok := strings.TrimSpace(a[strings.IndexByte(a, ' ')+1:]); tok != "" && strings.Contains(logs.String(), tok) {
					t.Errorf("token text logged: %q", logs.String())
				}
			}
			if called != tt.wantCalled {
				t.Errorf("handler called = %v, want %v", called, tt.wantCalled)
			}
			if diff := cmp.Diff(tt.wantP, seen, cmpopts.IgnoreFields(auth.Principal{}, "TokenID")); diff != "" {
				t.Errorf("principal in handler context (-want +got):\n%s", diff)
			}
			if tt.wantReason == "" {
				if err != nil || reply != "reply:req" {
					t.Fatalf("reply = %v, %v", reply, err)
				}
				return
			}
			if reply != nil || kerrors.Code(err) != tt.wantCode || kerrors.Reason(err) != tt.wantReason {
				t.Fatalf("reply %v, error %v; want %d %s", reply, err, tt.wantCode, tt.wantReason)
			}
			// Every 401/403 that reached the middleware leaves a log line naming the operation.
			if !tt.noTr && (!strings.Contains(logs.String(), tt.op) || !strings.Contains(logs.String(), tt.wantReason)) {
				t.Errorf("denial not logged with operation and reason: %q", logs.String())
			}
		})
	}
}

func TestErrors(t *testing.T) {
	if e := authn.ErrForbidden(""); e.Code != 403 || e.Reason != authn.ReasonPermissionDenied || e.Message == "" {
		t.Errorf("ErrForbidden(\"\") = %+v", e)
	}
	if e := authn.ErrForbidden("不行"); e.Message != "不行" {
		t.Errorf("ErrForbidden message = %q", e.Message)
	}
}

// ---- keys ----

func TestKeyPEMRoundTrip(t *testing.T) {
	key, err := authn.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	privPEM, err := authn.MarshalPrivateKeyPEM(key)
	if err != nil {
		t.Fatal(err)
	}
	back, err := authn.ParsePrivateKeyPEM(privPEM)
	if err != nil || !key.Equal(back) {
		t.Fatalf("private key round trip: %v", err)
	}
	pubPEM, err := authn.MarshalPublicKeyPEM(key.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	pub, err := authn.ParsePublicKeyPEM(pubPEM)
	if err != nil || !pub.Equal(key.Public()) {
		t.Fatalf("public key round trip: %v", err)
	}
	if got := authn.KeyID(pub); len(got) != 16 || got != authn.KeyID(key.Public().(ed25519.PublicKey)) || got == authn.KeyID(atKey.Public().(ed25519.PublicKey)) {
		t.Errorf("KeyID = %q", got)
	}

	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ecDER, _ := x509.MarshalPKCS8PrivateKey(ec)
	ecPubDER, _ := x509.MarshalPKIXPublicKey(&ec.PublicKey)
	bad := map[string]func() error{
		"private: no PEM":     func() error { _, err := authn.ParsePrivateKeyPEM([]byte("nope")); return err },
		"private: not PKCS#8": func() error { _, err := authn.ParsePrivateKeyPEM(pubPEM); return err },
		"private: ECDSA": func() error {
			_, err := authn.ParsePrivateKeyPEM(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: ecDER}))
			return err
		},
		"public: no PEM":   func() error { _, err := authn.ParsePublicKeyPEM(nil); return err },
		"public: not PKIX": func() error { _, err := authn.ParsePublicKeyPEM(privPEM); return err },
		"public: ECDSA": func() error {
			_, err := authn.ParsePublicKeyPEM(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: ecPubDER}))
			return err
		},
	}
	for name, f := range bad {
		if f() == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestLoadOrCreatePrivateKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys", "signing.pem")
	k1, err := authn.LoadOrCreatePrivateKey(path)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("key file mode = %o, want 600", st.Mode().Perm())
	}
	k2, err := authn.LoadOrCreatePrivateKey(path)
	if err != nil || !k1.Equal(k2) {
		t.Fatalf("reloaded key differs (err %v): a restart would end every session", err)
	}
	if err := os.WriteFile(path, []byte("corrupt"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := authn.LoadOrCreatePrivateKey(path); err == nil {
		t.Error("corrupt key file accepted (and would be silently replaced?)")
	}
	if _, err := authn.LoadOrCreatePrivateKey(t.TempDir()); err == nil || errors.Is(err, os.ErrNotExist) {
		t.Errorf("directory as key path: %v", err)
	}
}
