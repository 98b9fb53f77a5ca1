package data

import (
	"testing"

	"github.com/vanguard/vanguard/app/studyhour/internal/biz"
	"github.com/vanguard/vanguard/pkg/attach"
	"github.com/vanguard/vanguard/pkg/attach/attachtest"
	"github.com/vanguard/vanguard/pkg/testdb"
)

// Minutes' and offline records' rows meet pkg/attach's store contract on both databases.
func TestAttachmentStore(t *testing.T) {
	testdb.Each(t, func(t *testing.T, driver, _ string) {
		attachtest.Run(t, func(t *testing.T) attach.Store { return NewAttachmentStore(open(t, driver, testdb.Fresh(t, driver))) },
			biz.ErrNotFound)
	})
}
