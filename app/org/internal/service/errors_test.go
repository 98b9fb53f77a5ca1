package service

import (
	"testing"
	"time"

	"github.com/vanguard/vanguard/app/org/internal/biz"
	"github.com/vanguard/vanguard/pkg/apierr/apierrtest"
)

// TestEveryBizErrorHasAnAPIReason parses the biz package for its exported errors and checks
// that each, bare and wrapped, becomes a client error with a reason error_reason.proto declares:
// an error added to biz later fails here until it has a sample and a mapping.
func TestEveryBizErrorHasAnAPIReason(t *testing.T) {
	report := &biz.ImportError{}
	report.Add(3, "用户名", "不能为空")
	apierrtest.Suite{
		BizDir:    "../biz",
		ProtoFile: "../../../../api/org/v1/error_reason.proto",
		Samples: map[string][]error{
			"ErrOrgNotFound":          {biz.ErrOrgNotFound},
			"ErrAccountNotFound":      {biz.ErrAccountNotFound},
			"ErrAlreadyExists":        {biz.ErrAlreadyExists},
			"ErrOrgNotEmpty":          {biz.ErrOrgNotEmpty},
			"ErrInvalidCredentials":   {biz.ErrInvalidCredentials},
			"ErrAccountDisabled":      {biz.ErrAccountDisabled},
			"ErrInvalidRefreshToken":  {biz.ErrInvalidRefreshToken},
			"ErrWrongPassword":        {biz.ErrWrongPassword},
			"ErrRefreshTokenNotFound": {biz.ErrRefreshTokenNotFound},
			"FieldError":              {biz.Invalid("username", "不能为空"), &biz.FieldError{}},
			"PermissionError":         {&biz.PermissionError{Msg: "只能管理本组织及下级组织"}},
			"HierarchyError":          {&biz.HierarchyError{Msg: "上级组织不能是自己的下级"}},
			"RateLimitError":          {&biz.RateLimitError{RetryAfter: 90 * time.Second}, &biz.RateLimitError{}},
			"ImportError":             {report, &biz.ImportError{}},
			"ErrStepRecorded":         {biz.ErrStepRecorded},
			"ErrTransferPending":      {biz.ErrTransferPending},
			"ErrTransferDecided":      {biz.ErrTransferDecided},
			"ErrTransferNotFound":     {biz.ErrTransferNotFound},
			"ErrDocumentNotFound":     {biz.ErrDocumentNotFound},
			"RuleViolation":           {&biz.RuleViolation{Checks: []biz.RuleCheck{{Rule: biz.RuleObjectAfter, Message: "经过 12 个月以上培养教育考察方可列为发展对象"}}}},
		},
		Translate: toAPIError,
	}.Run(t)
}
