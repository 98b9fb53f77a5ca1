package queue

import (
	"net/http"
	"strings"

	kerrors "github.com/go-kratos/kratos/v2/errors"
	"github.com/hibiken/asynq"
	"github.com/hibiken/asynqmon"

	"github.com/vanguard/vanguard/pkg/authn"
	"github.com/vanguard/vanguard/pkg/httpx"
)

// TokenCookie is the cookie the web app keeps the access token in. The monitor reads it
// because a browser loads the monitor's pages and assets without an Authorization header.
const TokenCookie = "vanguard_token"

// MonitorHandler serves the asynqmon web UI at rootPath (e.g. "/admin/queues") and its JSON API
// under rootPath+"/api/" (queues, tasks, servers, Redis info; with actions such as run, archive
// and delete), for admins only. Mount it for the whole subtree, e.g.
// httpServer.HandlePrefix("/admin/queues", queue.MonitorHandler(opt, "/admin/queues", v)).
//
// Every request must carry a valid access token of a principal with the admin role, in an
// "Authorization: Bearer" header or else in the TokenCookie cookie. Otherwise it is answered
// with a Kratos-style JSON error — 401 UNAUTHENTICATED or TOKEN_EXPIRED without a valid token,
// 403 PERMISSION_DENIED for a non-admin — and never reaches asynqmon. Requests authenticated by
// the cookie that change state must also come from the same origin (no cross-site request
// forgery with an admin's cookie). A nil verifier denies everything.
//
// The returned handler also implements io.Closer, releasing its Redis connections. If opt is
// not a RedisConnOpt asynq supports, admins get a 500 error instead of the monitor.
func MonitorHandler(opt asynq.RedisConnOpt, rootPath string, v *authn.Verifier) http.Handler {
	root := strings.TrimRight(rootPath, "/")
	if root != "" && !strings.HasPrefix(root, "/") {
		root = "/" + root
	}
	m := &monitor{verifier: v, csrf: http.NewCrossOriginProtection()}
	rc, err := redisClient(opt)
	if err != nil {
		m.next = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			httpx.ErrorEncoder(w, r, kerrors.InternalServer("QUEUE_MONITOR_UNAVAILABLE", "queue monitor misconfigured").WithCause(err))
		})
		return m
	}
	_ = rc.Close() // only a check: asynqmon builds its own clients from opt
	mon := asynqmon.New(asynqmon.Options{RootPath: root, RedisConnOpt: opt})
	m.next, m.closer = mon, mon.Close
	return m
}

type monitor struct {
	verifier *authn.Verifier
	csrf     *http.CrossOriginProtection
	next     http.Handler
	closer   func() error
}

func (m *monitor) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := m.authorize(r); err != nil {
		w.Header().Set("Cache-Control", "no-store")
		httpx.ErrorEncoder(w, r, err)
		return
	}
	m.next.ServeHTTP(w, r)
}

// authorize returns nil for a request from an admin and the Kratos error to answer otherwise.
func (m *monitor) authorize(r *http.Request) error {
	token, fromCookie := bearerToken(r.Header.Get("Authorization")), false
	if token == "" {
		if c, err := r.Cookie(TokenCookie); err == nil {
			token, fromCookie = strings.TrimSpace(c.Value), true
		}
	}
	if token == "" || m.verifier == nil {
		return authn.ErrUnauthenticated()
	}
	p, err := m.verifier.Verify(token)
	if err != nil {
		return err
	}
	if !p.IsAdmin() {
		return authn.ErrForbidden("只有管理员可以查看任务队列")
	}
	if fromCookie {
		if err := m.csrf.Check(r); err != nil {
			return authn.ErrForbidden("跨站请求被拒绝")
		}
	}
	return nil
}

// Close releases the monitor's Redis connections.
func (m *monitor) Close() error {
	if m.closer == nil {
		return nil
	}
	return m.closer()
}

// bearerToken extracts the token of an "Authorization: Bearer <token>" header value, matching
// the scheme case-insensitively; anything else yields "".
func bearerToken(header string) string {
	const prefix = "Bearer "
	if len(header) > len(prefix) && strings.EqualFold(header[:len(prefix)], prefix) {
		return strings.TrimSpace(header[len(prefix):])
	}
	return ""
}
