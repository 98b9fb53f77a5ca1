package org_test

import (
	"net/http"
	"strings"
	"testing"
)

// refreshCookie returns the vg_refresh cookie a reply sets.
func refreshCookie(t *testing.T, r resp) *http.Cookie {
	t.Helper()
	for _, c := range (&http.Response{Header: r.Header}).Cookies() {
		if c.Name == "vg_refresh" {
			return c
		}
	}
	t.Fatalf("no vg_refresh cookie in %v", r.Header["Set-Cookie"])
	return nil
}

// A browser session keeps the refresh token in an HttpOnly, SameSite=Strict cookie scoped to
// /v1/auth: login sets it (and leaves it out of the JSON), refresh reads and rotates it, logout
// clears it and ends the session; the cookie counts only with the session header, and API
// clients keep the JSON form.
func TestBrowserSessionCookie(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		setup(t, e)
		browser := map[string]string{"X-Vanguard-Session": "cookie"}
		login := e.expect(e.doWith("POST", "/v1/auth/login", "", map[string]any{"username": "m1", "password": "Passw0rd-m1"}, browser), 200)
		if login.str("refreshToken") != "" || login.str("accessToken") == "" {
			t.Fatalf("browser login reply: %s", login.Raw)
		}
		c := refreshCookie(t, login)
		if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/v1/auth" || c.Value == "" || c.MaxAge <= 0 || c.Secure {
			t.Fatalf("cookie = %+v (Secure only over HTTPS)", c)
		}
		withCookie := func(c *http.Cookie, h map[string]string) map[string]string {
			out := map[string]string{"Cookie": c.Name + "=" + c.Value}
			for k, v := range h {
				out[k] = v
			}
			return out
		}

		// Without the session header the cookie does not count (a cross-site form cannot add it).
		e.expect(e.doWith("POST", "/v1/auth/refresh", "", map[string]any{}, withCookie(c, nil)), 400, "INVALID_ARGUMENT")
		// A forged cookie is refused like a forged token.
		forged := &http.Cookie{Name: "vg_refresh", Value: "forged-" + c.Value[:10]}
		e.expect(e.doWith("POST", "/v1/auth/refresh", "", map[string]any{}, withCookie(forged, browser)), 401)
		// Neither a body token nor a cookie: 400 naming the field.
		noToken := e.expect(e.doWith("POST", "/v1/auth/refresh", "", map[string]any{}, browser), 400, "INVALID_ARGUMENT")
		if noToken.str("metadata", "field") != "refresh_token" {
			t.Fatalf("missing token error: %s", noToken.Raw)
		}

		ref := e.expect(e.doWith("POST", "/v1/auth/refresh", "", map[string]any{}, withCookie(c, browser)), 200)
		if ref.str("refreshToken") != "" || ref.str("accessToken") == "" {
			t.Fatalf("browser refresh reply: %s", ref.Raw)
		}
		e.expect(e.do("GET", "/v1/me", ref.str("accessToken"), nil), 200)
		rotated := refreshCookie(t, ref)
		if rotated.Value == c.Value {
			t.Fatal("refresh did not rotate the cookie")
		}
		// The old cookie is spent.
		e.expect(e.doWith("POST", "/v1/auth/refresh", "", map[string]any{}, withCookie(c, browser)), 401)

		out := e.expect(e.doWith("POST", "/v1/auth/logout", "", map[string]any{}, withCookie(rotated, browser)), 200)
		cleared := refreshCookie(t, out)
		if cleared.Value != "" || cleared.MaxAge >= 0 {
			t.Fatalf("logout cookie = %+v, want it cleared", cleared)
		}
		e.expect(e.doWith("POST", "/v1/auth/refresh", "", map[string]any{}, withCookie(rotated, browser)), 401)

		// Over HTTPS (behind a TLS-terminating proxy) the cookie is Secure.
		https := map[string]string{"X-Vanguard-Session": "cookie", "X-Forwarded-Proto": "https"}
		sec := refreshCookie(t, e.expect(e.doWith("POST", "/v1/auth/login", "", map[string]any{"username": "m1", "password": "Passw0rd-m1"}, https), 200))
		if !sec.Secure {
			t.Fatalf("cookie over https = %+v", sec)
		}

		// API clients: the JSON form, no cookie.
		api := e.expect(e.do("POST", "/v1/auth/login", "", map[string]any{"username": "m1", "password": "Passw0rd-m1"}), 200)
		if api.str("refreshToken") == "" || strings.Contains(strings.Join(api.Header["Set-Cookie"], ";"), "vg_refresh") {
			t.Fatalf("API login: %s %v", api.Raw, api.Header["Set-Cookie"])
		}
		e.expect(e.do("POST", "/v1/auth/refresh", "", map[string]any{"refreshToken": api.str("refreshToken")}), 200)
	})
}
