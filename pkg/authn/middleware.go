package authn

import (
	"context"
	"strings"

	kerrors "github.com/go-kratos/kratos/v2/errors"
	"github.com/go-kratos/kratos/v2/log"
	"github.com/go-kratos/kratos/v2/middleware"
	"github.com/go-kratos/kratos/v2/transport"

	"github.com/vanguard/vanguard/pkg/auth"
	"github.com/vanguard/vanguard/pkg/obs"
)

// Rules say which operations need no token and which are for services only.
type Rules struct {
	// Public operations need no access token (login, refresh …).
	Public []string
	// Service operations accept only service credentials (see SignService); every other
	// operation refuses them.
	Service []string
}

// Server returns a Kratos middleware that verifies the bearer token of every request except the
// listed public operations, and puts the principal in the context. Service credentials are
// refused (403) on every operation: use ServerRules to open service operations.
func Server(v *Verifier, logger log.Logger, publicOperations ...string) middleware.Middleware {
	return ServerRules(v, logger, Rules{Public: publicOperations})
}

// ServerRules is Server with service operations: they accept only service tokens, and user
// tokens get a 403 there. It also logs every request that ends in a 401 or 403 with the
// operation and the caller, so denials leave a trace.
func ServerRules(v *Verifier, logger log.Logger, rules Rules) middleware.Middleware {
	public := make(map[string]bool, len(rules.Public))
	for _, op := range rules.Public {
		public[op] = true
	}
	service := make(map[string]bool, len(rules.Service))
	for _, op := range rules.Service {
		service[op] = true
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
				if err == nil && p.IsService() != service[op] {
					if service[op] {
						err = ErrForbidden("仅限服务调用")
					} else {
						err = ErrForbidden("服务凭证不能调用此接口")
					}
				}
				if err != nil {
					helper.WithContext(ctx).Infow("msg", "auth denied", "operation", op, "reason", kerrors.Reason(err))
					return nil, err
				}
				ctx = auth.NewContext(ctx, p)
				obs.SetCaller(ctx, p.UserID, p.Service)
			}
			reply, err := next(ctx, req)
			if err != nil {
				if code := kerrors.Code(err); code == 403 || code == 401 {
					var uid int64
					var svc string
					if p, ok := auth.FromContext(ctx); ok {
						uid, svc = p.UserID, p.Service
					}
					helper.WithContext(ctx).Infow("msg", "request denied", "operation", op, "user_id", uid, "service", svc, "code", code, "reason", kerrors.Reason(err))
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
