package biz

import (
	"context"

	"github.com/vanguard/vanguard/pkg/clock"
)

// Deps are what the quiz use cases are built from: the repositories, the other services and
// the queue behind interfaces, the transaction and the clock. New hands each use case only the
// ones it needs.
type Deps struct {
	Banks    BankRepo
	Papers   PaperRepo
	Exams    ExamRepo
	Attempts AttemptRepo
	Regrades RegradeRepo
	Practice PracticeRepo
	Events   Publisher
	Orgs     OrgDirectory
	Queue    TaskQueue
	Tx       Transaction
	Clock    clock.Clock
	// Names looks up members' and orgs' names for their managers; nil shows ids only.
	Names NameDirectory
	// Audit records staff actions for the shared audit log (org's) in their transaction; nil
	// records none there (unit tests).
	Audit AuditLog
	// Grading observes each attempt's first automatic grade for the service's metrics; nil
	// observes nothing.
	Grading GradingObserver
}

// Quiz holds the quiz use cases, one per responsibility:
//
//   - Authoring: question banks, questions (with import and export), papers and exams;
//   - Attempts: taking an exam (start, autosave, submit, autosubmit), grading, essay review,
//     the member's exam list and the managers' attempt lists;
//   - Practice: self-test practice from open banks and the wrong-answer book;
//   - Stats: exam statistics and their spreadsheet;
//   - Regrade: re-scoring after a key fix, its audit trail and its audit-log entry;
//   - Feed: the search service's read of questions (never their keys).
type Quiz struct {
	Authoring *AuthoringUsecase
	Attempts  *AttemptUsecase
	Practice  *PracticeUsecase
	Stats     *StatsUsecase
	Regrade   *RegradeUsecase
	Feed      *SearchFeed
}

// New wires the quiz use cases.
func New(d Deps) *Quiz {
	return &Quiz{
		Authoring: &AuthoringUsecase{banks: d.Banks, papers: d.Papers, exams: d.Exams, orgs: d.Orgs, events: d.Events, tx: d.Tx},
		Attempts: &AttemptUsecase{banks: d.Banks, papers: d.Papers, exams: d.Exams, attempts: d.Attempts, events: d.Events,
			queue: d.Queue, tx: d.Tx, clock: d.Clock, audit: d.Audit, names: d.Names, grading: d.Grading, shuffle: cryptoShuffle},
		Practice: &PracticeUsecase{banks: d.Banks, exams: d.Exams, attempts: d.Attempts, practice: d.Practice, clock: d.Clock, shuffle: cryptoShuffle},
		Stats:    &StatsUsecase{papers: d.Papers, exams: d.Exams, attempts: d.Attempts},
		Regrade: &RegradeUsecase{banks: d.Banks, exams: d.Exams, attempts: d.Attempts, regrades: d.Regrades, events: d.Events,
			tx: d.Tx, clock: d.Clock, audit: d.Audit},
		Feed: &SearchFeed{banks: d.Banks},
	}
}

// Reconcile is one reconciler pass of the use cases: finalise overdue attempts and re-enqueue
// grading of submitted attempts. (The module's pass also drains the outbox and delivers the audit
// entries org has not confirmed.)
func (q *Quiz) Reconcile(ctx context.Context) error {
	return q.Attempts.Reconcile(ctx)
}

// AuthoringUsecase manages question banks, questions, papers and exams.
type AuthoringUsecase struct {
	banks  BankRepo
	papers PaperRepo
	exams  ExamRepo
	orgs   OrgDirectory
	events Publisher
	tx     Transaction
}

// AttemptUsecase runs exams: attempts, answers, submission, grading and essay review.
type AttemptUsecase struct {
	banks    BankRepo
	papers   PaperRepo
	exams    ExamRepo
	attempts AttemptRepo
	events   Publisher
	queue    TaskQueue
	tx       Transaction
	clock    clock.Clock
	// audit receives managers' changes to attempts (deadlines); nil records none (unit tests).
	audit AuditLog
	// names shows members and orgs by name to exams' managers; nil shows ids only.
	names NameDirectory
	// grading is told each first grade's lag once it committed; nil tells no one.
	grading GradingObserver
	// shuffle orders a slice; tests replace it to make shuffles deterministic.
	shuffle func(n int, swap func(i, j int))
	// shapes caches what validating an autosave needs of each attempt.
	shapes shapeCache
}

// PracticeUsecase serves self-test practice and the wrong-answer book.
type PracticeUsecase struct {
	banks    BankRepo
	exams    ExamRepo
	attempts AttemptRepo
	practice PracticeRepo
	clock    clock.Clock
	shuffle  func(n int, swap func(i, j int))
}

// StatsUsecase computes exam statistics for the exam's managers.
type StatsUsecase struct {
	papers   PaperRepo
	exams    ExamRepo
	attempts AttemptRepo
	// cache keeps each exam's figures with the stamp of the attempts they were computed from.
	cache statsCache
}

// RegradeUsecase re-scores an exam's attempts after a key fix and keeps its audit trail.
type RegradeUsecase struct {
	banks    BankRepo
	exams    ExamRepo
	attempts AttemptRepo
	regrades RegradeRepo
	events   Publisher
	tx       Transaction
	clock    clock.Clock
	// audit records the regrade entries for the shared audit log; nil records none there.
	audit AuditLog
}
