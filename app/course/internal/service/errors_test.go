package service

import (
	"testing"

	"github.com/vanguard/vanguard/app/course/internal/biz"
	"github.com/vanguard/vanguard/pkg/apierr/apierrtest"
)

// TestEveryBizErrorHasAnAPIReason parses the biz package for its exported errors and checks
// that each, bare and wrapped, becomes a client error with a reason error_reason.proto declares:
// an error added to biz later fails here until it has a sample and a mapping.
func TestEveryBizErrorHasAnAPIReason(t *testing.T) {
	apierrtest.Suite{
		BizDir:    "../biz",
		ProtoFile: "../../../../api/course/v1/error_reason.proto",
		Samples: map[string][]error{
			"ErrCourseNotFound": {biz.ErrCourseNotFound},
			"ErrUploadNotFound": {biz.ErrUploadNotFound},
			"ErrOrgNotFound":    {biz.ErrOrgNotFound},
			"ErrAlreadyExists":  {biz.ErrAlreadyExists},
			"ErrMediaNotReady":  {biz.ErrMediaNotReady},
			"ErrMediaChanged":   {biz.ErrMediaChanged},
			"ErrNewsNotFound":   {biz.ErrNewsNotFound},
			"ErrTopicNotFound":  {biz.ErrTopicNotFound},
			"ErrTopicInUse":     {biz.ErrTopicInUse},
			"ErrPlanNotFound":   {biz.ErrPlanNotFound},
			"FieldError":        {biz.Invalid("title", "不能为空"), &biz.FieldError{}},
			"PermissionError":   {&biz.PermissionError{Msg: "只能管理本组织的课程"}},
			"StateError":        {&biz.StateError{Msg: "课程已发布，不能删除"}},
			"RejectedError":     {&biz.RejectedError{Msg: "文件内容与声明的类型不符"}},
		},
		InternalOnly: map[string]string{
			// The media worker's conditional lesson update (LessonPatch.IfProcessingKey) found a
			// newer upload in place; MediaUsecase drops the stale result. No API call sets
			// IfProcessingKey, so reaching a client would be a bug worth a 500 in the log.
			"ErrMediaChanged": "consumed by the media worker, never returned to an API call",
		},
		Translate: toAPIError,
	}.Run(t)
}
