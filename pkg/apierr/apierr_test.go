package apierr_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	kerrors "github.com/go-kratos/kratos/v2/errors"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/vanguard/vanguard/pkg/apierr"
	"github.com/vanguard/vanguard/pkg/authn"
	"github.com/vanguard/vanguard/pkg/bizerr"
	"github.com/vanguard/vanguard/pkg/validate"
)

var (
	errGone = errors.New("gone")
	errBusy = errors.New("busy")
)

type quotaError struct{ Left int }

func (e *quotaError) Error() string { return fmt.Sprintf("quota: %d left", e.Left) }

// translator is a service's table: a sentinel, a typed error and a sentinel that also matches
// an earlier shared rule (its rule must not win).
var translator = apierr.New(
	apierr.Is(errGone, func(format string, args ...any) *kerrors.Error {
		return kerrors.NotFound("GONE", fmt.Sprintf(format, args...))
	}, "不存在"),
	apierr.As(func(e *quotaError) *kerrors.Error {
		return kerrors.New(429, "QUOTA", fmt.Sprintf("还剩 %d 次", e.Left))
	}),
	apierr.Is(errBusy, func(string, ...any) *kerrors.Error { return kerrors.Conflict("BUSY", "忙") }, ""),
)

func TestTranslate(t *testing.T) {
	type want struct {
		Code     int32
		Reason   string
		Message  string
		Metadata map[string]string
	}
	denied := authn.ErrForbidden("不能这样做")
	tests := []struct {
		name string
		err  error
		want want
	}{
		{"field error", bizerr.Invalid("name", "不能为空"),
			want{400, "INVALID_ARGUMENT", "参数 name 无效：不能为空", map[string]string{"field": "name", "detail": "不能为空"}}},
		{"wrapped field error", fmt.Errorf("repo.Create: %w", bizerr.Invalid("title", "长度不能超过 %d 个字符", 64)),
			want{400, "INVALID_ARGUMENT", "参数 title 无效：长度不能超过 64 个字符", map[string]string{"field": "title", "detail": "长度不能超过 64 个字符"}}},
		{"permission error", fmt.Errorf("x: %w", bizerr.Deny("只能管理本组织")),
			want{403, "PERMISSION_DENIED", "只能管理本组织", nil}},
		{"kratos error passes through", fmt.Errorf("x: %w", denied),
			want{403, "PERMISSION_DENIED", "不能这样做", nil}},
		{"auth 401 passes through", authn.ErrUnauthenticated(),
			want{401, authn.ReasonUnauthenticated, "未登录或登录凭证无效", nil}},
		{"unauthenticated", fmt.Errorf("repo.Me: %w", bizerr.ErrUnauthenticated),
			want{401, authn.ReasonUnauthenticated, "未登录或登录凭证无效", nil}},
		{"service sentinel", fmt.Errorf("repo.Get: %w", errGone), want{404, "GONE", "不存在", nil}},
		{"service type", fmt.Errorf("x: %w", &quotaError{Left: 2}), want{429, "QUOTA", "还剩 2 次", nil}},
		{"shared rule before the service's", errors.Join(errBusy, bizerr.Invalid("a", "b")),
			want{400, "INVALID_ARGUMENT", "参数 a 无效：b", map[string]string{"field": "a", "detail": "b"}}},
		{"service rule before cancellation", errors.Join(context.Canceled, errGone), want{404, "GONE", "不存在", nil}},
		{"cancelled", fmt.Errorf("repo.List: %w", context.Canceled),
			want{503, "UNAVAILABLE", "服务繁忙或请求已超时，请稍后重试", nil}},
		{"deadline", fmt.Errorf("repo.List: %w", context.DeadlineExceeded),
			want{503, "UNAVAILABLE", "服务繁忙或请求已超时，请稍后重试", nil}},
		{"unknown", errors.New("pq: relation \"secret_table\" does not exist"),
			want{500, "INTERNAL", "服务器内部错误", nil}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ke, ok := translator.Translate(tt.err).(*kerrors.Error)
			if !ok {
				t.Fatalf("Translate(%v) is not a *kerrors.Error", tt.err)
			}
			got := want{ke.Code, ke.Reason, ke.Message, ke.Metadata}
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Translate(%v) (-want +got):\n%s", tt.err, diff)
			}
			if ke.Code >= 500 && !errors.Is(ke, tt.err) {
				t.Errorf("a %d keeps no cause for the log: %v", ke.Code, ke.Unwrap())
			}
			if ke.Code >= 500 && strings.Contains(ke.Message, "secret_table") {
				t.Errorf("500 message leaks the cause: %q", ke.Message)
			}
		})
	}
}

func TestTranslateNil(t *testing.T) {
	// A typed nil in an error interface would turn every success into a failure.
	if err := translator.Translate(nil); err != nil {
		t.Fatalf("Translate(nil) = %#v, want nil", err)
	}
}

func TestSharedReasonsMatchTheirPackages(t *testing.T) {
	if apierr.ReasonInvalidArgument != validate.Reason {
		t.Errorf("ReasonInvalidArgument %q != validate.Reason %q", apierr.ReasonInvalidArgument, validate.Reason)
	}
	if apierr.ReasonPermissionDenied != authn.ReasonPermissionDenied {
		t.Errorf("ReasonPermissionDenied %q != authn.ReasonPermissionDenied %q", apierr.ReasonPermissionDenied, authn.ReasonPermissionDenied)
	}
}
