package data

import (
	"testing"

	"github.com/vanguard/vanguard/app/org/internal/biz"
	"github.com/vanguard/vanguard/pkg/attach"
	"github.com/vanguard/vanguard/pkg/attach/attachtest"
	"github.com/vanguard/vanguard/pkg/testdb"
)

// The steps' papers' rows meet pkg/attach's store contract on both databases.
func TestDocumentStore(t *testing.T) {
	testdb.Each(t, func(t *testing.T, driver, _ string) {
		attachtest.Run(t, func(t *testing.T) attach.Store { return NewDocumentStore(open(t, driver, testdb.Fresh(t, driver))) },
			biz.ErrDocumentNotFound)
	})
}
