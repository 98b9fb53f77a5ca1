package auth

import (
	"context"
	"strings"

	kerrors "github.com/go-kratos/kratos/v2/errors"
	"github.com/go-kratos/kratos/v2/log"
	"github.com/go-kratos/kratos/v2/middleware"
	"github.com/go-kratos/kratos/v2/transport"
)

// Server returns a Kratos middleware that verifies the bearer token of every request except the
// listed public operations, and puts the principal in the context. It also logs every request
// that ends in a 401 or 403 with the operation and the caller, so denials leave a trace.
func Server(v *Verifier, logger log.Logger, publicOperations ...string) middleware.Middleware {
	public := make(map[string]bool, len(publicOperations))
	for _, op := range publicOperations {
		public[op] = true
	}
	helper := log.NewHelper(log.With(logger, "module", "auth"))
	return func(next middleware.Handler) middleware.Handler {
		return func(ctx context.Context, req any) (any, error) {
			tr, ok := transport.FromServerContext(ctx)
			if !ok {
				return nil, ErrUnauthenticated()
			}
			op := tr.Operation()
			if !public[op] {
				p, err := v.Verify(bearer(tr.RequestHeader().Get("Authorization")))
				if err != nil {
					helper.WithContext(ctx).Infow("msg", "auth denied", "operation", op, "reason", kerrors.Reason(err))
					return nil, err
				}
				ctx = NewContext(ctx, p)
			}
			reply, err := next(ctx, req)
			if err != nil {
				if code := kerrors.Code(err); code == 403 || code == 401 {
					var uid int64
					if p, ok := FromContext(ctx); ok {
						uid = p.UserID
					}
					helper.WithContext(ctx).Infow("msg", "request denied", "operation", op, "user_id", uid, "code", code, "reason", kerrors.Reason(err))
				}
			}
			return reply, err
		}
	}
}

func bearer(header string) string {
	const prefix = "Bearer "
	if len(header) > len(prefix) && strings.EqualFold(header[:len(prefix)], prefix) {
		return strings.TrimSpace(header[len(prefix):])
	}
	return ""
}

// Require returns the principal in ctx or a 401 error if there is none.
func Require(ctx context.Context) (*Principal, error) {
	p, ok := FromContext(ctx)
	if !ok {
		return nil, ErrUnauthenticated()
	}
	return p, nil
}

// Forward is a Kratos client middleware that passes the caller's bearer token on to the service
// being called, so that service applies its own scope rules to the same principal.
func Forward() middleware.Middleware {
	return func(next middleware.Handler) middleware.Handler {
		return func(ctx context.Context, req any) (any, error) {
			if in, ok := transport.FromServerContext(ctx); ok {
				if out, ok := transport.FromClientContext(ctx); ok {
					if h := in.RequestHeader().Get("Authorization"); h != "" {
						out.RequestHeader().Set("Authorization", h)
					}
				}
			}
			return next(ctx, req)
		}
	}
}
