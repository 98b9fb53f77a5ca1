package service

import (
	"errors"
	"fmt"
	"testing"

	kerrors "github.com/go-kratos/kratos/v2/errors"

	"github.com/vanguard/vanguard/app/search/internal/biz"
	"github.com/vanguard/vanguard/pkg/apierr/apierrtest"
	"github.com/vanguard/vanguard/pkg/bizerr"
)

// TestEveryBizErrorHasAnAPIReason: each exported biz error, bare and wrapped, becomes a client
// error with a reason error_reason.proto declares, or never leaves the service.
func TestEveryBizErrorHasAnAPIReason(t *testing.T) {
	apierrtest.Suite{
		BizDir:    "../biz",
		ProtoFile: "../../../../api/search/v1/error_reason.proto",
		Samples: map[string][]error{
			"ErrEmptyScope": {biz.ErrEmptyScope},
			"ErrClaimed":    {biz.ErrClaimed},
		},
		InternalOnly: map[string]string{
			"ErrEmptyScope": "the searcher answers an empty scope with an empty result before asking the engine",
			"ErrClaimed":    "a sync finding its item claimed queues itself again",
		},
		Translate: toAPIError,
	}.Run(t)
	// The index not open yet is the server's condition: 503, the client may retry.
	if _, err := biz.NewIndex(nil).Live(); kerrors.Code(toAPIError(err)) != 503 || kerrors.Reason(toAPIError(err)) != "UNAVAILABLE" {
		t.Errorf("the index not open yet: %v", toAPIError(err))
	}
	// An engine closed under the query twice in a row (the searcher asks the new one once): 503.
	if err := toAPIError(fmt.Errorf("search: %w", biz.EngineClosed(errors.New("index is closed")))); kerrors.Code(err) != 503 || kerrors.Reason(err) != "UNAVAILABLE" {
		t.Errorf("an engine closed under the query: %v", err)
	}
	if err := toAPIError(bizerr.Invalid("q", "请输入搜索词")); kerrors.Code(err) != 400 {
		t.Errorf("a field error: %v", err)
	}
	if err := toAPIError(bizerr.Deny("只有管理员可以管理搜索索引")); kerrors.Code(err) != 403 {
		t.Errorf("a denial: %v", err)
	}
}
