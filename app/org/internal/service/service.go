// Package service adapts the org service's biz use cases to the generated gRPC/HTTP interfaces:
// it converts messages to domain values and domain errors to API errors, nothing else.
package service

import (
	"encoding/base64"
	"strconv"
	"time"

	kerrors "github.com/go-kratos/kratos/v2/errors"

	v1 "github.com/vanguard/vanguard/api/org/v1"
	"github.com/vanguard/vanguard/app/org/internal/biz"
	"github.com/vanguard/vanguard/pkg/apierr"
	"github.com/vanguard/vanguard/pkg/sheet"
)

// apiErrors maps the org service's own domain errors to its API reasons; pkg/apierr adds what
// every service shares (Kratos errors as they are, field and permission errors, cancellation,
// and a 500 that hides its cause for anything else).
var apiErrors = apierr.New(
	apierr.As(func(e *biz.HierarchyError) *kerrors.Error { return v1.ErrorInvalidHierarchy("%s", e.Msg) }),
	apierr.As(func(e *biz.RateLimitError) *kerrors.Error {
		secs := int(e.RetryAfter.Round(time.Second) / time.Second)
		return v1.ErrorTooManyAttempts("登录失败次数过多，请 %d 秒后再试", secs).
			WithMetadata(map[string]string{"retry_after": strconv.Itoa(secs)})
	}),
	apierr.As(func(e *biz.ImportError) *kerrors.Error {
		return v1.ErrorImportInvalid("%s", e.Message()).WithMetadata(e.Metadata())
	}),
	apierr.As(func(e *sheet.ErrFormat) *kerrors.Error { return apierr.InvalidArgument("content", e.Msg) }),
	apierr.Is(biz.ErrOrgNotFound, v1.ErrorOrgNotFound, "组织不存在"),
	apierr.Is(biz.ErrAccountNotFound, v1.ErrorAccountNotFound, "账号不存在"),
	apierr.Is(biz.ErrAlreadyExists, v1.ErrorAlreadyExists, "编码、用户名、手机号或身份证号已被使用"),
	apierr.Is(biz.ErrOrgNotEmpty, v1.ErrorOrgNotEmpty, "组织下仍有下级组织或人员，不能删除"),
	apierr.Is(biz.ErrInvalidCredentials, v1.ErrorInvalidCredentials, "用户名或密码错误"),
	apierr.Is(biz.ErrAccountDisabled, v1.ErrorAccountDisabled, "账号已停用"),
	apierr.Is(biz.ErrInvalidRefreshToken, v1.ErrorInvalidRefreshToken, "刷新凭证无效或已失效，请重新登录"),
	// The data layer's "no such token"; biz answers it as an invalid token, and so does the API
	// should it ever get here.
	apierr.Is(biz.ErrRefreshTokenNotFound, v1.ErrorInvalidRefreshToken, "刷新凭证无效或已失效，请重新登录"),
	apierr.Is(biz.ErrWrongPassword, v1.ErrorWrongPassword, "原密码不正确"),
	apierr.As(func(e *biz.RuleViolation) *kerrors.Error {
		md := map[string]string{"rule": e.Rule()}
		if !e.Earliest.IsZero() {
			md["earliest"] = e.Earliest.String()
		}
		if !e.Deadline.IsZero() {
			md["deadline"] = e.Deadline.String()
		}
		return v1.ErrorDevelopmentRule("%s", e.Error()).WithMetadata(md)
	}),
	apierr.Is(biz.ErrTransferPending, v1.ErrorTransferPending, "该党员已有待接收的组织关系转接"),
	apierr.Is(biz.ErrTransferDecided, v1.ErrorTransferDecided, "该转接已办理"),
	apierr.Is(biz.ErrTransferNotFound, v1.ErrorTransferNotFound, "转接记录不存在"),
	apierr.Is(biz.ErrDocumentNotFound, v1.ErrorDocumentNotFound, "材料不存在"),
	apierr.Is(biz.ErrStepRecorded, v1.ErrorStepRecorded, "该步骤已登记，内容不同；如需更正请联系系统管理员"),
)

// toAPIError maps a use case's error to the API's error (nil stays nil).
func toAPIError(err error) error { return apiErrors.Translate(err) }

func ts(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func encodeCursor(s string) string {
	if s == "" {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString([]byte(s))
}

func decodeCursor(field, token string) (string, error) {
	if token == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return "", biz.Invalid(field, "分页标记无效")
	}
	return string(b), nil
}

func decodeIDCursor(field, token string) (int64, error) {
	s, err := decodeCursor(field, token)
	if err != nil || s == "" {
		return 0, err
	}
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, biz.Invalid(field, "分页标记无效")
	}
	return id, nil
}
