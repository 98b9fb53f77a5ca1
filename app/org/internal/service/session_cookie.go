package service

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/go-kratos/kratos/v2/transport"
	khttp "github.com/go-kratos/kratos/v2/transport/http"

	v1 "github.com/vanguard/vanguard/api/org/v1"
	"github.com/vanguard/vanguard/pkg/apierr"
)

// Browser sessions keep the refresh token out of JavaScript's reach. A request carrying
// "X-Vanguard-Session: cookie" to login, refresh or logout gets the refresh token as an
// HttpOnly, SameSite=Strict cookie scoped to /v1/auth (Secure when the request came over
// HTTPS), and its JSON reply has no refresh token; refresh and logout read the token from that
// cookie when the body has none. API clients that send no such header keep the JSON form.
//
// CSRF: the cookie is sent only to /v1/auth, only from this site (SameSite=Strict), and only
// honoured with the custom header, which a cross-site form cannot send and a cross-site script
// cannot send without a CORS preflight the server never grants. Every other call authenticates
// with the access token in the Authorization header, which browsers never attach on their own.
const (
	SessionHeader = "X-Vanguard-Session"
	RefreshCookie = "vg_refresh"
	cookiePath    = "/v1/auth"
)

// cookieSession returns the HTTP request when it asks for a cookie session.
func cookieSession(ctx context.Context) (*http.Request, transport.Transporter, bool) {
	tr, ok := transport.FromServerContext(ctx)
	if !ok || tr.Kind() != transport.KindHTTP {
		return nil, nil, false
	}
	ht, ok := tr.(khttp.Transporter)
	if !ok || !strings.EqualFold(ht.RequestHeader().Get(SessionHeader), "cookie") {
		return nil, nil, false
	}
	return ht.Request(), tr, true
}

// refreshFromCookie is the refresh token of a cookie session whose body carries none.
func refreshFromCookie(ctx context.Context, fromBody string) (string, error) {
	if fromBody != "" {
		return fromBody, nil
	}
	if r, _, ok := cookieSession(ctx); ok {
		if c, err := r.Cookie(RefreshCookie); err == nil && c.Value != "" {
			return c.Value, nil
		}
	}
	return "", apierr.InvalidArgument("refresh_token", "需要刷新令牌（或浏览器会话的 Cookie）")
}

// setRefreshCookie moves a cookie session's refresh token from the reply into the cookie.
func setRefreshCookie(ctx context.Context, pair *v1.TokenPair) {
	r, tr, ok := cookieSession(ctx)
	if !ok {
		return
	}
	c := sessionCookie(r, pair.RefreshToken, int(pair.RefreshExpiresIn))
	tr.ReplyHeader().Add("Set-Cookie", c.String())
	pair.RefreshToken = ""
}

// clearRefreshCookie ends a cookie session in the browser.
func clearRefreshCookie(ctx context.Context) {
	if r, tr, ok := cookieSession(ctx); ok {
		tr.ReplyHeader().Add("Set-Cookie", sessionCookie(r, "", -1).String())
	}
}

func sessionCookie(r *http.Request, value string, maxAge int) *http.Cookie {
	c := &http.Cookie{
		Name: RefreshCookie, Value: value, Path: cookiePath, MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteStrictMode,
		Secure: r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https"),
	}
	if maxAge < 0 {
		c.Expires = time.Unix(0, 0)
	}
	return c
}
