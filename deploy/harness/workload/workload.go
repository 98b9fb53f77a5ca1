// Package workload drives the distributed harness's scenarios the way real clients do — over
// HTTP through the gateway, with real tokens — and reads the correctness counts from the
// services' own databases.
//
// The scenarios: Seed builds an org with members, an exam and a course; Storm is the exam-end
// submit storm; Heartbeats is the lesson players' heartbeat ingest; SearchWhileIndexing queries
// search while courses are published and changed; NightlyGrowth runs growth's full compile;
// CaughtUp measures how long a newly published course takes to become searchable; Check counts
// lost and duplicated submissions, grades and credits from the databases.
//
// The same API is answered by the standalone binary, so everything here also runs against one
// process on SQLite (see workload_test.go).
package workload

import (
	"database/sql"
	"fmt"
	"io"
	"math"
	"strings"
	"sync"
	"time"
)

// Env is where the workloads run: the gateway URL, the admin credentials and a handle on each
// service's database ("org", "course", "quiz", "studyhour", "growth", "search").
type Env struct {
	BaseURL                  string
	AdminUser, AdminPassword string
	DB                       func(service string) *sql.DB
	Log                      io.Writer
	// CompileThroughAPI makes NightlyGrowth compile each member through the API instead of
	// re-arming the day's nightly run (what it does anyway before 02:00 Beijing time).
	CompileThroughAPI bool
	// Searchers is how many members query at once in SearchWhileIndexing (0: 8).
	Searchers int
}

func (e *Env) api() *api       { return &api{base: strings.TrimRight(e.BaseURL, "/")} }
func (e *Env) logger() *logger { return &logger{w: e.Log} }

// db returns the service's database, or an error naming it when the Env has none.
func (e *Env) db(svc string) (*sql.DB, error) {
	if e.DB != nil {
		if db := e.DB(svc); db != nil {
			return db, nil
		}
	}
	return nil, fmt.Errorf("no database handle for the %s service (Env.DB)", svc)
}

// Member is a member account of the fixture's branch, signed in.
type Member struct {
	ID       int64
	Username string
	s        *session
}

// Submit is one submission as the client saw it.
type Submit struct {
	AttemptID, ExamID, MemberID int64
	// AckedAt: when the 2xx reply arrived (zero: never acknowledged).
	AckedAt time.Time
	// Sends: how many times the submit was sent (1 + retries).
	Sends int
	// Status: the attempt's status in the acknowledging reply (submitted or graded).
	Status string
}

// Fixture is what Seed created, and what the scenarios since have done with it: the client's
// record that Check compares the databases with.
type Fixture struct {
	// Run tags this fixture's usernames, org code and titles (several fixtures can share a
	// cluster).
	Run        string
	RootOrgID  int64
	BranchID   int64
	BranchPath string
	Members    []*Member
	BankID     int64
	PaperID    int64
	// PassMark and CreditHours of every exam the fixture makes (out of 10 points).
	PassMark    float64
	CreditHours float64
	CourseID    int64
	LessonIDs   []int64
	// Created is when Seed started.
	Created time.Time

	api       *api
	admin     *session
	questions []question

	mu sync.Mutex
	// exams: every exam a Storm ran, in order; spare: Seed's exam until a Storm takes it.
	exams []int64
	spare int64
	// submits by attempt id.
	submits map[int64]*Submit
	// lessonCredit: per member and lesson, what the heartbeat replies credited.
	lessonCredit map[memberLesson]creditTally
	// heartbeatRuns counts Heartbeats calls (each studies the next lesson).
	heartbeatRuns int
	// courses published by SearchWhileIndexing and CaughtUp.
	courses []int64
}

type memberLesson struct{ Member, Lesson int64 }

// creditTally adds up a lesson's heartbeat credits the way studyhour keeps them, so the whole
// seconds expected in the ledger are exactly what the server writes: the progress stores the
// credited time in whole milliseconds (each heartbeat's credit is added to the stored
// milliseconds, then truncated), and a heartbeat writes to the ledger the whole seconds of the
// stored milliseconds plus its own credit at full precision.
type creditTally struct {
	// ms: the credits, each truncated to the millisecond (what the progress stores).
	ms time.Duration
	// rem: the part under a millisecond of the last credit (counted once, by its heartbeat).
	rem time.Duration
}

// add counts one heartbeat's credit (the reply's seconds, back to nanoseconds).
func (t *creditTally) add(seconds float64) {
	d := time.Duration(math.Round(seconds * 1e9))
	t.ms += d.Truncate(time.Millisecond)
	t.rem = d - d.Truncate(time.Millisecond)
}

// merge adds a later run's tally.
func (t *creditTally) merge(later creditTally) {
	t.ms += later.ms
	t.rem = later.rem
}

// wholeSeconds is what the ledger should hold.
func (t creditTally) wholeSeconds() int64 { return int64((t.ms + t.rem) / time.Second) }

// Exams returns the exams the storms ran, in order.
func (f *Fixture) Exams() []int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]int64(nil), f.exams...)
}

// Submits returns every submission the client made, acknowledged or not.
func (f *Fixture) Submits() []Submit {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]Submit, 0, len(f.submits))
	for _, s := range f.submits {
		out = append(out, *s)
	}
	return out
}

// StormResult reports one exam-end storm.
type StormResult struct {
	ExamID  int64
	Members int
	Window  time.Duration
	// Prepare: starting every attempt and saving every answer, before the window.
	Prepare         time.Duration
	PrepareRequests int
	// Sent: submits sent at least once; Submitted: those acknowledged with a 2xx; Failed: those
	// never acknowledged (each with its last error in Errors).
	Sent, Submitted, Failed int
	// Retries: sends after the first (network error or 5xx, same attempt); RetriedAcked: submits
	// acknowledged only after a retry.
	Retries, RetriedAcked int
	// Errors: every failed send, by status ("HTTP 503", "network" …), retried or not.
	Errors map[string]int
	// SendSpan: first send to last acknowledgement; SubmitRate: acknowledged submits per
	// second over it.
	SendSpan   time.Duration
	SubmitRate float64
	// Latency of the acknowledged sends; EndToEnd: first send to acknowledgement, retries
	// included.
	Latency, EndToEnd Latency
	// Graded: acknowledged attempts graded when the storm returned; AllGraded: all of them.
	Graded    int
	AllGraded bool
	// Drain: last acknowledgement to the last grade (graded_at from the database).
	Drain time.Duration
	// GradingLag: graded_at − submitted_at of the exam's graded attempts (database times).
	GradingLag Latency
}

// Rate reports a heartbeat ingest run.
type Rate struct {
	Members         int
	Duration        time.Duration
	IntervalSeconds int32
	// Sent heartbeats; Accepted: those that earned credit; Refused: those answered with a
	// refusal, by reason; Errors: those not answered 200, by status.
	Sent, Accepted int
	Refused        map[string]int
	Errors         map[string]int
	// PerSecond: accepted heartbeats per second; SentPerSecond: all sent.
	PerSecond, SentPerSecond float64
	// CreditedSeconds: study time the replies credited.
	CreditedSeconds float64
	Latency         Latency
	// SessionOpen: latency of opening the study sessions (before the run).
	SessionOpen Latency
}

// SearchResult reports search while indexing.
type SearchResult struct {
	Duration  time.Duration
	Searchers int
	// Queries answered 200, per second, and their latency; QueryErrors by status.
	Queries          int
	QueriesPerSecond float64
	QueryLatency     Latency
	QueryErrors      map[string]int
	// Published new courses and Updated (summary changed) published ones; ChangeErrors by
	// status.
	Published, Updated int
	ChangeErrors       map[string]int
	// Found: changes seen in search; NotFound: changes not seen within the wait.
	Found, NotFound int
	// IndexLag: from the change acknowledged (a new course: its assignment) to search finding
	// it; LagResolution: the most time between two looks at one change (one poller looks for
	// all, one query at a time); LagQueries: the poller's queries (not in Queries).
	IndexLag      Latency
	LagResolution time.Duration
	LagQueries    int
	// WriteLag: from each course's last change to search writing its documents, read from
	// search's database (index_entries.synced_at): exact.
	WriteLag Latency
}

// GrowthResult reports the nightly growth compile.
type GrowthResult struct {
	// Method: "nightly" (today's nightly run re-armed in growth's database and claimed by a
	// reconciler pass) or "compile-api" (POST /v1/members/{id}/growth-file:compile per member,
	// when the nightly cannot run: before 02:00 Beijing time or without write access).
	Method string
	// Members: the fixture's members; Compiled: those with a file and no pending compile at the
	// end; Marked: the members the nightly run marked (all of org's members).
	Members, Compiled, Marked int
	// ClaimWait: from re-arming to a reconciler pass claiming the day (not part of Wall).
	ClaimWait time.Duration
	// Wall: from the claim (the first compile request) to the last member compiled.
	Wall             time.Duration
	MembersPerSecond float64
	// Versions: new file versions stored during the run.
	Versions int
	Errors   map[string]int
}

// Counts are the correctness counts read from the databases.
type Counts struct {
	// Submitted: submits acknowledged 2xx to the client; Stored: those whose attempt is stored
	// submitted or graded; Lost: acknowledged but not stored; Graded: acknowledged attempts with
	// a final grade (status graded and a score); Ungraded: stored but not graded yet.
	Submitted, Stored, Lost, Graded, Ungraded int
	// UnackedStored: attempts stored submitted or graded whose submit the client never saw
	// acknowledged (a reply lost on the way back) — not a loss.
	UnackedStored int
	// GradeEvents: attempt.graded events (first grading, not regrades) of the fixture's
	// attempts; DuplicateGrades: attempts with more than one; MissingGradeEvents: graded
	// attempts with none.
	GradeEvents, DuplicateGrades, MissingGradeEvents int
	// PendingDeliveries: quiz's attempt events not yet acknowledged by a subscriber.
	PendingDeliveries int
	// Exam credits (member × exam): Expected for each passing member, Found in studyhour's
	// ledger, Lost and Duplicated (more than one net credit entry); ExamAttemptsDuplicated:
	// attempts studyhour recorded more than once.
	ExamCreditsExpected, ExamCreditsFound, ExamCreditsLost, ExamCreditsDuplicated int
	// Lesson credits (member × lesson studied): Expected seconds are the whole seconds the
	// heartbeat replies credited; Found those in the ledger; LessonCreditsLost: pairs whose
	// ledger holds less than the replies credited; LessonCreditsDuplicated: pairs whose ledger
	// holds more than the lesson's progress credited.
	LessonPairs                                 int
	LessonSecondsExpected, LessonSecondsFound   int64
	LessonCreditsLost, LessonCreditsDuplicated  int
	LessonsCompleted                            int
	LessonEventsMissing, LessonEventsDuplicated int
	HoursEventsMissing, HoursEventsDuplicated   int
	// CreditsExpected … CreditsDuplicated: exam and lesson credits together (pairs).
	CreditsExpected, CreditsFound, CreditsLost, CreditsDuplicated int
	// Settled: nothing was still in flight (every acknowledged submit graded, every expected
	// credit found) when Check returned; Waited: how long it waited for that.
	Settled bool
	Waited  time.Duration
}
