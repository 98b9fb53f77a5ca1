// Package biz holds the quiz service's domain: question banks and versioned questions, papers,
// exams with windows and policies, attempts with frozen per-attempt snapshots, grading and
// results release. It depends on the standard library (and golang.org/x/text for width folding),
// pkg/auth, pkg/clock, pkg/htmlsafe, pkg/sheet (import templates and the plain rows of exports,
// which the service layer renders) and its interfaces: no SDK.
package biz

import (
	"context"
	"errors"
	"fmt"
	"github.com/vanguard/vanguard/pkg/bizerr"
	"time"
)

// Domain errors.
var (
	ErrNotFound      = errors.New("not found")
	ErrAlreadyExists = errors.New("already exists")
	ErrOrgNotFound   = errors.New("org not found")
	// ErrConflict means a conditional update lost a race (e.g. the attempt changed status).
	ErrConflict = errors.New("conflict")
	// ErrBankNotEmpty is a bank that still holds questions.
	ErrBankNotEmpty = errors.New("bank not empty")
	// ErrPaperInUse is a paper some exam uses: its content stays as it is.
	ErrPaperInUse = errors.New("paper in use")
)

// FieldError is bad input naming the field (shared with every service).
type FieldError = bizerr.FieldError

// PermissionError is a denial with a user-facing message (shared with every service).
type PermissionError = bizerr.PermissionError

// Invalid returns a FieldError.
var Invalid = bizerr.Invalid

var deny = bizerr.Deny

// ClosedError means the exam or attempt does not accept this action now; Exam tells which.
type ClosedError struct {
	Exam bool
	Msg  string
}

func (e *ClosedError) Error() string { return e.Msg }

// StaleError means an autosave carried an older version than the stored one.
type StaleError struct{ Current int64 }

func (e *StaleError) Error() string { return fmt.Sprintf("stale answer; stored version %d", e.Current) }

// ImpossibleRulesError means a random paper's rules cannot be met.
type ImpossibleRulesError struct{ Msg string }

func (e *ImpossibleRulesError) Error() string { return e.Msg }

// Transaction runs fn in one database transaction carried by the context.
type Transaction interface {
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
}

// OrgInfo is what the quiz service needs of an organisation.
type OrgInfo struct {
	ID   int64
	Path string
	Name string
}

// OrgDirectory looks organisations and accounts up in the org service, as the caller (so the
// org service's scope rules apply: an account outside the caller's view is not found).
type OrgDirectory interface {
	GetOrg(ctx context.Context, id int64) (*OrgInfo, error)
	// AccountOrgPath returns the org path of an account; ErrNotFound if invisible.
	AccountOrgPath(ctx context.Context, userID int64) (string, error)
}

// PersonName is how a member is shown to the managers of their exams.
type PersonName struct {
	Name    string
	OrgID   int64
	OrgName string
}

// Names are the names the org service gave for some members and orgs; missing ones are absent.
type Names struct {
	People map[int64]PersonName
	Orgs   map[int64]string
}

// NameDirectory looks names up in the org service as the quiz service itself, not as the
// caller: the use cases ask only for the people their own scope checks let the caller list
// (the members of an exam the caller manages).
type NameDirectory interface {
	Lookup(ctx context.Context, userIDs, orgIDs []int64) (Names, error)
}

// StatusCounts counts an exam's attempts by status.
type StatusCounts struct {
	InProgress, Submitted, Graded int
}

// QType is a question type.
type QType string

// Question types.
const (
	Single    QType = "single"
	Multiple  QType = "multiple"
	TrueFalse QType = "true_false"
	FillBlank QType = "fill_blank"
	Essay     QType = "essay"
)

// Option is one choice of a choice question.
type Option struct {
	Key  string `json:"key"`
	HTML string `json:"html"`
}

// Bank is a question bank owned by an org.
type Bank struct {
	ID            int64
	OrgID         int64
	OrgPath       string
	Name          string
	ExamOnly      bool
	CreatedBy     int64
	QuestionCount int
}

// Question is the current version of a question, with its key.
type Question struct {
	ID          int64      `json:"id"`
	BankID      int64      `json:"bank_id"`
	Version     int        `json:"version"`
	Type        QType      `json:"type"`
	StemHTML    string     `json:"stem_html"`
	Options     []Option   `json:"options,omitempty"`
	AnswerKeys  []string   `json:"answer_keys,omitempty"`
	Blanks      [][]string `json:"blanks,omitempty"`
	Reference   string     `json:"reference,omitempty"`
	Explanation string     `json:"explanation,omitempty"`
	Difficulty  int        `json:"difficulty"`
	Tags        []string   `json:"tags,omitempty"`
	Points      float64    `json:"points"`
	// Archived questions have left their bank (ArchiveQuestion); papers that hold them keep them.
	Archived bool `json:"archived,omitempty"`
}

// PaperItem is a fixed question of a paper.
type PaperItem struct {
	QuestionID int64   `json:"question_id"`
	Points     float64 `json:"points"`
}

// PaperRule draws Count random questions from a bank.
type PaperRule struct {
	BankID     int64    `json:"bank_id"`
	Tags       []string `json:"tags,omitempty"`
	Difficulty int      `json:"difficulty,omitempty"`
	Type       QType    `json:"type,omitempty"`
	Count      int      `json:"count"`
	Points     float64  `json:"points"`
}

// Paper is a fixed list of questions, or rules drawn afresh for every attempt.
type Paper struct {
	ID        int64
	OrgPath   string
	Title     string
	Items     []PaperItem
	Rules     []PaperRule
	CreatedBy int64
}

// Random reports whether the paper is drawn by rules.
func (p *Paper) Random() bool { return len(p.Rules) > 0 }

// Results policies.
const (
	ResultsImmediate  = "immediate"
	ResultsAfterClose = "after_close"
	ResultsNever      = "never"
)

// Grading methods across attempts.
const (
	GradeHighest = "highest"
	GradeLast    = "last"
	GradeFirst   = "first"
	GradeAverage = "average"
)

// Exam is a paper offered to target orgs in a window.
type Exam struct {
	ID               int64
	PaperID          int64
	OrgPath          string // owner's org: trainers and staff there manage it
	Title            string
	OpensAt          time.Time
	ClosesAt         time.Time
	Duration         time.Duration
	AttemptsAllowed  int
	GradingMethod    string
	PassMark         float64
	ShuffleQuestions bool
	ShuffleOptions   bool
	ResultsPolicy    string
	PartialCredit    bool
	// CreditHours are the study hours (学时) a member earns once by passing (0: none).
	CreditHours  float64
	TargetOrgIDs []int64
	TargetPaths  []string
	// TargetUserIDs are individual members the exam is offered to, besides the orgs.
	TargetUserIDs []int64
	CreatedBy     int64
	QuestionCount int
	TotalPoints   float64
}

// Attempt statuses.
const (
	AttemptInProgress = "in_progress"
	AttemptSubmitted  = "submitted" // final answers in, grading pending
	AttemptGraded     = "graded"    // objective part graded; may still wait for essay scores
)

// SnapQuestion is one question frozen into an attempt: its content at that version, the option
// order this attempt shows, and the key (which never leaves the server before release).
type SnapQuestion struct {
	No          int        `json:"no"`
	QuestionID  int64      `json:"question_id"`
	Version     int        `json:"version"`
	Type        QType      `json:"type"`
	StemHTML    string     `json:"stem_html"`
	Options     []Option   `json:"options,omitempty"` // in display order, keys relabelled A, B, …
	AnswerKeys  []string   `json:"answer_keys,omitempty"`
	Blanks      [][]string `json:"blanks,omitempty"`
	Reference   string     `json:"reference,omitempty"`
	Explanation string     `json:"explanation,omitempty"`
	Points      float64    `json:"points"`
}

// GradingKey is what grading needs of a snapshot question: stored beside the snapshot, so a
// grader reads a few hundred bytes per question instead of its stem and options.
type GradingKey struct {
	No         int        `json:"n"`
	Type       QType      `json:"t"`
	Points     float64    `json:"p"`
	AnswerKeys []string   `json:"k,omitempty"`
	Blanks     [][]string `json:"b,omitempty"`
}

// GradingKeys are the keys of qs.
func GradingKeys(qs []SnapQuestion) []GradingKey {
	out := make([]GradingKey, len(qs))
	for i, q := range qs {
		out[i] = GradingKey{No: q.No, Type: q.Type, Points: q.Points, AnswerKeys: q.AnswerKeys, Blanks: q.Blanks}
	}
	return out
}

// KeyQuestions are snapshot questions carrying only their keys (no stem, options or texts).
func KeyQuestions(ks []GradingKey) []SnapQuestion {
	out := make([]SnapQuestion, len(ks))
	for i, k := range ks {
		out[i] = SnapQuestion{No: k.No, Type: k.Type, Points: k.Points, AnswerKeys: k.AnswerKeys, Blanks: k.Blanks}
	}
	return out
}

// Answer is a member's saved answer to one question.
type Answer struct {
	Choices []string `json:"choices,omitempty"`
	Text    string   `json:"text,omitempty"`
	Version int64    `json:"version"`
}

// QScore is the grade of one question.
type QScore struct {
	No            int     `json:"no"`
	Score         float64 `json:"score"`
	Max           float64 `json:"max"`
	Correct       bool    `json:"correct"`
	PendingReview bool    `json:"pending_review,omitempty"`
	Comment       string  `json:"comment,omitempty"`
	GradedBy      int64   `json:"graded_by,omitempty"`
}

// Attempt is one member's go at an exam.
type Attempt struct {
	ID          int64
	ExamID      int64
	UserID      int64
	UserOrgPath string
	Number      int
	Status      string
	StartedAt   time.Time
	Deadline    time.Time
	SubmittedAt *time.Time
	Questions   []SnapQuestion
	Answers     map[int]Answer
	Scores      []QScore
	Score       *float64 // total, set when fully graded (no essay pending)
	MaxScore    float64
	FocusLosses int
	GradedAt    *time.Time
	// Notice tells the member about a change after grading (e.g. a regrade after a key fix).
	Notice string
}

// NeedsReview reports whether an essay still waits for a trainer's score.
func (a *Attempt) NeedsReview() bool {
	for _, s := range a.Scores {
		if s.PendingReview {
			return true
		}
	}
	return false
}
