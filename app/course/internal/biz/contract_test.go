package biz_test

import (
	"testing"

	"github.com/vanguard/vanguard/app/course/internal/biz"
	"github.com/vanguard/vanguard/app/course/internal/biz/biztest"
)

// The fakes the biz tests run on keep the same repository contract as the ent repositories
// (app/course/internal/data TestRepoContract), so what the biz tests prove holds in production.
func TestRepoContract(t *testing.T) {
	biztest.RunRepoSuite(t, func(*testing.T) biztest.Repos {
		courses, assignments, uploads, plans, news, tx := biz.NewFakeRepos()
		return biztest.Repos{Courses: courses, Assignments: assignments, Uploads: uploads, Plans: plans, News: news, Tx: tx}
	})
}
