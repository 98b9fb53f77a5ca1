package service

import (
	"testing"

	"github.com/vanguard/vanguard/app/studyhour/internal/biz"
	"github.com/vanguard/vanguard/pkg/apierr/apierrtest"
)

// TestEveryBizErrorHasAnAPIReason: each exported biz error, bare and wrapped, becomes a client
// error with a reason error_reason.proto declares.
func TestEveryBizErrorHasAnAPIReason(t *testing.T) {
	apierrtest.Suite{
		BizDir:    "../biz",
		ProtoFile: "../../../../api/studyhour/v1/error_reason.proto",
		Samples: map[string][]error{
			"ErrNotFound":        {biz.ErrNotFound},
			"ErrAlreadyExists":   {biz.ErrAlreadyExists},
			"ErrSessionEnded":    {biz.ErrSessionEnded},
			"ErrLessonNotReady":  {biz.ErrLessonNotReady},
			"ErrCheckinClosed":   {biz.ErrCheckinClosed},
			"ErrRecordDecided":   {biz.ErrRecordDecided},
			"ErrReportLocked":    {biz.ErrReportLocked},
			"ErrAlreadyReported": {biz.ErrAlreadyReported},
			"ErrReportsPending":  {biz.ErrReportsPending},
			"FieldError":         {biz.Invalid("position", "播放位置无效"), &biz.FieldError{}},
			"PermissionError":    {&biz.PermissionError{Msg: "只有组织管理员能查看他人的学时"}},
		},
		Translate: toAPIError,
	}.Run(t)
}
