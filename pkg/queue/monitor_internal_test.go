package queue

import (
	"crypto/ed25519"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/vanguard/vanguard/pkg/auth"
	"github.com/vanguard/vanguard/pkg/authn"
	"github.com/vanguard/vanguard/pkg/clock"
)

// TestMonitorGuardStopsDeniedRequests swaps asynqmon for a spy to prove a denied request never
// reaches it, whatever the denial.
func TestMonitorGuardStopsDeniedRequests(t *testing.T) {
	t0 := time.Date(2025, 7, 1, 9, 0, 0, 0, time.UTC)
	key := ed25519.NewKeyFromSeed([]byte("vanguard-queue-monitor-spy-seed!"))
	signer := authn.NewSigner(key, clock.NewFake(t0))
	sign := func(roles ...string) string {
		tok, _, err := signer.Sign(&auth.Principal{UserID: 1, Roles: roles, OrgPath: "/1/"})
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	var reached int
	m := &monitor{
		verifier: authn.NewVerifier(clock.NewFake(t0), signer.PublicKey()),
		csrf:     http.NewCrossOriginProtection(),
		next:     http.HandlerFunc(func(http.ResponseWriter, *http.Request) { reached++ }),
	}
	tests := []struct {
		name     string
		authz    string
		cookie   string
		method   string
		wantCode int
	}{
		{"nothing", "", "", "GET", 401},
		{"basic auth", "Basic YWRtaW46YWRtaW4=", "", "GET", 401},
		{"member bearer", "Bearer " + sign(auth.RoleMember), "", "GET", 403},
		{"staff cookie", "", sign(auth.RoleStaff), "GET", 403},
		{"bad bearer beats good cookie", "Bearer nope", sign(auth.RoleAdmin), "GET", 401},
		{"admin bearer", "bearer " + sign(auth.RoleAdmin), "", "GET", 200},
		{"admin cookie", "", sign(auth.RoleAdmin), "POST", 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := reached
			r := httptest.NewRequest(tt.method, "/admin/queues/api/queues", nil)
			if tt.authz != "" {
				r.Header.Set("Authorization", tt.authz)
			}
			if tt.cookie != "" {
				r.AddCookie(&http.Cookie{Name: TokenCookie, Value: tt.cookie})
			}
			w := httptest.NewRecorder()
			m.ServeHTTP(w, r)
			if w.Code != tt.wantCode {
				t.Errorf("status = %d, want %d", w.Code, tt.wantCode)
			}
			if got, want := reached-before, map[bool]int{true: 1, false: 0}[tt.wantCode == 200]; got != want {
				t.Errorf("asynqmon reached %d times, want %d", got, want)
			}
		})
	}
}
