package biz

import (
	"context"
	"time"
)

// BankRepo stores banks and questions.
type BankRepo interface {
	CreateBank(ctx context.Context, b *Bank) (*Bank, error)
	// GetBank returns a bank with QuestionCount filled; ErrNotFound if missing.
	GetBank(ctx context.Context, id int64) (*Bank, error)
	// ListBanks lists banks whose org path starts with pathPrefix ("" = all), with counts.
	ListBanks(ctx context.Context, pathPrefix string) ([]*Bank, error)
	// UpdateBank writes a bank's name and exam-only flag (ErrNotFound if missing).
	UpdateBank(ctx context.Context, b *Bank) (*Bank, error)
	// DeleteBank deletes a bank only while it holds no question, checked in the same statement
	// (ErrBankNotEmpty; ErrNotFound if missing).
	DeleteBank(ctx context.Context, id int64) error

	// CreateQuestion stores a new question at version 1.
	CreateQuestion(ctx context.Context, q *Question) (*Question, error)
	GetQuestion(ctx context.Context, id int64) (*Question, error)
	// GetQuestions returns the questions with the given ids, each once, ordered by id (missing
	// ids are absent).
	GetQuestions(ctx context.Context, ids []int64) ([]*Question, error)
	// ArchiveQuestion takes a question out of its bank: List/FindQuestions, the bank's counts and
	// practice no longer see it, UpdateQuestion refuses it, Get/GetQuestions still return it
	// (Archived set). ErrNotFound if missing or archived already.
	ArchiveQuestion(ctx context.Context, id int64) error
	// UpdateQuestion replaces the content of q.ID and increments its version (ErrNotFound if
	// missing or archived).
	UpdateQuestion(ctx context.Context, q *Question) (*Question, error)
	ListQuestions(ctx context.Context, bankID int64) ([]*Question, error)
	// QuestionsAfter pages through the questions of every bank by id, after afterID, leaving
	// archived ones out (the search feed).
	QuestionsAfter(ctx context.Context, afterID int64, limit int) ([]*Question, error)
	// FindQuestions returns a bank's questions having all the tags (none: any), the difficulty
	// (0: any) and the type ("": any), ordered by id.
	FindQuestions(ctx context.Context, bankID int64, tags []string, difficulty int, typ QType) ([]*Question, error)
}

// PaperRepo stores papers.
type PaperRepo interface {
	CreatePaper(ctx context.Context, p *Paper) (*Paper, error)
	GetPaper(ctx context.Context, id int64) (*Paper, error)
	// ListManagedPapers lists papers owned by orgs whose path starts with prefix ("" = all),
	// newest (highest id) first.
	ListManagedPapers(ctx context.Context, prefix string) ([]*Paper, error)
	// UpdatePaper writes a paper's title and, with content set, its items and rules — then only
	// while no exam uses the paper, checked in the same statement (ErrPaperInUse; ErrNotFound if
	// missing).
	UpdatePaper(ctx context.Context, p *Paper, content bool) (*Paper, error)
	// DeletePaper deletes a paper only while no exam uses it, checked in the same statement
	// (ErrPaperInUse; ErrNotFound if missing).
	DeletePaper(ctx context.Context, id int64) error
}

// ExamRepo stores exams and their target orgs.
type ExamRepo interface {
	CreateExam(ctx context.Context, e *Exam) (*Exam, error)
	GetExam(ctx context.Context, id int64) (*Exam, error)
	// GetExams returns the exams with the given ids, with their targets, each once, ordered by id
	// (missing ids are absent).
	GetExams(ctx context.Context, ids []int64) ([]*Exam, error)
	// ListExamsForPaths lists exams targeted at any of the given org paths or at the user.
	ListExamsForPaths(ctx context.Context, paths []string, userID int64) ([]*Exam, error)
	// ListManagedExams lists exams owned by orgs whose path starts with prefix ("" = all).
	ListManagedExams(ctx context.Context, prefix string) ([]*Exam, error)
	// UpdateExam writes e's settings (title, window, duration, attempts, grading method, pass
	// mark, shuffles, results policy, partial credit; never its paper, owner or targets) only
	// while the exam has no attempt, checked in the same statement: ErrConflict once one exists,
	// ErrNotFound if the exam is missing.
	UpdateExam(ctx context.Context, e *Exam) (*Exam, error)
	// DeleteExam deletes an exam and its targets only while it has no attempt (ErrConflict
	// once one exists, ErrNotFound if missing).
	DeleteExam(ctx context.Context, id int64) error
}

// AttemptRepo stores attempts and their answers.
type AttemptRepo interface {
	// CreateAttempt inserts an attempt; (exam, user, number) is unique → ErrAlreadyExists.
	CreateAttempt(ctx context.Context, a *Attempt) (*Attempt, error)
	// GetAttempt loads an attempt with its answers; ErrNotFound if missing.
	GetAttempt(ctx context.Context, id int64) (*Attempt, error)
	// GetAttemptLocked is GetAttempt holding the attempt's row for the rest of the transaction
	// (as Lock does), in one read.
	GetAttemptLocked(ctx context.Context, id int64) (*Attempt, error)
	// ListAttempts lists an exam's attempts (of one user when userID > 0), ordered by user, number.
	ListAttempts(ctx context.Context, examID, userID int64) ([]*Attempt, error)
	// AttemptsOfUser lists the user's attempts at every exam, ordered by exam, then number,
	// without their snapshots and answers (Questions and Answers empty; Scores kept).
	AttemptsOfUser(ctx context.Context, userID int64) ([]*Attempt, error)
	// ExamStamp changes whenever an attempt of the exam is created or changed (its count and
	// latest change); equal stamps mean the exam's attempts are as they were.
	ExamStamp(ctx context.Context, examID int64) (string, error)
	// ExamAnswers returns the saved answers of every attempt of an exam, by attempt id and
	// question number, in one read.
	ExamAnswers(ctx context.Context, examID int64) (map[int64]map[int]Answer, error)
	// PageAttempts lists up to limit of an exam's attempts with an id above afterID, in id order,
	// without their snapshots and answers (Questions and Answers empty; Scores kept).
	PageAttempts(ctx context.Context, examID, afterID int64, limit int) ([]*Attempt, error)
	// CountByStatus counts the attempts of each exam by status; exams without attempts are
	// absent.
	CountByStatus(ctx context.Context, examIDs []int64) (map[int64]StatusCounts, error)
	// PendingReview lists up to limit graded attempts of the exams with an essay waiting for a
	// score, without snapshots and answers, oldest submission first.
	PendingReview(ctx context.Context, examIDs []int64, limit int) ([]*Attempt, error)
	// SaveAnswer stores an answer unless the stored one has a higher or equal version; it returns
	// the version now stored and whether this save is the one stored.
	SaveAnswer(ctx context.Context, attemptID int64, no int, a Answer) (stored int64, won bool, err error)
	// SaveOpenAnswer is the autosave in one step: it stores the answer only if the attempt is
	// userID's, in progress and its deadline is not before at — checked atomically with the
	// attempt's finalisation, which cannot commit in between — and the stored answer's version is
	// lower. Open is false (nothing stored) when the attempt is not userID's open attempt at at;
	// otherwise Deadline is the attempt's, Stored the version now stored and Won whether this
	// save is it.
	SaveOpenAnswer(ctx context.Context, attemptID, userID int64, no int, a Answer, at time.Time) (SaveResult, error)
	// Lock holds the attempt's row for the rest of the transaction whatever its status
	// (ErrNotFound if missing), so grading and a regrade of one attempt never interleave.
	Lock(ctx context.Context, id int64) error
	// SetDeadline changes an attempt's deadline (ErrNotFound if missing).
	SetDeadline(ctx context.Context, id int64, deadline time.Time) error
	// UpdateQuestions replaces an attempt's snapshot (regrades only).
	UpdateQuestions(ctx context.Context, id int64, qs []SnapQuestion) error
	// Finish moves an attempt from fromStatus to its new Status, writing SubmittedAt, Scores,
	// Score, GradedAt and Notice (never the snapshot); ErrConflict if the stored status is no
	// longer fromStatus.
	Finish(ctx context.Context, a *Attempt, fromStatus string) error
	// FinishGraded writes the grades of submitted attempts (status graded, Scores, Score,
	// GradedAt) in one statement, each only while it is still submitted, and returns the ids it
	// changed.
	FinishGraded(ctx context.Context, as []*Attempt) (map[int64]bool, error)
	AddFocusLoss(ctx context.Context, id int64) error
	// Overdue lists in-progress attempts whose deadline is before t (without their snapshots).
	Overdue(ctx context.Context, t time.Time, limit int) ([]*Attempt, error)
	// OpenDeadlines pages over the in-progress attempts by id: up to limit of those with an id
	// above afterID, in id order, with their deadlines.
	OpenDeadlines(ctx context.Context, afterID int64, limit int) ([]AttemptDeadline, error)
	// ClaimSubmitted locks and loads (with answers) up to limit submitted attempts for grading
	// in the caller's transaction: first id's if it is submitted, then others in id order,
	// skipping attempts another transaction holds (they are being graded or regraded there).
	// Their Questions carry only what grading needs (KeyQuestions: no stems, options or texts).
	ClaimSubmitted(ctx context.Context, id int64, limit int) ([]*Attempt, error)
	// Status returns an attempt's status without locking it (ErrNotFound if missing).
	Status(ctx context.Context, id int64) (string, error)
	// Submitted lists ids of attempts waiting for grading.
	Submitted(ctx context.Context, limit int) ([]int64, error)
}

// SaveResult is the outcome of AttemptRepo.SaveOpenAnswer.
type SaveResult struct {
	Open     bool
	Deadline time.Time
	Stored   int64
	Won      bool
}

// AttemptDeadline is an open attempt's id and deadline.
type AttemptDeadline struct {
	ID       int64
	Deadline time.Time
}

// RegradeLog is the audit entry of one regrade.
type RegradeLog struct {
	ID        int64 // set by RegradeRepo.Add
	ExamID    int64
	ActorID   int64
	ActorName string
	Reason    string
	Checked   int
	Changed   int
	CreatedAt time.Time
}

// RegradeRepo keeps the audit trail of regrades.
type RegradeRepo interface {
	// Add stores r and sets r.ID.
	Add(ctx context.Context, r *RegradeLog) error
	List(ctx context.Context, examID int64) ([]*RegradeLog, error)
}

// AuditEntry is a staff action for the shared audit log (org's, GET /v1/audit-logs), where
// staff of OrgPath's org and above, and admins, read it.
type AuditEntry struct {
	// Key identifies the action, "quiz:<operation>:<id>": appending it again records nothing new.
	Key          string
	ActorID      int64
	ActorName    string
	ActorOrgPath string
	Action       string // e.g. "exam.regrade"
	TargetType   string // e.g. "exam"
	TargetID     int64
	OrgPath      string // the target's org
	Summary      string
	Before       any // JSON-encodable, nil for none
	After        any
}

// AuditLog records staff actions for the shared audit log in the transaction ctx carries (the
// audit spool of pkg/audit/spool), so an entry exists exactly when its change committed; the
// log gets it after the commit, and later if it is unreachable then. Recording a Key that is
// still waiting records nothing new; the log stores each Key once.
type AuditLog interface {
	Record(ctx context.Context, entries ...AuditEntry) error
}

// GradingObserver watches automatic grading for monitoring (the service's metrics).
type GradingObserver interface {
	// FirstGraded is told, once per attempt, the time from its recorded submission to the
	// commit of its first grade (never regrades, nor a trainer's essay scores).
	FirstGraded(lag time.Duration)
}

// DomainEvent is something quiz announces to other services (GradedEvent, QuestionChanged).
type DomainEvent interface{ isDomainEvent() }

// Publisher writes domain events in the transaction ctx carries (the outbox of pkg/outbox), so
// an event exists exactly when the change it announces committed; subscribers get it after the
// commit.
type Publisher interface {
	Publish(ctx context.Context, evs ...DomainEvent) error
}

// TaskQueue enqueues the quiz service's background work; enqueueing twice is harmless.
type TaskQueue interface {
	EnqueueGrade(ctx context.Context, attemptID int64) error
	// ScheduleAutosubmit runs the autosubmit for attemptID at t.
	ScheduleAutosubmit(ctx context.Context, attemptID int64, at time.Time) error
}

// WrongEntry is a stored wrong-answer book row.
type WrongEntry struct {
	UserID      int64
	QuestionID  int64
	WrongCount  int
	LastWrongAt *time.Time
	Mastered    bool
}

// PracticeRepo stores practice sessions, the wrong-answer book, and finds practice questions.
type PracticeRepo interface {
	// PracticeQuestionIDs lists ids of questions in non-exam-only banks owned by the given orgs.
	PracticeQuestionIDs(ctx context.Context, orgPaths []string) ([]int64, error)
	CreateSession(ctx context.Context, userID int64, qs []SnapQuestion) (int64, error)
	// GetSession returns a session's owner and questions; ErrNotFound if missing.
	GetSession(ctx context.Context, id int64) (int64, []SnapQuestion, error)
	// RecordWrong adds one mistake for (user, question) and clears its mastered flag.
	RecordWrong(ctx context.Context, userID, questionID int64, at time.Time) error
	// SetMastered marks (user, question) mastered after a correct retry.
	SetMastered(ctx context.Context, userID, questionID int64) error
	ListWrong(ctx context.Context, userID int64) ([]*WrongEntry, error)
}
