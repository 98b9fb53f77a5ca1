package biz

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/vanguard/vanguard/pkg/bizerr"
)

// Domain errors.
var (
	// ErrNotFound: the lesson, session or member does not exist or is not the caller's to see.
	ErrNotFound      = errors.New("not found")
	ErrAlreadyExists = errors.New("already exists")
	// ErrSessionEnded: the session was ended; heartbeats on it earn nothing.
	ErrSessionEnded = errors.New("session ended")
	// ErrLessonNotReady: the lesson's media has no duration yet (processing or failed).
	ErrLessonNotReady = errors.New("lesson not ready")
)

// FieldError is bad input naming the field (shared with every service).
type FieldError = bizerr.FieldError

// PermissionError is a denial with a user-facing message (shared with every service).
type PermissionError = bizerr.PermissionError

// Invalid returns a FieldError.
var Invalid = bizerr.Invalid

var deny = bizerr.Deny

// Refusals counted beside the ones Judge returns.
const (
	// Parallel: another session of the member is the one earning (a second tab or device).
	RefusedParallel Refusal = "parallel"
	// DailyCap: the member's lesson credit for the day reached the daily cap.
	RefusedDailyCap Refusal = "daily_cap"
	// Forged: a heartbeat on a session that is not the caller's, or does not exist.
	RefusedForged Refusal = "forged"
)

// AllRefusals is every refusal a heartbeat can get: the bounded set of reasons the service's
// metrics label refusals with.
var AllRefusals = []Refusal{RefusedHidden, RefusedTooFast, RefusedReplayed, RefusedPaused, RefusedCapped,
	RefusedParallel, RefusedDailyCap, RefusedForged}

// Transaction runs fn in one database transaction carried by the context.
type Transaction interface {
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
}

// Lesson is what studyhour needs of a course's lesson.
type Lesson struct {
	ID, CourseID int64
	Kind         string
	Ready        bool // media processed (always true for articles)
	Duration     float64
	PageCount    int
	BodyHTML     string
}

// Courses answers whether the caller may study a lesson (course's gRPC API, with the caller's
// token): ErrNotFound when not.
type Courses interface {
	Lesson(ctx context.Context, id int64) (*Lesson, error)
}

// Accounts answers whether the caller may see a member's records (org's gRPC API, with the
// caller's token): ErrNotFound when not.
type Accounts interface {
	// Person returns an account the caller may see (the member, or staff over the member's org);
	// ErrNotFound otherwise.
	Person(ctx context.Context, id int64) (*Person, error)
	// Members lists the active party members and staff of the org's subtree, for staff over it.
	Members(ctx context.Context, orgID int64) ([]Person, error)
}

// Person is an account as studyhour needs it.
type Person struct {
	ID      int64
	Name    string
	OrgID   int64
	OrgPath string
	// Staff: holds the staff role (基层党组织书记和班子成员: the staff target applies).
	Staff bool
	// TempPaths are the temporary branches (临时党支部) the person belongs to today.
	TempPaths []string
}

// BelongsTo reports whether the person is a member of the org at path or below it, through the
// home org or a temporary branch.
func (p Person) BelongsTo(path string) bool {
	for _, own := range append([]string{p.OrgPath}, p.TempPaths...) {
		if own != "" && strings.HasPrefix(own, path) {
			return true
		}
	}
	return false
}

// Role is the target role of the person.
func (p Person) Role() string {
	if p.Staff {
		return RoleStaff
	}
	return RoleMember
}

// StudySession is one member's session on one lesson.
type StudySession struct {
	ID, MemberID, LessonID, CourseID int64
	StartedAt, LastAt                time.Time
	LastPosition                     float64
	LastSeq                          int64
	Credited                         time.Duration
	EndedAt                          *time.Time
}

// Progress is a member's progress on one lesson across sessions.
type Progress struct {
	ID, MemberID, LessonID, CourseID int64
	Kind                             string
	Duration                         float64
	PageCount                        int
	Watched, Pages                   Spans
	Credited                         time.Duration
	LedgeredSec                      int64
	Position                         float64
	CompletedAt                      *time.Time
	UpdatedAt                        time.Time
}

// MemberState is a member's chain head, the session that earns, and today's lesson credit.
type MemberState struct {
	MemberID      int64
	HeadSeq       int64
	HeadHash      []byte
	Anchor        []byte
	ActiveSession int64
	ActiveUntil   *time.Time
	Day           string
	DayCredited   time.Duration
	// Year is the latest calendar year the member was credited in, YearSeconds its net credit.
	Year        int
	YearSeconds int64
}

// MonthSum is a member's credited seconds of one month from one source.
type MonthSum struct {
	Month   int
	Source  string
	Seconds int64
}

// RefusalTally counts a member's refusals of one reason.
type RefusalTally struct {
	Reason Refusal
	Count  int64
	LastAt time.Time
}

// ExamAttempt is an attempt's latest grading as quiz announced it.
type ExamAttempt struct {
	AttemptID, ExamID, MemberID int64
	Passed                      bool
	GradedAt                    time.Time
}

// Store keeps studyhour's records. Every method runs in the transaction ctx carries, if any.
type Store interface {
	CreateSession(ctx context.Context, s *StudySession) (*StudySession, error)
	// GetSession returns a session; ErrNotFound if missing.
	GetSession(ctx context.Context, id int64) (*StudySession, error)
	// SaveSession writes a session's reference point, credit and end.
	SaveSession(ctx context.Context, s *StudySession) error

	// GetProgress returns a member's progress on a lesson; ErrNotFound if never studied.
	GetProgress(ctx context.Context, memberID, lessonID int64) (*Progress, error)
	// ListProgress returns a member's progress on those of lessonIDs studied, by lesson id.
	ListProgress(ctx context.Context, memberID int64, lessonIDs []int64) ([]*Progress, error)
	// SaveProgress creates or replaces the progress of (MemberID, LessonID).
	SaveProgress(ctx context.Context, p *Progress) (*Progress, error)
	// CompletedLessons returns the member's completed lessons, by lesson id.
	CompletedLessons(ctx context.Context, memberID int64) ([]*Progress, error)
	// CountCompleted counts a member's lessons completed in [from, to).
	CountCompleted(ctx context.Context, memberID int64, from, to time.Time) (int, error)

	// LockMember returns a member's state, created empty if missing, locked until the
	// transaction ends (every credit of the member takes this lock first: the chain never forks).
	LockMember(ctx context.Context, memberID int64) (*MemberState, error)
	// GetMember returns a member's state unlocked (empty if missing).
	GetMember(ctx context.Context, memberID int64) (*MemberState, error)
	SaveMember(ctx context.Context, m *MemberState) error

	// AppendEntry inserts a ledger entry and adds its seconds to the month sums; a second entry
	// with the same (member, seq) fails with ErrAlreadyExists.
	AppendEntry(ctx context.Context, e Entry, month time.Month, year int) error
	// ListEntries returns a member's entries with seq < beforeSeq (0: all), newest first.
	ListEntries(ctx context.Context, memberID, beforeSeq int64, limit int) ([]Entry, error)
	// ChainEntries returns all of a member's entries in seq order.
	ChainEntries(ctx context.Context, memberID int64) ([]Entry, error)
	// MonthSums returns a member's sums of a year.
	MonthSums(ctx context.Context, memberID int64, year int) ([]MonthSum, error)

	// CountRefusal adds one refusal of reason to a member's tally.
	CountRefusal(ctx context.Context, memberID int64, reason Refusal, at time.Time) error
	Refusals(ctx context.Context, memberID int64) ([]RefusalTally, error)

	// SaveExamAttempt records an attempt's grading unless a later one is stored; it reports
	// whether it was stored.
	SaveExamAttempt(ctx context.Context, a ExamAttempt) (bool, error)
	// ExamPassed reports whether any stored attempt of the member at the exam passed.
	ExamPassed(ctx context.Context, memberID, examID int64) (bool, error)
	// ExamCredit returns what the exam currently credits the member (net seconds).
	ExamCredit(ctx context.Context, memberID, examID int64) (int64, error)
	SetExamCredit(ctx context.Context, memberID, examID, seconds int64) error

	// GetCursor returns a backfill's progress (zero when never run); SaveCursor stores it.
	GetCursor(ctx context.Context, name string) (Cursor, error)
	SaveCursor(ctx context.Context, name string, c Cursor) error

	RuleStore
	// YearTotals sums each member's credited seconds of a year (members without any are left out).
	YearTotals(ctx context.Context, memberIDs []int64, year int) (map[int64]int64, error)
	// RefusalTotals sums each member's refused heartbeats (all reasons, all time).
	RefusalTotals(ctx context.Context, memberIDs []int64) (map[int64]int64, error)
}

// Cursor is the progress of a backfill.
type Cursor struct {
	AfterA, AfterB int64
	Done           bool
}

// ExamSource pages over quiz's graded attempts of the exams that credit hours, after (exam,
// attempt), in that order (quiz's gRPC API, with studyhour's service credentials).
type ExamSource interface {
	GradedAttempts(ctx context.Context, afterExam, afterAttempt int64, limit int) ([]Graded, error)
}

// Event is one of studyhour's domain events (published through the outbox).
type Event interface{ isEvent() }

// HoursCredited: a ledger entry other than a lesson heartbeat's.
type HoursCredited struct{ Entry Entry }

// LessonCompleted: a member completed a lesson.
type LessonCompleted struct {
	MemberID, LessonID, CourseID int64
	At                           time.Time
	Credited                     time.Duration
}

func (HoursCredited) isEvent()   {}
func (LessonCompleted) isEvent() {}

// Publisher writes events in the transaction ctx carries.
type Publisher interface {
	Publish(ctx context.Context, evs ...Event) error
}
