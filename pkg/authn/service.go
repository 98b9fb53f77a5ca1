package authn

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/go-kratos/kratos/v2/middleware"
	"github.com/go-kratos/kratos/v2/transport"
	"github.com/golang-jwt/jwt/v5"

	"github.com/vanguard/vanguard/pkg/auth"
)

// Service credentials.
//
// Work without a user — event handlers, nightly compiles, reindexing, acknowledging events —
// calls other services as itself. org signs a short-lived access token for a named service
// (SignService) after the service proves its identity with its service secret, which is derived
// from org's service key: ServiceSecret(key, name) = HMAC-SHA256(key, "vanguard-service:"+name).
// org keeps only the key; each service is given only its own secret. The token carries the
// service's name in the "svc" claim and no user, roles or org path.
//
// Verifiers accept service tokens only on the operations registered as service operations and
// refuse them everywhere else; service operations refuse user tokens (see Rules).

// ServiceTTL is how long a service token is valid; clients renew it before it expires.
const ServiceTTL = 5 * time.Minute

// ServiceSecret derives the secret of service name from org's service key.
func ServiceSecret(key []byte, name string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("vanguard-service:" + name))
	return hex.EncodeToString(m.Sum(nil))
}

// CheckServiceSecret reports, in constant time, whether secret is name's secret under key.
func CheckServiceSecret(key []byte, name, secret string) bool {
	if !auth.ValidServiceName(name) || len(key) == 0 {
		return false
	}
	return hmac.Equal([]byte(ServiceSecret(key, name)), []byte(strings.ToLower(strings.TrimSpace(secret))))
}

// SignService returns a service token for the named service and its expiry time.
func (s *Signer) SignService(name string) (string, time.Time, error) {
	if !auth.ValidServiceName(name) {
		return "", time.Time{}, fmt.Errorf("auth.SignService: bad service name %q", name)
	}
	now := s.clock.Now()
	exp := now.Add(ServiceTTL)
	jti := make([]byte, 12)
	if _, err := rand.Read(jti); err != nil {
		return "", time.Time{}, fmt.Errorf("auth.SignService: %w", err)
	}
	claims := Claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer: Issuer, Subject: "service:" + name, Audience: jwt.ClaimStrings{Audience},
			ExpiresAt: jwt.NewNumericDate(exp), IssuedAt: jwt.NewNumericDate(now), NotBefore: jwt.NewNumericDate(now),
			ID: hex.EncodeToString(jti),
		},
		Service: name,
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodEdDSA, claims)
	tok.Header["kid"] = s.kid
	signed, err := tok.SignedString(s.key)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("auth.SignService: %w", err)
	}
	return signed, exp, nil
}

// servicePrincipal checks the shape of verified service claims: a valid name, the matching
// subject, and none of the user fields (a token mixing both is refused).
func servicePrincipal(c *Claims) (*auth.Principal, error) {
	if !auth.ValidServiceName(c.Service) || c.Subject != "service:"+c.Service || c.OrgPath != "" || len(c.Roles) > 0 || c.OrgID != 0 {
		return nil, ErrUnauthenticated()
	}
	return &auth.Principal{Service: c.Service, Username: "service:" + c.Service, TokenID: c.ID}, nil
}

// ServiceTokenSource hands out a service token, renewing it a minute before it expires.
type ServiceTokenSource struct {
	// Issue obtains a fresh token (org's IssueServiceToken, or Signer.SignService in-process).
	Issue func(ctx context.Context) (token string, exp time.Time, err error)
	// Now is the clock (time.Now when nil).
	Now func() time.Time

	mu    sync.Mutex
	token string
	exp   time.Time
}

// Token returns a valid service token.
func (s *ServiceTokenSource) Token(ctx context.Context) (string, error) {
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.token != "" && now().Add(time.Minute).Before(s.exp) {
		return s.token, nil
	}
	tok, exp, err := s.Issue(ctx)
	if err != nil {
		return "", fmt.Errorf("service token: %w", err)
	}
	s.token, s.exp = tok, exp
	return tok, nil
}

// ServiceCredentials is a Kratos client middleware that calls as the service: it sets the
// service token from src on every request (replacing any forwarded user token).
func ServiceCredentials(src *ServiceTokenSource) middleware.Middleware {
	return func(next middleware.Handler) middleware.Handler {
		return func(ctx context.Context, req any) (any, error) {
			if out, ok := transport.FromClientContext(ctx); ok {
				tok, err := src.Token(ctx)
				if err != nil {
					return nil, err
				}
				out.RequestHeader().Set("Authorization", "Bearer "+tok)
			}
			return next(ctx, req)
		}
	}
}
