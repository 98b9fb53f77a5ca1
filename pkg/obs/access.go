package obs

import (
	"context"
	"fmt"
	"runtime"
	"time"

	kerrors "github.com/go-kratos/kratos/v2/errors"
	"github.com/go-kratos/kratos/v2/log"
	"github.com/go-kratos/kratos/v2/middleware"
	"github.com/go-kratos/kratos/v2/transport"
)

// AccessLog returns the server middleware that writes one line per request: transport kind,
// operation, status code, error reason and latency. It replaces Kratos' logging.Server, which
// also logs the request message — sign-in and new passwords, refresh tokens, national ID numbers
// and whole import files would land in the log. This one never logs the request or the reply.
//
// Only for server errors (code >= 500) is the error text logged, because the error encoder hides
// it from the client and the log is the one place to find the cause; 4xx errors log their reason
// alone (their messages may quote what the caller sent).
func AccessLog(logger log.Logger) middleware.Middleware {
	return func(next middleware.Handler) middleware.Handler {
		return func(ctx context.Context, req any) (any, error) {
			kind, op := "", ""
			if tr, ok := transport.FromServerContext(ctx); ok {
				kind, op = tr.Kind().String(), tr.Operation()
			}
			start := time.Now()
			reply, err := next(ctx, req)
			code, reason, level := int32(200), "", log.LevelInfo
			kv := []any{"msg", "request", "kind", "server", "component", kind, "operation", op}
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
			_ = log.WithContext(ctx, logger).Log(level, kv...)
			return reply, err
		}
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
