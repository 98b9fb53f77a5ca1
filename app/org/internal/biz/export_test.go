package biz

import "github.com/vanguard/vanguard/pkg/clock"

// NewFakeRepos returns the biz tests' in-memory repositories (fakes_test.go) over one fresh,
// empty store, so the external test package can run the repository contract on them
// (contract_test.go).
func NewFakeRepos() (OrgRepo, AccountRepo, TokenRepo, LoginFailureRepo, AuditRepo, Transaction) {
	db := newFakeDB(clock.NewFake(testT0))
	return fakeOrgRepo{db}, fakeAccountRepo{db}, fakeTokenRepo{db}, fakeFailureRepo{db}, fakeAuditRepo{db}, fakeTx{db}
}
