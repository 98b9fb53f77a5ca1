package obs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	kerrors "github.com/go-kratos/kratos/v2/errors"
	"github.com/go-kratos/kratos/v2/log"
	"github.com/go-kratos/kratos/v2/middleware"
	"github.com/go-kratos/kratos/v2/transport"
)

// AccessLogConfig tunes the request log.
type AccessLogConfig struct {
	// SuccessEvery logs one in SuccessEvery successful requests (the noisy ones: autosaves,
	// dashboards polling); 0 or 1 logs every request. Failed requests are always logged.
	SuccessEvery int
}

// AccessLog returns the server middleware that writes one line per request: transport kind,
// operation, status code, error reason, latency, the caller (user id or service, once the
// auth middleware inside it has verified the token: see SetCaller) and the request id. It
// replaces Kratos' logging.Server, which also logs the request message — sign-in and new
// passwords, refresh tokens, national ID numbers and whole import files would land in the log.
// This one never logs the request or the reply.
//
// The request id is the caller's X-Request-ID when it is a plain token of up to 64 characters,
// otherwise a new random one; it is sent back in X-Request-ID and is in the context (RequestID)
// so log lines of one request can be found together.
//
// Only for server errors (code >= 500) is the error text logged, because the error encoder hides
// it from the client and the log is the one place to find the cause; 4xx errors log their reason
// alone (their messages may quote what the caller sent).
func AccessLog(logger log.Logger, cfgs ...AccessLogConfig) middleware.Middleware {
	var cfg AccessLogConfig
	if len(cfgs) > 0 {
		cfg = cfgs[0]
	}
	every := uint64(max(cfg.SuccessEvery, 1))
	var successes atomic.Uint64
	return func(next middleware.Handler) middleware.Handler {
		return func(ctx context.Context, req any) (any, error) {
			kind, op, rid := "", "", ""
			if tr, ok := transport.FromServerContext(ctx); ok {
				kind, op = tr.Kind().String(), tr.Operation()
				rid = tr.RequestHeader().Get(RequestIDHeader)
				if !validRequestID(rid) {
					rid = newRequestID()
				}
				tr.ReplyHeader().Set(RequestIDHeader, rid)
			}
			who := &caller{}
			ctx = context.WithValue(context.WithValue(ctx, requestIDKey{}, rid), callerKey{}, who)
			start := time.Now()
			reply, err := next(ctx, req)
			if err == nil && every > 1 && successes.Add(1)%every != 0 {
				return reply, nil
			}
			code, reason, level := int32(200), "", log.LevelInfo
			kv := []any{"msg", "request", "kind", "server", "component", kind, "operation", op, "request_id", rid}
			if uid, svc := who.get(); uid != 0 {
				kv = append(kv, "user_id", uid)
			} else if svc != "" {
				kv = append(kv, "service", svc)
			}
			if err != nil {
				se := kerrors.FromError(err)
				code, reason = se.Code, se.Reason
				if code >= 500 {
					level = log.LevelError
					kv = append(kv, "error", err.Error())
				} else {
					level = log.LevelWarn
				}
			}
			kv = append(kv, "code", code, "reason", reason, "latency", time.Since(start).Seconds())
			if every > 1 && err == nil {
				kv = append(kv, "sampled_one_in", every)
			}
			_ = log.WithContext(ctx, logger).Log(level, kv...)
			return reply, err
		}
	}
}

// RequestIDHeader carries a request's id in and out.
const RequestIDHeader = "X-Request-ID"

type requestIDKey struct{}

// RequestID returns the id AccessLog gave the request in ctx ("" outside one).
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

func validRequestID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}

func newRequestID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// caller is who made the request, filled in by the auth middleware inside AccessLog.
type caller struct {
	mu  sync.Mutex
	uid int64
	svc string
}

func (c *caller) get() (int64, string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.uid, c.svc
}

type callerKey struct{}

// SetCaller records the verified caller of the request in ctx for its access log line (a user
// id, or a service's name); outside AccessLog it does nothing.
func SetCaller(ctx context.Context, userID int64, service string) {
	if c, ok := ctx.Value(callerKey{}).(*caller); ok {
		c.mu.Lock()
		c.uid, c.svc = userID, service
		c.mu.Unlock()
	}
}

// Recovery returns the server middleware that turns a handler panic into a 500 error and logs
// the panic with its stack and the operation. Kratos' recovery.Recovery also prints the request
// message, which may hold passwords, tokens or ID numbers; this one does not.
func Recovery(logger log.Logger) middleware.Middleware {
	return func(next middleware.Handler) middleware.Handler {
		return func(ctx context.Context, req any) (reply any, err error) {
			defer func() {
				if r := recover(); r != nil {
					buf := make([]byte, 64<<10)
					buf = buf[:runtime.Stack(buf, false)]
					op := ""
					if tr, ok := transport.FromServerContext(ctx); ok {
						op = tr.Operation()
					}
					_ = log.WithContext(ctx, logger).Log(log.LevelError,
						"msg", "handler panicked", "operation", op, "panic", fmt.Sprint(r), "stack", string(buf))
					reply, err = nil, kerrors.InternalServer("PANIC", "服务器内部错误")
				}
			}()
			return next(ctx, req)
		}
	}
}
