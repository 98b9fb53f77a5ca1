package queue_test

import (
	"crypto/ed25519"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/hibiken/asynq"

	"github.com/vanguard/vanguard/pkg/auth"
	"github.com/vanguard/vanguard/pkg/authn"
	"github.com/vanguard/vanguard/pkg/clock"
	"github.com/vanguard/vanguard/pkg/queue"
)

const monitorRoot = "/admin/queues"

var (
	monKey      = ed25519.NewKeyFromSeed([]byte("vanguard-queue-monitor-seed-32b!"))
	monOtherKey = ed25519.NewKeyFromSeed([]byte("vanguard-queue-forger-seed-32by!"))
	monT0       = time.Date(2025, 7, 1, 9, 0, 0, 0, time.UTC)
)

func monSign(t *testing.T, key ed25519.PrivateKey, at time.Time, roles ...string) string {
	t.Helper()
	tok, _, err := authn.NewSigner(key, clock.NewFake(at)).Sign(&auth.Principal{
		UserID: 7, Username: "u7", Roles: roles, OrgID: 1, OrgPath: "/1/",
	})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestMonitorHandlerAdminsOnly(t *testing.T) {
	forEachRedis(t, func(t *testing.T, opt asynq.RedisClientOpt) {
		// A queue with a pending task, so the API has something to report.
		enqueue(t, newClient(t, opt), "media:probe", 1)

		clk := clock.NewFake(monT0)
		v := authn.NewVerifier(clk, monKey.Public().(ed25519.PublicKey))
		h := queue.MonitorHandler(opt, monitorRoot, v)
		t.Cleanup(func() {
			if c, ok := h.(io.Closer); !ok {
				t.Error("monitor handler does not implement io.Closer")
			} else if err := c.Close(); err != nil {
				t.Errorf("close monitor: %v", err)
			}
		})

		admin := monSign(t, monKey, monT0, auth.RoleAdmin)
		member := monSign(t, monKey, monT0, auth.RoleMember, auth.RoleStaff, auth.RoleTrainer)
		forged := monSign(t, monOtherKey, monT0, auth.RoleAdmin)
		expired := monSign(t, monKey, monT0.Add(-time.Hour), auth.RoleAdmin)

		type request struct {
			method, path string
			bearer       string
			cookie       string
			origin       string // Sec-Fetch-Site value, "" = none
		}
		tests := []struct {
			name       string
			req        request
			wantCode   int
			wantReason string // for denials
			wantBody   string // substring of a successful body
		}{
			{"no token", request{method: "GET", path: "/api/queues"}, 401, authn.ReasonUnauthenticated, ""},
			{"no token, UI page", request{method: "GET", path: "/"}, 401, authn.ReasonUnauthenticated, ""},
			{"no token, mutating API", request{method: "DELETE", path: "/api/queues/" + testQueue}, 401, authn.ReasonUnauthenticated, ""},
			{"garbage token", request{method: "GET", path: "/api/queues", bearer: "garbage"}, 401, authn.ReasonUnauthenticated, ""},
			{"forged admin token", request{method: "GET", path: "/api/queues", bearer: forged}, 401, authn.ReasonUnauthenticated, ""},
			{"forged admin cookie", request{method: "GET", path: "/api/queues", cookie: forged}, 401, authn.ReasonUnauthenticated, ""},
			{"expired admin token", request{method: "GET", path: "/api/queues", bearer: expired}, 401, authn.ReasonTokenExpired, ""},
			{"member token", request{method: "GET", path: "/api/queues", bearer: member}, 403, authn.ReasonPermissionDenied, ""},
			{"member cookie", request{method: "GET", path: "/", cookie: member}, 403, authn.ReasonPermissionDenied, ""},
			{"admin token", request{method: "GET", path: "/api/queues", bearer: admin}, 200, "", `"queue":"` + testQueue + `"`},
			{"admin cookie", request{method: "GET", path: "/api/queues", cookie: admin}, 200, "", `"queue":"` + testQueue + `"`},
			{"admin cookie, UI page", request{method: "GET", path: "/", cookie: admin}, 200, "", "<html"},
			{"admin cookie, cross-site pause", request{method: "POST", path: "/api/queues/" + testQueue + ":pause", cookie: admin, origin: "cross-site"}, 403, authn.ReasonPermissionDenied, ""},
			{"admin cookie, same-origin pause", request{method: "POST", path: "/api/queues/" + testQueue + ":pause", cookie: admin, origin: "same-origin"}, 204, "", ""},
			{"admin token, cross-site resume", request{method: "POST", path: "/api/queues/" + testQueue + ":resume", bearer: admin, origin: "cross-site"}, 204, "", ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := httptest.NewRequest(tt.req.method, monitorRoot+tt.req.path, nil)
				r.Header.Set("Accept", "text/html,application/xhtml+xml,*/*")
				if tt.req.bearer != "" {
					r.Header.Set("Authorization", "Bearer "+tt.req.bearer)
				}
				if tt.req.cookie != "" {
					r.AddCookie(&http.Cookie{Name: queue.TokenCookie, Value: tt.req.cookie})
				}
				if tt.req.origin != "" {
					r.Header.Set("Sec-Fetch-Site", tt.req.origin)
				}
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				body := w.Body.String()
				if w.Code != tt.wantCode {
					t.Fatalf("status = %d, want %d; body %.300s", w.Code, tt.wantCode, body)
				}
				if tt.wantReason == "" {
					if !strings.Contains(body, tt.wantBody) {
						t.Errorf("body lacks %q: %.500s", tt.wantBody, body)
					}
					return
				}
				var e struct {
					Code    int    `json:"code"`
					Reason  string `json:"reason"`
					Message string `json:"message"`
				}
				if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
					t.Errorf("denial content type = %q, want JSON", ct)
				}
				if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil {
					t.Fatalf("denial body is not a JSON error: %v: %s", err, body)
				}
				if e.Code != tt.wantCode || e.Reason != tt.wantReason || e.Message == "" {
					t.Errorf("denial = %+v, want code %d reason %s with a message", e, tt.wantCode, tt.wantReason)
				}
				if strings.Contains(body, testQueue) {
					t.Errorf("denial leaks queue data: %s", body)
				}
			})
		}
	})
}

// TestMonitorHandlerMisconfigured checks that wiring mistakes fail closed: a nil verifier
// denies everyone, a bad Redis option gives admins a 500 instead of a panic at start.
func TestMonitorHandlerMisconfigured(t *testing.T) {
	r := httptest.NewRequest("GET", monitorRoot+"/api/queues", nil)
	r.Header.Set("Authorization", "Bearer "+monSign(t, monKey, time.Now(), auth.RoleAdmin))

	w := httptest.NewRecorder()
	queue.MonitorHandler(asynq.RedisClientOpt{Addr: "127.0.0.1:1"}, monitorRoot, nil).ServeHTTP(w, r)
	if w.Code != http.StatusUnauthorized {
		t.Errorf("nil verifier: status %d, want 401", w.Code)
	}

	v := authn.NewVerifier(clock.Real{}, monKey.Public().(ed25519.PublicKey))
	w = httptest.NewRecorder()
	queue.MonitorHandler(nil, monitorRoot, v).ServeHTTP(w, r)
	if w.Code != http.StatusInternalServerError || strings.Contains(w.Body.String(), "asynqmon") {
		t.Errorf("nil redis option: status %d body %s, want a 500 error", w.Code, w.Body.String())
	}
}

// TestMonitorHandlerRootPath checks that a root path without its leading slash or with a
// trailing one is normalised the way it is mounted.
func TestMonitorHandlerRootPath(t *testing.T) {
	mr := miniredis.RunT(t)
	v := authn.NewVerifier(clock.NewFake(monT0), monKey.Public().(ed25519.PublicKey))
	h := queue.MonitorHandler(asynq.RedisClientOpt{Addr: mr.Addr()}, "admin/queues/", v)
	defer h.(io.Closer).Close()
	r := httptest.NewRequest("GET", "/admin/queues/api/queues", nil)
	r.Header.Set("Authorization", "Bearer "+monSign(t, monKey, monT0, auth.RoleAdmin))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"queues"`) {
		t.Errorf("status %d body %.300s, want the queue list", w.Code, w.Body.String())
	}
}
