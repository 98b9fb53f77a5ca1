// Package apierr turns domain errors into Kratos API errors: the part every service's
// translation shares, written once. A service lists only its own sentinels and error types as
// Rules (New); the rest is handled here:
//
//   - errors that already are Kratos errors (auth's 401/403, a translation done earlier) pass
//     through unchanged;
//   - a bizerr.FieldError is 400 INVALID_ARGUMENT with metadata "field" and "detail";
//   - a bizerr.PermissionError is 403 PERMISSION_DENIED with its user-facing message;
//   - bizerr.ErrUnauthenticated is 401 UNAUTHENTICATED;
//   - a cancelled or timed-out request is 503 UNAVAILABLE (the work was not done; retry);
//   - so is a dependency that does not answer (the database refusing or dropping connections,
//     shutting down or starting up): 503 UNAVAILABLE with Retry-After 1, not a 500, so clients
//     and operators see an outage to wait out rather than a bug;
//   - anything else is 500 INTERNAL whose message reveals nothing; the cause stays attached for
//     the server log (pkg/obs) and is never sent (pkg/httpx hides 5xx messages too).
//
// Every service's error_reason.proto declares INTERNAL, INVALID_ARGUMENT and PERMISSION_DENIED
// with these codes, so the shared errors equal what the service's generated helpers build.
// Only service layers import this package; biz packages return plain Go errors.
package apierr

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"strings"
	"syscall"

	kerrors "github.com/go-kratos/kratos/v2/errors"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/vanguard/vanguard/pkg/authn"
	"github.com/vanguard/vanguard/pkg/bizerr"
)

// Reasons of the errors this package builds itself.
const (
	// ReasonInternal is an unexpected failure (500); details are only in the server log.
	ReasonInternal = "INTERNAL"
	// ReasonInvalidArgument is bad input (400); metadata "field" names the request field and
	// "detail" says what is wrong with it (the message without the field, for showing beside
	// the field in a form). The
	// same reason as pkg/validate's.
	ReasonInvalidArgument = "INVALID_ARGUMENT"
	// ReasonPermissionDenied is a denial (403): pkg/authn's reason.
	ReasonPermissionDenied = authn.ReasonPermissionDenied
	// ReasonUnavailable is a request that was cancelled or ran out of time before the work was
	// done (503); the client may retry.
	ReasonUnavailable = "UNAVAILABLE"
)

// Rule turns one kind of domain error into an API error, or returns nil when err is not of its
// kind. Build rules with Is and As.
type Rule func(err error) *kerrors.Error

// Is maps every error for which errors.Is(err, target) holds to build("%s", msg). build is
// usually a generated helper, e.g. Is(biz.ErrCourseNotFound, v1.ErrorCourseNotFound, "课程不存在").
func Is(target error, build func(format string, args ...any) *kerrors.Error, msg string) Rule {
	return func(err error) *kerrors.Error {
		if errors.Is(err, target) {
			return build("%s", msg)
		}
		return nil
	}
}

// As maps every error whose chain holds an E (found with errors.As) to build of that value, for
// error types that carry details, e.g.
// As(func(e *biz.StateError) *kerrors.Error { return v1.ErrorCourseState("%s", e.Msg) }).
func As[E error](build func(E) *kerrors.Error) Rule {
	return func(err error) *kerrors.Error {
		if e, ok := errors.AsType[E](err); ok {
			return build(e)
		}
		return nil
	}
}

// InvalidArgument is the 400 INVALID_ARGUMENT error for field, with reason (Chinese,
// user-facing) saying what is wrong; for rules of input errors that are not bizerr.FieldError.
func InvalidArgument(field, reason string) *kerrors.Error {
	return kerrors.BadRequest(ReasonInvalidArgument, fmt.Sprintf("参数 %s 无效：%s", field, reason)).
		WithMetadata(map[string]string{"field": field, "detail": reason})
}

// Translator is one service's biz→API error translation: the shared rules of this package
// around the service's own.
type Translator struct {
	rules []Rule
}

// New returns the translation with the service's rules, tried in order after the shared bizerr
// types and before the fallbacks (cancellation, then 500).
func New(rules ...Rule) *Translator {
	return &Translator{rules: rules}
}

// Translate maps err to an API error; nil stays nil. See the package comment for the order.
func (t *Translator) Translate(err error) error {
	if err == nil {
		return nil
	}
	if ke, ok := errors.AsType[*kerrors.Error](err); ok {
		return ke
	}
	if fe, ok := errors.AsType[*bizerr.FieldError](err); ok {
		return InvalidArgument(fe.Field, fe.Reason)
	}
	if pe, ok := errors.AsType[*bizerr.PermissionError](err); ok {
		return kerrors.Forbidden(ReasonPermissionDenied, pe.Msg)
	}
	if errors.Is(err, bizerr.ErrUnauthenticated) {
		return authn.ErrUnauthenticated()
	}
	for _, rule := range t.rules {
		if ke := rule(err); ke != nil {
			return ke
		}
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return kerrors.ServiceUnavailable(ReasonUnavailable, "服务繁忙或请求已超时，请稍后重试").WithCause(err)
	}
	if Unreachable(err) {
		return kerrors.ServiceUnavailable(ReasonUnavailable, "服务暂时不可用，请稍后重试").WithCause(err).
			WithMetadata(map[string]string{"retry_after": "1"})
	}
	return kerrors.InternalServer(ReasonInternal, "服务器内部错误").WithCause(err)
}

// Unreachable reports whether err says a dependency did not answer rather than that the work
// was wrong: a refused, reset or cut connection, a connection the driver gave up (driver.
// ErrBadConn), or PostgreSQL shutting down, starting up or ending the session (SQLSTATE class 08,
// 57P01–57P03).
func Unreachable(err error) bool {
	if errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, driver.ErrBadConn) || errors.Is(err, io.ErrUnexpectedEOF) {
		return true
	}
	if pe, ok := errors.AsType[*pgconn.PgError](err); ok {
		return strings.HasPrefix(pe.Code, "08") || pe.Code == "57P01" || pe.Code == "57P02" || pe.Code == "57P03"
	}
	_, ok := errors.AsType[*pgconn.ConnectError](err)
	return ok
}
