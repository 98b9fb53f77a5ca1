package service

import (
	"testing"

	kerrors "github.com/go-kratos/kratos/v2/errors"

	"github.com/vanguard/vanguard/app/growth/internal/biz"
	"github.com/vanguard/vanguard/pkg/apierr/apierrtest"
	"github.com/vanguard/vanguard/pkg/bizerr"
)

// TestEveryBizErrorHasAnAPIReason: each exported biz error, bare and wrapped, becomes a client
// error with a reason error_reason.proto declares.
func TestEveryBizErrorHasAnAPIReason(t *testing.T) {
	apierrtest.Suite{
		BizDir:    "../biz",
		ProtoFile: "../../../../api/growth/v1/error_reason.proto",
		Samples: map[string][]error{
			"ErrNotFound":      {biz.ErrNotFound},
			"ErrAlreadyExists": {biz.ErrAlreadyExists},
			"ErrStale":         {biz.ErrStale},
			"ErrLocked":        {biz.ErrLocked},
		},
		Translate: toAPIError,
	}.Run(t)
	// The shared errors biz builds with pkg/bizerr become 400 naming the field and 403.
	if err := toAPIError(bizerr.Invalid("comment", "退回时请写明意见")); kerrors.Code(err) != 400 {
		t.Errorf("a field error: %v", err)
	}
	if err := toAPIError(bizerr.Deny("不能审核自己的成长档案")); kerrors.Code(err) != 403 {
		t.Errorf("a denial: %v", err)
	}
}
