package biz

// FakeRepos are the in-memory fakes of fakes_test.go over one fake database, exported (to this
// directory's external test package only) for the repository contract suite in contract_test.go.
// Its fields are those of biztest.Repos, so one converts to the other.
type FakeRepos struct {
	Banks    BankRepo
	Papers   PaperRepo
	Exams    ExamRepo
	Attempts AttemptRepo
	Regrades RegradeRepo
	Practice PracticeRepo
	Tx       Transaction
}

// NewFakeRepos returns the fakes the use-case tests run on, over a fresh, empty fake database.
func NewFakeRepos() FakeRepos {
	db := newFakeDB()
	return FakeRepos{Banks: fakeBankRepo{db}, Papers: fakePaperRepo{db}, Exams: fakeExamRepo{db}, Attempts: fakeAttemptRepo{db},
		Regrades: fakeRegradeRepo{db}, Practice: fakePracticeRepo{db}, Tx: fakeTx{db}}
}
