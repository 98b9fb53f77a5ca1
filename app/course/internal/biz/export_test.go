package biz

import "github.com/vanguard/vanguard/pkg/clock"

// NewFakeRepos returns the biz tests' fake repositories and transaction over one fresh, empty
// fake DB, for the repository contract suite (contract_test.go, package biz_test).
func NewFakeRepos() (CourseRepo, AssignmentRepo, UploadRepo, PlanRepo, NewsRepo, Transaction) {
	db := newFakeDB(clock.NewFake(testT0))
	return fakeCourseRepo{db}, fakeAssignmentRepo{db}, fakeUploadRepo{db}, fakePlanRepo{db}, fakeNewsRepo{db}, fakeTx{db}
}
