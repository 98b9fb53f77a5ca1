// Package service adapts the org service's biz use cases to the generated gRPC/HTTP interfaces:
// it converts messages to domain values and domain errors to API errors, nothing else.
package service

import (
	"encoding/base64"
	"errors"
	"strconv"
	"time"

	kerrors "github.com/go-kratos/kratos/v2/errors"

	v1 "github.com/vanguard/vanguard/api/org/v1"
	"github.com/vanguard/vanguard/app/org/internal/biz"
	"github.com/vanguard/vanguard/pkg/sheet"
)

// toAPIError maps domain errors to the API's error reasons. Kratos errors (e.g. 401 from auth)
// pass through; anything unknown becomes a 500 whose cause stays in the server log.
func toAPIError(err error) error {
	if err == nil {
		return nil
	}
	var (
		ke  *kerrors.Error
		fe  *biz.FieldError
		pe  *biz.PermissionError
		he  *biz.HierarchyError
		re  *biz.RateLimitError
		ie  *biz.ImportError
		sfe *sheet.ErrFormat
	)
	switch {
	case errors.As(err, &ke):
		return ke
	case errors.As(err, &fe):
		return v1.ErrorInvalidArgument("参数 %s 无效：%s", fe.Field, fe.Reason).WithMetadata(map[string]string{"field": fe.Field})
	case errors.As(err, &pe):
		return v1.ErrorPermissionDenied("%s", pe.Msg)
	case errors.As(err, &he):
		return v1.ErrorInvalidHierarchy("%s", he.Msg)
	case errors.As(err, &re):
		secs := int(re.RetryAfter.Round(time.Second) / time.Second)
		return v1.ErrorTooManyAttempts("登录失败次数过多，请 %d 秒后再试", secs).
			WithMetadata(map[string]string{"retry_after": strconv.Itoa(secs)})
	case errors.As(err, &ie):
		return importError(ie)
	case errors.As(err, &sfe):
		return v1.ErrorInvalidArgument("参数 content 无效：%s", sfe.Msg).WithMetadata(map[string]string{"field": "content"})
	case errors.Is(err, biz.ErrOrgNotFound):
		return v1.ErrorOrgNotFound("组织不存在")
	case errors.Is(err, biz.ErrAccountNotFound):
		return v1.ErrorAccountNotFound("账号不存在")
	case errors.Is(err, biz.ErrAlreadyExists):
		return v1.ErrorAlreadyExists("编码、用户名、手机号或身份证号已被使用")
	case errors.Is(err, biz.ErrOrgNotEmpty):
		return v1.ErrorOrgNotEmpty("组织下仍有下级组织或人员，不能删除")
	case errors.Is(err, biz.ErrInvalidCredentials):
		return v1.ErrorInvalidCredentials("用户名或密码错误")
	case errors.Is(err, biz.ErrAccountDisabled):
		return v1.ErrorAccountDisabled("账号已停用")
	case errors.Is(err, biz.ErrInvalidRefreshToken):
		return v1.ErrorInvalidRefreshToken("刷新凭证无效或已失效，请重新登录")
	case errors.Is(err, biz.ErrWrongPassword):
		return v1.ErrorWrongPassword("原密码不正确")
	}
	return kerrors.InternalServer(v1.ErrorReason_INTERNAL.String(), "服务器内部错误").WithCause(err)
}

func importError(ie *biz.ImportError) error {
	return v1.ErrorImportInvalid("%s", ie.Message()).WithMetadata(ie.Metadata())
}

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
