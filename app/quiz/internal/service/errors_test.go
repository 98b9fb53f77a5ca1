package service

import (
	"testing"

	"github.com/vanguard/vanguard/app/quiz/internal/biz"
	"github.com/vanguard/vanguard/pkg/apierr/apierrtest"
)

// TestEveryBizErrorHasAnAPIReason parses the biz package for its exported errors and checks
// that each, bare and wrapped, becomes a client error with a reason error_reason.proto declares:
// an error added to biz later fails here until it has a sample and a mapping.
func TestEveryBizErrorHasAnAPIReason(t *testing.T) {
	report := &biz.ImportError{}
	report.Add(2, "题型", "不支持的题型")
	apierrtest.Suite{
		BizDir:    "../biz",
		ProtoFile: "../../../../api/quiz/v1/error_reason.proto",
		Samples: map[string][]error{
			"ErrNotFound":          {biz.ErrNotFound},
			"ErrAlreadyExists":     {biz.ErrAlreadyExists},
			"ErrOrgNotFound":       {biz.ErrOrgNotFound},
			"ErrConflict":          {biz.ErrConflict},
			"ErrBankNotEmpty":      {biz.ErrBankNotEmpty},
			"ErrPaperInUse":        {biz.ErrPaperInUse},
			"FieldError":           {biz.Invalid("title", "不能为空"), &biz.FieldError{}},
			"PermissionError":      {&biz.PermissionError{Msg: "只能管理本组织的题库"}},
			"ClosedError":          {&biz.ClosedError{Exam: true, Msg: "考试尚未开始"}, &biz.ClosedError{Msg: "答卷已提交"}},
			"StaleError":           {&biz.StaleError{Current: 7}, &biz.StaleError{}},
			"ImpossibleRulesError": {&biz.ImpossibleRulesError{Msg: "题库中的单选题不足 10 道"}},
			"ImportError":          {report, &biz.ImportError{}},
		},
		Translate: toAPIError,
	}.Run(t)
}
