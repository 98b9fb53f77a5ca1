package authn

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	kerrors "github.com/go-kratos/kratos/v2/errors"
	"github.com/golang-jwt/jwt/v5"

	"github.com/vanguard/vanguard/pkg/clock"

	"github.com/vanguard/vanguard/pkg/auth"
)

// Token constants shared by the signer (org service) and every verifier.
const (
	Issuer   = "vanguard-org"
	Audience = "vanguard"
	// leeway tolerates small clock differences between services.
	leeway = 5 * time.Second
)

// Reasons of the errors this package returns; 401 for missing or bad tokens, 403 for denials.
const (
	ReasonUnauthenticated  = "UNAUTHENTICATED"
	ReasonTokenExpired     = "TOKEN_EXPIRED"
	ReasonPermissionDenied = "PERMISSION_DENIED"
)

// ErrUnauthenticated is returned when a request carries no valid access token.
func ErrUnauthenticated() *kerrors.Error {
	return kerrors.Unauthorized(ReasonUnauthenticated, "未登录或登录凭证无效")
}

// ErrTokenExpired is returned when the access token has expired; clients should refresh.
func ErrTokenExpired() *kerrors.Error {
	return kerrors.Unauthorized(ReasonTokenExpired, "登录已过期，请刷新或重新登录")
}

// ErrForbidden is returned when the principal may not do what it asked; msg says what, in
// user-facing Chinese, without revealing data the caller may not see.
func ErrForbidden(msg string) *kerrors.Error {
	if msg == "" {
		msg = "没有权限执行此操作"
	}
	return kerrors.Forbidden(ReasonPermissionDenied, msg)
}

// Claims are the JWT claims of an access token.
type Claims struct {
	jwt.RegisteredClaims
	Username string   `json:"name"`
	Roles    []string `json:"roles"`
	OrgID    int64    `json:"org"`
	OrgPath  string   `json:"opath"`
	// TempPaths and TempStaffPaths are the temporary branches the account belongs to (serves as
	// staff of) today; see auth.Principal.
	TempPaths      []string `json:"tpaths,omitempty"`
	TempStaffPaths []string `json:"tstaff,omitempty"`
	// SessionVersion is the account's session version at signing; see Revocation.
	SessionVersion int64 `json:"sv,omitempty"`
	// Service is set on service credentials instead of the user fields (see SignService).
	Service string `json:"svc,omitempty"`
}

// KeyID derives a stable key id from a public key, so verifiers can pick the right key while
// keys rotate.
func KeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:8])
}

// Signer issues access tokens with an Ed25519 private key. Only the org service holds one.
type Signer struct {
	key   ed25519.PrivateKey
	kid   string
	clock clock.Clock
}

// NewSigner returns a signer using key, reading the time from clk.
func NewSigner(key ed25519.PrivateKey, clk clock.Clock) *Signer {
	return &Signer{key: key, kid: KeyID(key.Public().(ed25519.PublicKey)), clock: clk}
}

// PublicKey returns the verification key matching the signer.
func (s *Signer) PublicKey() ed25519.PublicKey { return s.key.Public().(ed25519.PublicKey) }

// KeyID returns the id put in the kid header of every token.
func (s *Signer) KeyID() string { return s.kid }

// Sign returns a signed access token for p and its expiry time.
func (s *Signer) Sign(p *auth.Principal) (string, time.Time, error) {
	now := s.clock.Now()
	exp := now.Add(auth.AccessTTL)
	jti := make([]byte, 12)
	if _, err := rand.Read(jti); err != nil {
		return "", time.Time{}, fmt.Errorf("auth.Sign: %w", err)
	}
	claims := Claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    Issuer,
			Subject:   strconv.FormatInt(p.UserID, 10),
			Audience:  jwt.ClaimStrings{Audience},
			ExpiresAt: jwt.NewNumericDate(exp),
			IssuedAt:  jwt.NewNumericDate(now),
			NotBefore: jwt.NewNumericDate(now),
			ID:        hex.EncodeToString(jti),
		},
		Username: p.Username,
		Roles:    p.Roles,
		OrgID:    p.OrgID,
		OrgPath:  p.OrgPath,

		TempPaths:      p.TempPaths,
		TempStaffPaths: p.TempStaffPaths,
		SessionVersion: p.SessionVersion,
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodEdDSA, claims)
	tok.Header["kid"] = s.kid
	signed, err := tok.SignedString(s.key)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("auth.Sign: %w", err)
	}
	return signed, exp, nil
}

// Verifier checks access tokens against one or more Ed25519 public keys.
//
// Checking an Ed25519 signature costs about 100 µs, most of a request's CPU on a cheap
// endpoint, so a verifier remembers the tokens it has verified: a bounded cache keyed by the
// SHA-256 of the token (the token itself is never kept) holding the principal and the token's
// expiry. A cached token is still refused once it expires, and revocation is checked on every
// request, cached or not; only successful verifications are cached, so a flood of bad tokens
// cannot evict good ones.
type Verifier struct {
	keys   map[string]ed25519.PublicKey
	parser *jwt.Parser
	clock  clock.Clock
	// revocations, when set, lists revoked sessions (see UseRevocations).
	revocations atomic.Pointer[Revocations]

	mu    sync.RWMutex
	cache map[[sha256.Size]byte]verified
	// CacheSize bounds the cache (entries); 0 disables it. Set before first use.
	CacheSize int
}

// DefaultCacheSize is a verifier's cache bound: 50k sessions per process (an exam's members
// and more), about 15 MB.
const DefaultCacheSize = 50000

// verified is a cached verification: the principal and until when the parser would accept it.
type verified struct {
	p     auth.Principal
	until time.Time
}

// NewVerifier returns a verifier trusting the given public keys, reading the time from clk.
func NewVerifier(clk clock.Clock, keys ...ed25519.PublicKey) *Verifier {
	m := make(map[string]ed25519.PublicKey, len(keys))
	for _, k := range keys {
		m[KeyID(k)] = k
	}
	return &Verifier{
		keys:      m,
		clock:     clk,
		cache:     make(map[[sha256.Size]byte]verified),
		CacheSize: DefaultCacheSize,
		parser: jwt.NewParser(
			jwt.WithValidMethods([]string{jwt.SigningMethodEdDSA.Alg()}),
			jwt.WithIssuer(Issuer),
			jwt.WithAudience(Audience),
			jwt.WithExpirationRequired(),
			jwt.WithIssuedAt(),
			jwt.WithLeeway(leeway),
			jwt.WithTimeFunc(clk.Now),
		),
	}
}

// Verify parses and checks a token and returns its principal. The error is always a 401 Kratos
// error: ErrTokenExpired for an expired token, ErrTokenRevoked for a revoked session,
// ErrUnauthenticated for anything else. Each call returns its own copy of the principal.
func (v *Verifier) Verify(token string) (*auth.Principal, error) {
	if v.CacheSize <= 0 {
		p, _, err := v.verify(token)
		return p, err
	}
	key := sha256.Sum256([]byte(token))
	v.mu.RLock()
	hit, ok := v.cache[key]
	v.mu.RUnlock()
	if ok && !v.clock.Now().After(hit.until) {
		if !hit.p.IsService() && v.revoked(hit.p.UserID, hit.p.SessionVersion) {
			return nil, ErrTokenRevoked()
		}
		p := hit.p
		p.Roles = slices.Clone(p.Roles) // callers own their copy
		return &p, nil
	}
	p, until, err := v.verify(token)
	if err != nil {
		if ok {
			v.mu.Lock()
			delete(v.cache, key)
			v.mu.Unlock()
		}
		return nil, err
	}
	v.mu.Lock()
	if len(v.cache) >= v.CacheSize {
		v.evictLocked()
	}
	kept := *p
	kept.Roles = slices.Clone(p.Roles)
	v.cache[key] = verified{p: kept, until: until}
	v.mu.Unlock()
	return p, nil
}

// evictLocked makes room: it drops expired entries and, if none had expired, an arbitrary
// eighth of the cache (map order), so eviction is rare and amortised.
func (v *Verifier) evictLocked() {
	now := v.clock.Now()
	for k, e := range v.cache {
		if now.After(e.until) {
			delete(v.cache, k)
		}
	}
	for k := range v.cache {
		if len(v.cache) < v.CacheSize-v.CacheSize/8 {
			break
		}
		delete(v.cache, k)
	}
}

// verify is the full check of a token; it also returns until when the parser accepts it.
func (v *Verifier) verify(token string) (*auth.Principal, time.Time, error) {
	var claims Claims
	_, err := v.parser.ParseWithClaims(token, &claims, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		key, ok := v.keys[kid]
		if !ok {
			return nil, errors.New("unknown key id")
		}
		return key, nil
	})
	if err != nil {
		if errors.Is(err, jwt.ErrTokenExpired) {
			return nil, time.Time{}, ErrTokenExpired()
		}
		return nil, time.Time{}, ErrUnauthenticated().WithCause(err)
	}
	until := claims.ExpiresAt.Add(leeway) // WithExpirationRequired: never nil here
	if claims.Service != "" {
		p, err := servicePrincipal(&claims)
		return p, until, err
	}
	uid, err := strconv.ParseInt(claims.Subject, 10, 64)
	if err != nil || uid <= 0 || claims.OrgPath == "" {
		return nil, time.Time{}, ErrUnauthenticated()
	}
	if v.revoked(uid, claims.SessionVersion) {
		return nil, time.Time{}, ErrTokenRevoked()
	}
	return &auth.Principal{
		UserID:   uid,
		Username: claims.Username,
		Roles:    claims.Roles,
		OrgID:    claims.OrgID,
		OrgPath:  claims.OrgPath,
		TokenID:  claims.ID,

		TempPaths:      claims.TempPaths,
		TempStaffPaths: claims.TempStaffPaths,
		SessionVersion: claims.SessionVersion,
	}, until, nil
}

// GenerateKey returns a new Ed25519 private key.
func GenerateKey() (ed25519.PrivateKey, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	return priv, err
}

// MarshalPrivateKeyPEM encodes key as a PKCS#8 PEM block.
func MarshalPrivateKeyPEM(key ed25519.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// ParsePrivateKeyPEM decodes a PKCS#8 PEM Ed25519 private key.
func ParsePrivateKeyPEM(data []byte) (ed25519.PrivateKey, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("auth: no PEM block in private key")
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("auth: parse private key: %w", err)
	}
	priv, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, errors.New("auth: private key is not Ed25519")
	}
	return priv, nil
}

// MarshalPublicKeyPEM encodes pub as a PKIX PEM block.
func MarshalPublicKeyPEM(pub ed25519.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

// ParsePublicKeyPEM decodes a PKIX PEM Ed25519 public key.
func ParsePublicKeyPEM(data []byte) (ed25519.PublicKey, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("auth: no PEM block in public key")
	}
	k, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("auth: parse public key: %w", err)
	}
	pub, ok := k.(ed25519.PublicKey)
	if !ok {
		return nil, errors.New("auth: public key is not Ed25519")
	}
	return pub, nil
}

// LoadOrCreatePrivateKey reads the PEM key at path, creating it (mode 0600) if it does not exist.
// Standalone mode uses it so that a restart keeps sessions valid.
func LoadOrCreatePrivateKey(path string) (ed25519.PrivateKey, error) {
	data, err := os.ReadFile(path)
	if err == nil {
		return ParsePrivateKeyPEM(data)
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("auth: read key: %w", err)
	}
	key, err := GenerateKey()
	if err != nil {
		return nil, err
	}
	pemBytes, err := MarshalPrivateKeyPEM(key)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("auth: create key dir: %w", err)
	}
	if err := os.WriteFile(path, pemBytes, 0o600); err != nil {
		return nil, fmt.Errorf("auth: write key: %w", err)
	}
	return key, nil
}
