// Package validate is a Kratos middleware that checks request messages against the buf.validate
// rules declared in the proto files, and reports the first broken rule as a 400 naming the field.
package validate

import (
	"context"
	"errors"
	"fmt"

	"buf.build/go/protovalidate"
	kerrors "github.com/go-kratos/kratos/v2/errors"
	"github.com/go-kratos/kratos/v2/middleware"
	"google.golang.org/protobuf/proto"
)

// Reason is the error reason of a validation failure.
const Reason = "INVALID_ARGUMENT"

// Server returns the validation middleware.
func Server() (middleware.Middleware, error) {
	v, err := protovalidate.New()
	if err != nil {
		return nil, fmt.Errorf("validate: %w", err)
	}
	return func(next middleware.Handler) middleware.Handler {
		return func(ctx context.Context, req any) (any, error) {
			msg, ok := req.(proto.Message)
			if !ok {
				return next(ctx, req)
			}
			if err := v.Validate(msg); err != nil {
				return nil, toError(err)
			}
			return next(ctx, req)
		}
	}, nil
}

// toError turns a protovalidate error into a 400 whose message names the field and the rule in
// Chinese, with metadata field/rule for programs.
func toError(err error) error {
	var ve *protovalidate.ValidationError
	if !errors.As(err, &ve) || len(ve.Violations) == 0 {
		return kerrors.BadRequest(Reason, "请求参数无效")
	}
	v := ve.Violations[0].Proto
	field := protovalidate.FieldPathString(v.GetField())
	rule := v.GetRuleId()
	msg := describe(rule, ve.Violations[0])
	return kerrors.BadRequest(Reason, fmt.Sprintf("参数 %s 无效：%s", field, msg)).
		WithMetadata(map[string]string{"field": field, "rule": rule, "detail": msg})
}

func describe(rule string, v *protovalidate.Violation) string {
	val := ""
	if v.RuleValue.IsValid() {
		val = v.RuleValue.String()
	}
	switch rule {
	case "string.min_len", "bytes.min_len":
		if val == "1" {
			return "不能为空"
		}
		return "长度不能少于 " + val
	case "string.max_len", "bytes.max_len":
		return "长度不能超过 " + val
	case "string.pattern":
		return "格式不正确"
	case "string.in":
		return "取值不在允许范围内"
	case "int64.gt", "int32.gt":
		return "必须大于 " + val
	case "int64.gte", "int32.gte":
		return "不能小于 " + val
	case "int32.lte", "int64.lte":
		return "不能大于 " + val
	case "int32.gte_lte", "int64.gte_lte":
		return "超出允许范围"
	case "enum.defined_only", "enum.not_in":
		return "取值无效"
	case "repeated.min_items":
		return "至少需要 " + val + " 项"
	case "repeated.max_items":
		return "最多 " + val + " 项"
	}
	return v.Proto.GetMessage()
}
