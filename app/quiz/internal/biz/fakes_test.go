package biz

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vanguard/vanguard/pkg/auth"
	"github.com/vanguard/vanguard/pkg/clock"
)

// errInjected is the failure the fakes return when a test asks them to fail.
var errInjected = errors.New("fake: injected failure")

// fakeState is everything the in-memory repos hold. The fake transaction copies it wholesale, so
// a failed InTx leaves no trace, like a rolled-back database transaction.
type fakeState struct {
	Banks     map[int64]*Bank
	Questions map[int64]*Question
	Papers    map[int64]*Paper
	Exams     map[int64]*Exam
	Attempts  map[int64]*Attempt
	Answers   map[int64]map[int]Answer // attempt id → question no → answer
	Outbox    []DomainEvent            // in publishing order
	Regrades  []*RegradeLog
	// Audit holds the entries recorded for the shared audit log (the audit spool), in order.
	Audit    []AuditEntry
	Sessions map[int64]*fakeSession
	Wrong    []*WrongEntry // in insertion order
	NextID   int64
	// AttemptWrites counts attempt rows created or changed (ExamStamp).
	AttemptWrites int64
}

// fakeSession is a stored practice session.
type fakeSession struct {
	UserID    int64
	Questions []SnapQuestion
}

func (s *fakeState) clone() *fakeState {
	c := &fakeState{
		Banks:     make(map[int64]*Bank, len(s.Banks)),
		Questions: make(map[int64]*Question, len(s.Questions)),
		Papers:    make(map[int64]*Paper, len(s.Papers)),
		Exams:     make(map[int64]*Exam, len(s.Exams)),
		Attempts:  make(map[int64]*Attempt, len(s.Attempts)),
		Answers:   make(map[int64]map[int]Answer, len(s.Answers)),
		Sessions:  make(map[int64]*fakeSession, len(s.Sessions)),
		NextID:    s.NextID,

		AttemptWrites: s.AttemptWrites,
	}
	for id, b := range s.Banks {
		bc := *b
		c.Banks[id] = &bc
	}
	for id, q := range s.Questions {
		c.Questions[id] = cloneQuestion(q)
	}
	for id, p := range s.Papers {
		c.Papers[id] = clonePaper(p)
	}
	for id, e := range s.Exams {
		c.Exams[id] = cloneExam(e)
	}
	for id, a := range s.Attempts {
		c.Attempts[id] = cloneAttempt(a)
	}
	for id, m := range s.Answers {
		c.Answers[id] = cloneAnswers(m)
	}
	c.Outbox = slices.Clone(s.Outbox)
	for _, r := range s.Regrades {
		rc := *r
		c.Regrades = append(c.Regrades, &rc)
	}
	c.Audit = slices.Clone(s.Audit)
	for id, ps := range s.Sessions {
		c.Sessions[id] = &fakeSession{UserID: ps.UserID, Questions: cloneSnapshot(ps.Questions)}
	}
	for _, w := range s.Wrong {
		c.Wrong = append(c.Wrong, cloneWrong(w))
	}
	return c
}

func cloneBlanks(b [][]string) [][]string {
	if b == nil {
		return nil
	}
	out := make([][]string, len(b))
	for i, alts := range b {
		out[i] = slices.Clone(alts)
	}
	return out
}

func cloneQuestion(q *Question) *Question {
	c := *q
	c.Options = slices.Clone(q.Options)
	c.AnswerKeys = slices.Clone(q.AnswerKeys)
	c.Blanks = cloneBlanks(q.Blanks)
	c.Tags = slices.Clone(q.Tags)
	return &c
}

func clonePaper(p *Paper) *Paper {
	c := *p
	c.Items = slices.Clone(p.Items)
	c.Rules = slices.Clone(p.Rules)
	for i := range c.Rules {
		c.Rules[i].Tags = slices.Clone(p.Rules[i].Tags)
	}
	return &c
}

func cloneExam(e *Exam) *Exam {
	c := *e
	c.TargetOrgIDs = slices.Clone(e.TargetOrgIDs)
	c.TargetPaths = slices.Clone(e.TargetPaths)
	c.TargetUserIDs = slices.Clone(e.TargetUserIDs)
	return &c
}

func cloneTime(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	c := *t
	return &c
}

func cloneAnswers(m map[int]Answer) map[int]Answer {
	if m == nil {
		return nil
	}
	out := make(map[int]Answer, len(m))
	for no, a := range m {
		a.Choices = slices.Clone(a.Choices)
		out[no] = a
	}
	return out
}

func cloneAttempt(a *Attempt) *Attempt {
	c := *a
	c.SubmittedAt, c.GradedAt = cloneTime(a.SubmittedAt), cloneTime(a.GradedAt)
	if a.Score != nil {
		s := *a.Score
		c.Score = &s
	}
	c.Questions = nil
	if a.Questions != nil {
		c.Questions = make([]SnapQuestion, len(a.Questions))
	}
	for i, q := range a.Questions {
		q.Options = slices.Clone(q.Options)
		q.AnswerKeys = slices.Clone(q.AnswerKeys)
		q.Blanks = cloneBlanks(q.Blanks)
		c.Questions[i] = q
	}
	c.Scores = slices.Clone(a.Scores)
	c.Answers = cloneAnswers(a.Answers)
	return &c
}

// cloneSnapshot deep-copies an attempt's frozen questions.
func cloneSnapshot(qs []SnapQuestion) []SnapQuestion {
	if qs == nil {
		return nil
	}
	return cloneAttempt(&Attempt{Questions: qs}).Questions
}

func cloneWrong(w *WrongEntry) *WrongEntry {
	c := *w
	c.LastWrongAt = cloneTime(w.LastWrongAt)
	return &c
}

// fakeDB is the shared store behind all fake repos, with failure injection and call counts.
type fakeDB struct {
	mu sync.Mutex
	st *fakeState

	// failFinish makes the next n AttemptRepo.Finish calls fail with errInjected before writing.
	failFinish int
	// beforeFinish runs (lock held) at the start of every Finish call, e.g. to let "another
	// worker" change the row first.
	beforeFinish func(st *fakeState, a *Attempt, fromStatus string)
	// beforeCreateAttempt runs (lock held) before CreateAttempt's uniqueness check, e.g. to
	// insert the attempt of a concurrent start.
	beforeCreateAttempt func(st *fakeState, a *Attempt)
	// failOutboxAdd makes the next n OutboxRepo.Add calls fail.
	failOutboxAdd int

	finishCalls        int // Finish calls that reached the conditional check
	createAttemptCalls int

	// rowLocks are the attempt rows a transaction holds until it ends, like PostgreSQL's row
	// locks: taken by Lock, GetAttemptLocked and the attempt writes of a transaction; rowFree is
	// signalled (on mu) when a transaction releases its rows.
	rowLocks map[int64]*fakeTxState
	rowFree  *sync.Cond
}

func newFakeDB() *fakeDB {
	db := &fakeDB{st: (&fakeState{}).clone(), rowLocks: map[int64]*fakeTxState{}}
	db.rowFree = sync.NewCond(&db.mu)
	return db
}

// fakeTxState is one fake transaction: the attempt rows it holds.
type fakeTxState struct{ rows []int64 }

// waitRow waits (mu held) until no other transaction than ctx's holds attempt id's row, as a
// write to the row waits for the holder's commit or rollback.
func (db *fakeDB) waitRow(ctx context.Context, id int64) {
	tx, _ := ctx.Value(fakeTxKey{}).(*fakeTxState)
	for {
		if holder := db.rowLocks[id]; holder == nil || holder == tx {
			return
		}
		db.rowFree.Wait()
	}
}

// holdRow makes ctx's transaction (if any) hold attempt id's row until it ends (mu held; after
// waitRow).
func (db *fakeDB) holdRow(ctx context.Context, id int64) {
	if tx, _ := ctx.Value(fakeTxKey{}).(*fakeTxState); tx != nil && db.rowLocks[id] == nil {
		db.rowLocks[id] = tx
		tx.rows = append(tx.rows, id)
	}
}

// attemptWritten counts an attempt write for ExamStamp (deferred by the writers: runs after they
// release mu). A refused write counts too: a stamp may change without a change, never the reverse.
func (db *fakeDB) attemptWritten() {
	db.mu.Lock()
	db.st.AttemptWrites++
	db.mu.Unlock()
}

func (db *fakeDB) nextID() int64 { db.st.NextID++; return db.st.NextID }

// snapshot returns a deep copy of the current state.
func (db *fakeDB) snapshot() *fakeState {
	db.mu.Lock()
	defer db.mu.Unlock()
	return db.st.clone()
}

// attempt returns a copy of the stored attempt with its answers (nil if missing).
func (db *fakeDB) attempt(id int64) *Attempt {
	db.mu.Lock()
	defer db.mu.Unlock()
	a := db.st.Attempts[id]
	if a == nil {
		return nil
	}
	c := cloneAttempt(a)
	c.Answers = cloneAnswers(db.st.Answers[id])
	return c
}

// insertAttempt stores a hand-built attempt with its answers as is and returns its id.
func (db *fakeDB) insertAttempt(a *Attempt) int64 {
	db.mu.Lock()
	defer db.mu.Unlock()
	c := cloneAttempt(a)
	c.ID = db.nextID()
	db.st.Answers[c.ID] = cloneAnswers(a.Answers)
	if db.st.Answers[c.ID] == nil {
		db.st.Answers[c.ID] = map[int]Answer{}
	}
	c.Answers = nil
	db.st.Attempts[c.ID] = c
	db.st.AttemptWrites++
	return c.ID
}

// events returns the committed attempt.graded events.
func (db *fakeDB) events() []GradedEvent {
	db.mu.Lock()
	defer db.mu.Unlock()
	var out []GradedEvent
	for _, e := range db.st.Outbox {
		if g, ok := e.(GradedEvent); ok {
			out = append(out, g)
		}
	}
	return out
}

// allEvents returns every committed event.
func (db *fakeDB) allEvents() []DomainEvent {
	db.mu.Lock()
	defer db.mu.Unlock()
	return slices.Clone(db.st.Outbox)
}

func (db *fakeDB) finishCount() int {
	db.mu.Lock()
	defer db.mu.Unlock()
	return db.finishCalls
}

// ---- Transaction ----

type fakeTxKey struct{}

// fakeTx is transactional: the outermost InTx snapshots the state and restores it if fn fails
// or panics (the panic goes on), and releases the attempt rows it held either way. Nested calls
// join the outer transaction.
//
// Unlike a database it does not isolate: other goroutines see its writes at once, and its
// rollback also undoes what they wrote meanwhile.
type fakeTx struct{ db *fakeDB }

var _ Transaction = fakeTx{}

func (tx fakeTx) InTx(ctx context.Context, fn func(ctx context.Context) error) error {
	if ctx.Value(fakeTxKey{}) != nil {
		return fn(ctx)
	}
	db := tx.db
	before := db.snapshot()
	state := &fakeTxState{}
	committed := false
	defer func() {
		db.mu.Lock()
		defer db.mu.Unlock()
		if !committed {
			db.st = before
		}
		for _, id := range state.rows {
			delete(db.rowLocks, id)
		}
		db.rowFree.Broadcast()
	}()
	if err := fn(context.WithValue(ctx, fakeTxKey{}, state)); err != nil {
		return err
	}
	committed = true
	return nil
}

// ---- BankRepo ----

type fakeBankRepo struct{ db *fakeDB }

var _ BankRepo = fakeBankRepo{}

func (r fakeBankRepo) CreateBank(_ context.Context, b *Bank) (*Bank, error) {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	c := *b
	c.ID, c.QuestionCount = r.db.nextID(), 0
	r.db.st.Banks[c.ID] = &c
	out := c
	return &out, nil
}

func (r fakeBankRepo) countQuestions(bankID int64) int {
	n := 0
	for _, q := range r.db.st.Questions {
		if q.BankID == bankID && !q.Archived {
			n++
		}
	}
	return n
}

func (r fakeBankRepo) GetBank(_ context.Context, id int64) (*Bank, error) {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	b := r.db.st.Banks[id]
	if b == nil {
		return nil, ErrNotFound
	}
	c := *b
	c.QuestionCount = r.countQuestions(id)
	return &c, nil
}

func (r fakeBankRepo) UpdateBank(_ context.Context, b *Bank) (*Bank, error) {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	cur := r.db.st.Banks[b.ID]
	if cur == nil {
		return nil, ErrNotFound
	}
	cur.Name, cur.ExamOnly = b.Name, b.ExamOnly
	c := *cur
	c.QuestionCount = r.countQuestions(b.ID)
	return &c, nil
}

func (r fakeBankRepo) DeleteBank(_ context.Context, id int64) error {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	switch {
	case r.db.st.Banks[id] == nil:
		return ErrNotFound
	case r.countQuestions(id) > 0:
		return ErrBankNotEmpty
	}
	delete(r.db.st.Banks, id)
	return nil
}

func (r fakeBankRepo) ListBanks(_ context.Context, pathPrefix string) ([]*Bank, error) {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	var out []*Bank
	for _, b := range r.db.st.Banks {
		if strings.HasPrefix(b.OrgPath, pathPrefix) {
			c := *b
			c.QuestionCount = r.countQuestions(b.ID)
			out = append(out, &c)
		}
	}
	slices.SortFunc(out, func(a, b *Bank) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

// CreateQuestion does not check the bank, like the ent repo (whose questions have no foreign
// key): the use cases check it first.
func (r fakeBankRepo) CreateQuestion(_ context.Context, q *Question) (*Question, error) {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	c := cloneQuestion(q)
	c.ID, c.Version = r.db.nextID(), 1
	r.db.st.Questions[c.ID] = c
	return cloneQuestion(c), nil
}

func (r fakeBankRepo) GetQuestion(_ context.Context, id int64) (*Question, error) {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	q := r.db.st.Questions[id]
	if q == nil {
		return nil, ErrNotFound
	}
	return cloneQuestion(q), nil
}

// GetQuestions returns each found question once, by id, like the ent repo's WHERE id IN (…)
// ORDER BY id: never in the order asked.
func (r fakeBankRepo) GetQuestions(_ context.Context, ids []int64) ([]*Question, error) {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	var out []*Question
	for _, id := range slices.Compact(slices.Sorted(slices.Values(ids))) {
		if q := r.db.st.Questions[id]; q != nil {
			out = append(out, cloneQuestion(q))
		}
	}
	return out, nil
}

func (r fakeBankRepo) QuestionsAfter(_ context.Context, afterID int64, limit int) ([]*Question, error) {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	var out []*Question
	for _, q := range r.db.st.Questions {
		if q.ID > afterID && !q.Archived {
			out = append(out, cloneQuestion(q))
		}
	}
	slices.SortFunc(out, func(a, b *Question) int { return cmp.Compare(a.ID, b.ID) })
	return out[:min(limit, len(out))], nil
}

func (r fakeBankRepo) UpdateQuestion(_ context.Context, q *Question) (*Question, error) {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	old := r.db.st.Questions[q.ID]
	if old == nil || old.Archived {
		return nil, ErrNotFound
	}
	c := cloneQuestion(q)
	c.BankID, c.Version = old.BankID, old.Version+1
	r.db.st.Questions[c.ID] = c
	return cloneQuestion(c), nil
}

func (r fakeBankRepo) ArchiveQuestion(_ context.Context, id int64) error {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	q := r.db.st.Questions[id]
	if q == nil || q.Archived {
		return ErrNotFound
	}
	q.Archived = true
	return nil
}

func (r fakeBankRepo) ListQuestions(ctx context.Context, bankID int64) ([]*Question, error) {
	return r.FindQuestions(ctx, bankID, nil, 0, "")
}

func (r fakeBankRepo) FindQuestions(_ context.Context, bankID int64, tags []string, difficulty int, typ QType) ([]*Question, error) {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	var out []*Question
	for _, q := range r.db.st.Questions {
		if q.BankID != bankID || q.Archived || (difficulty != 0 && q.Difficulty != difficulty) || (typ != "" && q.Type != typ) {
			continue
		}
		if !slices.ContainsFunc(tags, func(t string) bool { return !slices.Contains(q.Tags, t) }) {
			out = append(out, cloneQuestion(q))
		}
	}
	slices.SortFunc(out, func(a, b *Question) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

// ---- PaperRepo ----

type fakePaperRepo struct{ db *fakeDB }

var _ PaperRepo = fakePaperRepo{}

func (r fakePaperRepo) CreatePaper(_ context.Context, p *Paper) (*Paper, error) {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	c := clonePaper(p)
	c.ID = r.db.nextID()
	r.db.st.Papers[c.ID] = c
	return clonePaper(c), nil
}

func (r fakePaperRepo) GetPaper(_ context.Context, id int64) (*Paper, error) {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	p := r.db.st.Papers[id]
	if p == nil {
		return nil, ErrNotFound
	}
	return clonePaper(p), nil
}

func (r fakePaperRepo) inUse(id int64) bool {
	for _, e := range r.db.st.Exams {
		if e.PaperID == id {
			return true
		}
	}
	return false
}

func (r fakePaperRepo) UpdatePaper(_ context.Context, p *Paper, content bool) (*Paper, error) {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	old := r.db.st.Papers[p.ID]
	if old == nil {
		return nil, ErrNotFound
	}
	if content && r.inUse(p.ID) {
		return nil, ErrPaperInUse
	}
	c := clonePaper(old)
	c.Title = p.Title
	if content {
		n := clonePaper(p)
		c.Items, c.Rules = n.Items, n.Rules
	}
	r.db.st.Papers[p.ID] = c
	return clonePaper(c), nil
}

func (r fakePaperRepo) DeletePaper(_ context.Context, id int64) error {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	if r.db.st.Papers[id] == nil {
		return ErrNotFound
	}
	if r.inUse(id) {
		return ErrPaperInUse
	}
	delete(r.db.st.Papers, id)
	return nil
}

func (r fakePaperRepo) ListManagedPapers(_ context.Context, prefix string) ([]*Paper, error) {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	var out []*Paper
	for _, p := range r.db.st.Papers {
		if strings.HasPrefix(p.OrgPath, prefix) {
			out = append(out, clonePaper(p))
		}
	}
	slices.SortFunc(out, func(a, b *Paper) int { return cmp.Compare(b.ID, a.ID) })
	return out, nil
}

// ---- ExamRepo ----

type fakeExamRepo struct{ db *fakeDB }

var _ ExamRepo = fakeExamRepo{}

func (r fakeExamRepo) CreateExam(_ context.Context, e *Exam) (*Exam, error) {
	if len(e.TargetOrgIDs) != len(e.TargetPaths) {
		return nil, fmt.Errorf("fake CreateExam: %d target ids but %d paths", len(e.TargetOrgIDs), len(e.TargetPaths))
	}
	// The ent repo's unique index on (exam, org, user) targets refuses a target given twice and
	// rolls the exam back.
	if hasDuplicate(e.TargetOrgIDs) || hasDuplicate(e.TargetUserIDs) {
		return nil, fmt.Errorf("fake CreateExam: duplicate target: %w", ErrAlreadyExists)
	}
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	c := cloneExam(e)
	c.ID = r.db.nextID()
	r.db.st.Exams[c.ID] = c
	return cloneExam(c), nil
}

func hasDuplicate(ids []int64) bool {
	s := slices.Sorted(slices.Values(ids))
	return len(slices.Compact(s)) != len(ids)
}

func (r fakeExamRepo) GetExam(_ context.Context, id int64) (*Exam, error) {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	e := r.db.st.Exams[id]
	if e == nil {
		return nil, ErrNotFound
	}
	return cloneExam(e), nil
}

func (r fakeExamRepo) GetExams(_ context.Context, ids []int64) ([]*Exam, error) {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	var out []*Exam
	for _, id := range slices.Compact(slices.Sorted(slices.Values(ids))) {
		if e := r.db.st.Exams[id]; e != nil {
			out = append(out, cloneExam(e))
		}
	}
	return out, nil
}

func (r fakeExamRepo) hasAttempts(id int64) bool {
	for _, a := range r.db.st.Attempts {
		if a.ExamID == id {
			return true
		}
	}
	return false
}

func (r fakeExamRepo) UpdateExam(_ context.Context, e *Exam) (*Exam, error) {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	cur := r.db.st.Exams[e.ID]
	switch {
	case cur == nil:
		return nil, ErrNotFound
	case r.hasAttempts(e.ID):
		return nil, ErrConflict
	}
	cur.Title, cur.OpensAt, cur.ClosesAt, cur.Duration, cur.AttemptsAllowed = e.Title, e.OpensAt, e.ClosesAt, e.Duration, e.AttemptsAllowed
	cur.GradingMethod, cur.PassMark, cur.ShuffleQuestions, cur.ShuffleOptions = e.GradingMethod, e.PassMark, e.ShuffleQuestions, e.ShuffleOptions
	cur.ResultsPolicy, cur.PartialCredit = e.ResultsPolicy, e.PartialCredit
	return cloneExam(cur), nil
}

func (r fakeExamRepo) DeleteExam(_ context.Context, id int64) error {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	switch {
	case r.db.st.Exams[id] == nil:
		return ErrNotFound
	case r.hasAttempts(id):
		return ErrConflict
	}
	delete(r.db.st.Exams, id)
	return nil
}

func (r fakeExamRepo) ListExamsForPaths(_ context.Context, paths []string, userID int64) ([]*Exam, error) {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	var out []*Exam
	for _, e := range r.db.st.Exams {
		if slices.ContainsFunc(e.TargetPaths, func(p string) bool { return slices.Contains(paths, p) }) || slices.Contains(e.TargetUserIDs, userID) {
			out = append(out, cloneExam(e))
		}
	}
	slices.SortFunc(out, func(a, b *Exam) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

// ---- AttemptRepo ----

type fakeAttemptRepo struct{ db *fakeDB }

var _ AttemptRepo = fakeAttemptRepo{}

// listed is an attempt as a list returns it: without answers, like the ent repo.
func listed(a *Attempt) *Attempt {
	c := cloneAttempt(a)
	c.Answers = nil
	return c
}

// summary is how lists return an attempt: no snapshot, no answers.
func summary(a *Attempt) *Attempt {
	c := listed(a)
	c.Questions = nil
	return c
}

// ExamStamp is the exam's attempt count and the store's attempt write counter.
func (r fakeAttemptRepo) ExamStamp(_ context.Context, examID int64) (string, error) {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	n := 0
	for _, a := range r.db.st.Attempts {
		if a.ExamID == examID {
			n++
		}
	}
	return fmt.Sprintf("%d:%d", n, r.db.st.AttemptWrites), nil
}

func (r fakeAttemptRepo) ExamAnswers(_ context.Context, examID int64) (map[int64]map[int]Answer, error) {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	out := map[int64]map[int]Answer{}
	for _, a := range r.db.st.Attempts {
		if a.ExamID == examID && len(r.db.st.Answers[a.ID]) > 0 {
			out[a.ID] = cloneAnswers(r.db.st.Answers[a.ID])
		}
	}
	return out, nil
}

func (r fakeAttemptRepo) PageAttempts(_ context.Context, examID, afterID int64, limit int) ([]*Attempt, error) {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	var out []*Attempt
	for _, a := range r.db.st.Attempts {
		if a.ExamID == examID && a.ID > afterID {
			out = append(out, summary(a))
		}
	}
	slices.SortFunc(out, func(a, b *Attempt) int { return cmp.Compare(a.ID, b.ID) })
	return out[:min(limit, len(out))], nil
}

func (r fakeAttemptRepo) CountByStatus(_ context.Context, examIDs []int64) (map[int64]StatusCounts, error) {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	out := map[int64]StatusCounts{}
	for _, a := range r.db.st.Attempts {
		if !slices.Contains(examIDs, a.ExamID) {
			continue
		}
		c := out[a.ExamID]
		switch a.Status {
		case AttemptInProgress:
			c.InProgress++
		case AttemptSubmitted:
			c.Submitted++
		case AttemptGraded:
			c.Graded++
		}
		out[a.ExamID] = c
	}
	return out, nil
}

func (r fakeAttemptRepo) PendingReview(_ context.Context, examIDs []int64, limit int) ([]*Attempt, error) {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	var out []*Attempt
	for _, a := range r.db.st.Attempts {
		if slices.Contains(examIDs, a.ExamID) && a.Status == AttemptGraded && a.NeedsReview() {
			out = append(out, summary(a))
		}
	}
	slices.SortFunc(out, func(a, b *Attempt) int {
		if c := cmp.Compare(a.SubmittedAt.UnixNano(), b.SubmittedAt.UnixNano()); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return out[:min(limit, len(out))], nil
}

func (r fakeAttemptRepo) CreateAttempt(_ context.Context, a *Attempt) (*Attempt, error) {
	defer r.db.attemptWritten()
	db := r.db
	db.mu.Lock()
	defer db.mu.Unlock()
	db.createAttemptCalls++
	if db.beforeCreateAttempt != nil {
		db.beforeCreateAttempt(db.st, a)
	}
	for _, x := range db.st.Attempts {
		if x.ExamID == a.ExamID && x.UserID == a.UserID && x.Number == a.Number {
			return nil, fmt.Errorf("fake CreateAttempt: %w", ErrAlreadyExists)
		}
	}
	c := cloneAttempt(a)
	c.ID = db.nextID()
	if c.Status == "" {
		c.Status = AttemptInProgress
	}
	c.Answers = nil
	db.st.Attempts[c.ID] = c
	db.st.Answers[c.ID] = map[int]Answer{}
	out := cloneAttempt(c)
	out.Answers = map[int]Answer{}
	return out, nil
}

func (r fakeAttemptRepo) GetAttempt(_ context.Context, id int64) (*Attempt, error) {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	a := r.db.st.Attempts[id]
	if a == nil {
		return nil, ErrNotFound
	}
	c := cloneAttempt(a)
	c.Answers = cloneAnswers(r.db.st.Answers[id])
	if c.Answers == nil {
		c.Answers = map[int]Answer{}
	}
	return c, nil
}

func (r fakeAttemptRepo) ListAttempts(_ context.Context, examID, userID int64) ([]*Attempt, error) {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	var out []*Attempt
	for _, a := range r.db.st.Attempts {
		if a.ExamID == examID && (userID <= 0 || a.UserID == userID) {
			out = append(out, listed(a))
		}
	}
	slices.SortFunc(out, func(a, b *Attempt) int {
		return cmp.Or(cmp.Compare(a.UserID, b.UserID), cmp.Compare(a.Number, b.Number))
	})
	return out, nil
}

func (r fakeAttemptRepo) AttemptsOfUser(_ context.Context, userID int64) ([]*Attempt, error) {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	var out []*Attempt
	for _, a := range r.db.st.Attempts {
		if a.UserID == userID {
			out = append(out, summary(a))
		}
	}
	slices.SortFunc(out, func(a, b *Attempt) int {
		return cmp.Or(cmp.Compare(a.ExamID, b.ExamID), cmp.Compare(a.Number, b.Number))
	})
	return out, nil
}

// SaveAnswer keeps the higher version, like the ent repo's conditional upsert.
func (r fakeAttemptRepo) SaveAnswer(_ context.Context, attemptID int64, no int, a Answer) (int64, bool, error) {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	m := r.db.st.Answers[attemptID]
	if m == nil {
		m = map[int]Answer{}
		r.db.st.Answers[attemptID] = m
	}
	if old, ok := m[no]; ok && old.Version >= a.Version {
		return old.Version, false, nil
	}
	a.Choices = slices.Clone(a.Choices)
	m[no] = a
	return a.Version, true, nil
}

// GetAttemptLocked waits for another transaction holding the row, holds it, and reads.
func (r fakeAttemptRepo) GetAttemptLocked(ctx context.Context, id int64) (*Attempt, error) {
	r.db.mu.Lock()
	r.db.waitRow(ctx, id)
	if r.db.st.Attempts[id] == nil {
		r.db.mu.Unlock()
		return nil, ErrNotFound
	}
	r.db.holdRow(ctx, id)
	r.db.mu.Unlock()
	return r.GetAttempt(ctx, id)
}

// Lock reports ErrNotFound for a missing attempt; otherwise it waits for another transaction
// holding the row and then holds it for the rest of the transaction.
func (r fakeAttemptRepo) Lock(ctx context.Context, id int64) error {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	r.db.waitRow(ctx, id)
	if r.db.st.Attempts[id] == nil {
		return ErrNotFound
	}
	r.db.holdRow(ctx, id)
	return nil
}

// UpdateQuestions replaces the snapshot (a row write: it waits for, then holds, the row).
func (r fakeAttemptRepo) UpdateQuestions(ctx context.Context, id int64, qs []SnapQuestion) error {
	defer r.db.attemptWritten()
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	r.db.waitRow(ctx, id)
	a := r.db.st.Attempts[id]
	if a == nil {
		return ErrNotFound
	}
	r.db.holdRow(ctx, id)
	a.Questions = cloneSnapshot(qs)
	return nil
}

// Finish is conditional on the stored status, like UPDATE … WHERE status = fromStatus. Like the
// ent repo it never writes the snapshot (UpdateQuestions does). A row write: it waits for another
// transaction holding the row, and holds the row it changed.
// FinishGraded is Finish from submitted for each attempt (the real one is one statement).
func (r fakeAttemptRepo) FinishGraded(ctx context.Context, as []*Attempt) (map[int64]bool, error) {
	done := map[int64]bool{}
	for _, a := range as {
		err := r.Finish(ctx, a, AttemptSubmitted)
		if errors.Is(err, ErrConflict) {
			continue
		}
		if err != nil {
			return nil, err
		}
		done[a.ID] = true
	}
	return done, nil
}

func (r fakeAttemptRepo) Finish(ctx context.Context, a *Attempt, fromStatus string) error {
	defer r.db.attemptWritten()
	db := r.db
	db.mu.Lock()
	defer db.mu.Unlock()
	db.waitRow(ctx, a.ID)
	if db.failFinish > 0 {
		db.failFinish--
		return fmt.Errorf("fake Finish: %w", errInjected)
	}
	if db.beforeFinish != nil {
		db.beforeFinish(db.st, a, fromStatus)
	}
	db.finishCalls++
	row := db.st.Attempts[a.ID]
	if row == nil || row.Status != fromStatus {
		return fmt.Errorf("fake Finish: attempt %d is not %s: %w", a.ID, fromStatus, ErrConflict)
	}
	db.holdRow(ctx, a.ID)
	row.Status, row.Notice = a.Status, a.Notice
	row.SubmittedAt, row.GradedAt = cloneTime(a.SubmittedAt), cloneTime(a.GradedAt)
	row.Scores = slices.Clone(a.Scores)
	row.Score = nil
	if a.Score != nil {
		s := *a.Score
		row.Score = &s
	}
	return nil
}

func (r fakeAttemptRepo) AddFocusLoss(ctx context.Context, id int64) error {
	defer r.db.attemptWritten()
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	r.db.waitRow(ctx, id)
	a := r.db.st.Attempts[id]
	if a == nil {
		return ErrNotFound
	}
	r.db.holdRow(ctx, id)
	a.FocusLosses++
	return nil
}

func (r fakeAttemptRepo) Overdue(_ context.Context, t time.Time, limit int) ([]*Attempt, error) {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	var out []*Attempt
	for _, a := range r.db.st.Attempts {
		if a.Status == AttemptInProgress && a.Deadline.Before(t) {
			out = append(out, listed(a))
		}
	}
	slices.SortFunc(out, func(a, b *Attempt) int {
		return cmp.Or(a.Deadline.Compare(b.Deadline), cmp.Compare(a.ID, b.ID))
	})
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// SaveOpenAnswer checks the attempt and saves under the row's lock, like the database.
func (r fakeAttemptRepo) SaveOpenAnswer(ctx context.Context, attemptID, userID int64, no int, ans Answer, at time.Time) (SaveResult, error) {
	var res SaveResult
	err := fakeTx{r.db}.InTx(ctx, func(ctx context.Context) error {
		r.db.mu.Lock()
		r.db.waitRow(ctx, attemptID)
		a := r.db.st.Attempts[attemptID]
		if a == nil || a.UserID != userID {
			r.db.mu.Unlock()
			return nil
		}
		r.db.holdRow(ctx, attemptID)
		if a.Status != AttemptInProgress || a.Deadline.Before(at) {
			r.db.mu.Unlock()
			return nil
		}
		res.Open, res.Deadline = true, a.Deadline
		r.db.mu.Unlock()
		var err error
		res.Stored, res.Won, err = r.SaveAnswer(ctx, attemptID, no, ans)
		return err
	})
	return res, err
}

// SetDeadline changes the deadline, waiting for the row like the database.
func (r fakeAttemptRepo) SetDeadline(ctx context.Context, id int64, deadline time.Time) error {
	defer r.db.attemptWritten()
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	a := r.db.st.Attempts[id]
	if a == nil {
		return ErrNotFound
	}
	r.db.holdRow(ctx, id)
	a.Deadline = deadline
	return nil
}

func (r fakeAttemptRepo) OpenDeadlines(_ context.Context, afterID int64, limit int) ([]AttemptDeadline, error) {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	var out []AttemptDeadline
	for _, a := range r.db.st.Attempts {
		if a.Status == AttemptInProgress && a.ID > afterID {
			out = append(out, AttemptDeadline{ID: a.ID, Deadline: a.Deadline})
		}
	}
	slices.SortFunc(out, func(a, b AttemptDeadline) int { return cmp.Compare(a.ID, b.ID) })
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// ClaimSubmitted holds and returns up to limit submitted attempts, id's first, skipping rows
// another transaction holds.
func (r fakeAttemptRepo) ClaimSubmitted(ctx context.Context, id int64, limit int) ([]*Attempt, error) {
	r.db.mu.Lock()
	tx, _ := ctx.Value(fakeTxKey{}).(*fakeTxState)
	var ids []int64
	for aid, a := range r.db.st.Attempts {
		if a.Status != AttemptSubmitted {
			continue
		}
		if holder := r.db.rowLocks[aid]; holder != nil && holder != tx {
			continue
		}
		ids = append(ids, aid)
	}
	slices.SortFunc(ids, func(a, b int64) int {
		return cmp.Or(cmp.Compare(b2i(a != id), b2i(b != id)), cmp.Compare(a, b))
	})
	ids = ids[:min(limit, len(ids))]
	for _, aid := range ids {
		r.db.holdRow(ctx, aid)
	}
	r.db.mu.Unlock()
	out := make([]*Attempt, 0, len(ids))
	for _, aid := range ids {
		a, err := r.GetAttempt(ctx, aid)
		if err != nil {
			return nil, err
		}
		a.Questions = KeyQuestions(GradingKeys(a.Questions))
		out = append(out, a)
	}
	return out, nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Status returns the stored status.
func (r fakeAttemptRepo) Status(_ context.Context, id int64) (string, error) {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	a := r.db.st.Attempts[id]
	if a == nil {
		return "", ErrNotFound
	}
	return a.Status, nil
}

func (r fakeAttemptRepo) Submitted(_ context.Context, limit int) ([]int64, error) {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	var ids []int64
	for id, a := range r.db.st.Attempts {
		if a.Status == AttemptSubmitted {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	if limit > 0 && len(ids) > limit {
		ids = ids[:limit]
	}
	return ids, nil
}

// ---- Publisher ----

// fakePublisher writes events into the transactional fake state, like the outbox.
type fakePublisher struct{ db *fakeDB }

var _ Publisher = fakePublisher{}

func (r fakePublisher) Publish(_ context.Context, evs ...DomainEvent) error {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	if r.db.failOutboxAdd > 0 {
		r.db.failOutboxAdd--
		return fmt.Errorf("fake outbox Add: %w", errInjected)
	}
	r.db.st.Outbox = append(r.db.st.Outbox, evs...)
	return nil
}

// ---- RegradeRepo ----

type fakeRegradeRepo struct{ db *fakeDB }

var _ RegradeRepo = fakeRegradeRepo{}

func (r fakeRegradeRepo) Add(_ context.Context, l *RegradeLog) error {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	l.ID = r.db.nextID()
	c := *l
	r.db.st.Regrades = append(r.db.st.Regrades, &c)
	return nil
}

// List returns an exam's regrades, newest first.
func (r fakeRegradeRepo) List(_ context.Context, examID int64) ([]*RegradeLog, error) {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	var out []*RegradeLog
	for i := len(r.db.st.Regrades) - 1; i >= 0; i-- {
		if l := r.db.st.Regrades[i]; l.ExamID == examID {
			c := *l
			out = append(out, &c)
		}
	}
	return out, nil
}

// ---- AuditLog ----

// fakeAuditLog records entries into the transactional fake state, like the audit spool: an entry
// exists exactly when its transaction committed. Like the spool it refuses an entry JSON cannot
// encode and skips a key already recorded.
type fakeAuditLog struct{ db *fakeDB }

var _ AuditLog = fakeAuditLog{}

func (r fakeAuditLog) Record(_ context.Context, entries ...AuditEntry) error {
	for _, e := range entries {
		if _, err := json.Marshal(e); err != nil {
			return fmt.Errorf("fake audit Record %s: %w", e.Key, err)
		}
	}
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	for _, e := range entries {
		if !slices.ContainsFunc(r.db.st.Audit, func(x AuditEntry) bool { return x.Key == e.Key }) {
			r.db.st.Audit = append(r.db.st.Audit, e)
		}
	}
	return nil
}

// ---- PracticeRepo ----

type fakePracticeRepo struct{ db *fakeDB }

var _ PracticeRepo = fakePracticeRepo{}

func (r fakePracticeRepo) PracticeQuestionIDs(_ context.Context, orgPaths []string) ([]int64, error) {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	var ids []int64
	for id, q := range r.db.st.Questions {
		if b := r.db.st.Banks[q.BankID]; b != nil && !q.Archived && !b.ExamOnly && slices.Contains(orgPaths, b.OrgPath) {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids, nil
}

func (r fakePracticeRepo) CreateSession(_ context.Context, userID int64, qs []SnapQuestion) (int64, error) {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	id := r.db.nextID()
	r.db.st.Sessions[id] = &fakeSession{UserID: userID, Questions: cloneSnapshot(qs)}
	return id, nil
}

func (r fakePracticeRepo) GetSession(_ context.Context, id int64) (int64, []SnapQuestion, error) {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	ps := r.db.st.Sessions[id]
	if ps == nil {
		return 0, nil, ErrNotFound
	}
	return ps.UserID, cloneSnapshot(ps.Questions), nil
}

// wrongEntry returns the (user, question) row, creating it like the ent repo's upsert would.
func (r fakePracticeRepo) wrongEntry(userID, questionID int64) *WrongEntry {
	for _, w := range r.db.st.Wrong {
		if w.UserID == userID && w.QuestionID == questionID {
			return w
		}
	}
	w := &WrongEntry{UserID: userID, QuestionID: questionID}
	r.db.st.Wrong = append(r.db.st.Wrong, w)
	return w
}

func (r fakePracticeRepo) RecordWrong(_ context.Context, userID, questionID int64, at time.Time) error {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	w := r.wrongEntry(userID, questionID)
	w.WrongCount++
	w.LastWrongAt, w.Mastered = &at, false
	return nil
}

func (r fakePracticeRepo) SetMastered(_ context.Context, userID, questionID int64) error {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	r.wrongEntry(userID, questionID).Mastered = true
	return nil
}

func (r fakePracticeRepo) ListWrong(_ context.Context, userID int64) ([]*WrongEntry, error) {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	var out []*WrongEntry
	for _, w := range r.db.st.Wrong {
		if w.UserID == userID {
			out = append(out, cloneWrong(w))
		}
	}
	return out, nil
}

// ---- OrgDirectory ----

type fakeOrgs map[int64]*OrgInfo

var _ OrgDirectory = fakeOrgs{}

// AccountOrgPath looks accounts up under negative keys: f[-userID] holds the account's org.
func (f fakeOrgs) AccountOrgPath(_ context.Context, userID int64) (string, error) {
	if o := f[-userID]; o != nil {
		return o.Path, nil
	}
	return "", ErrNotFound
}

func (f fakeOrgs) GetOrg(_ context.Context, id int64) (*OrgInfo, error) {
	o := f[id]
	if o == nil {
		return nil, ErrOrgNotFound
	}
	c := *o
	return &c, nil
}

// ---- TaskQueue ----

// scheduled is one ScheduleAutosubmit call.
type scheduled struct {
	AttemptID int64
	At        time.Time
}

// fakeQueue records every call; it is not transactional (a queue is outside the database).
type fakeQueue struct {
	mu          sync.Mutex
	grades      []int64
	autosubmits []scheduled
}

var _ TaskQueue = (*fakeQueue)(nil)

func (q *fakeQueue) EnqueueGrade(_ context.Context, attemptID int64) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.grades = append(q.grades, attemptID)
	return nil
}

func (q *fakeQueue) ScheduleAutosubmit(_ context.Context, attemptID int64, at time.Time) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.autosubmits = append(q.autosubmits, scheduled{attemptID, at})
	return nil
}

func (q *fakeQueue) gradeCalls() []int64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	return slices.Clone(q.grades)
}

func (q *fakeQueue) autosubmitCalls() []scheduled {
	q.mu.Lock()
	defer q.mu.Unlock()
	return slices.Clone(q.autosubmits)
}

// ---- test environment ----

// testT0 is the fake clock's start: 09:00 Beijing time.
var testT0 = time.Date(2025, 7, 1, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))

// reverseShuffle is a deterministic shuffle: it reverses the slice.
func reverseShuffle(n int, swap func(i, j int)) {
	for i := 0; i < n/2; i++ {
		swap(i, n-1-i)
	}
}

// identityShuffle leaves the order alone.
func identityShuffle(int, func(i, j int)) {}

type testEnv struct {
	db    *fakeDB
	queue *fakeQueue
	clk   *clock.Fake
	uc    *Quiz
	org   map[string]*OrgInfo
	user  map[string]*auth.Principal
}

// newTestEnv wires the use cases over empty fakes with the org tree
//
//	ROOT /1/ ─┬─ A /1/2/ ── A1 /1/2/4/
//	          └─ B /1/3/
//
// and principals admin (ROOT), staffA, trainerA, memberA, memberA2 (A), staffA1, memberA1, memberA1b (A1),
// trainerB, memberB (B). Shuffles are the identity unless a test sets uc.Attempts.shuffle.
func newTestEnv(tb testing.TB) *testEnv {
	tb.Helper()
	clk := clock.NewFake(testT0)
	db := newFakeDB()
	q := &fakeQueue{}
	org := map[string]*OrgInfo{
		"ROOT": {ID: 1, Path: "/1/", Name: "机关党委"},
		"A":    {ID: 2, Path: "/1/2/", Name: "第一党总支"},
		"B":    {ID: 3, Path: "/1/3/", Name: "第二党总支"},
		"A1":   {ID: 4, Path: "/1/2/4/", Name: "第一党支部"},
	}
	dir := fakeOrgs{}
	for _, o := range org {
		dir[o.ID] = o
	}
	uc := New(Deps{Banks: fakeBankRepo{db}, Papers: fakePaperRepo{db}, Exams: fakeExamRepo{db}, Attempts: fakeAttemptRepo{db},
		Events: fakePublisher{db}, Regrades: fakeRegradeRepo{db}, Practice: fakePracticeRepo{db}, Orgs: dir, Queue: q, Tx: fakeTx{db}, Clock: clk})
	uc.Attempts.shuffle, uc.Practice.shuffle = identityShuffle, identityShuffle
	e := &testEnv{db: db, queue: q, clk: clk, uc: uc, org: org, user: map[string]*auth.Principal{}}
	for i, u := range []struct{ name, org, role string }{
		{"admin", "ROOT", auth.RoleAdmin},
		{"staffA", "A", auth.RoleStaff},
		{"trainerA", "A", auth.RoleTrainer},
		{"memberA", "A", auth.RoleMember},
		{"memberA2", "A", auth.RoleMember},
		{"staffA1", "A1", auth.RoleStaff},
		{"memberA1", "A1", auth.RoleMember},
		{"memberA1b", "A1", auth.RoleMember},
		{"trainerB", "B", auth.RoleTrainer},
		{"memberB", "B", auth.RoleMember},
	} {
		o := org[u.org]
		e.user[u.name] = &auth.Principal{UserID: int64(101 + i), Username: u.name, Roles: []string{u.role},
			OrgID: o.ID, OrgPath: o.Path}
	}
	return e
}

// as returns a context authenticated as the named principal.
func (e *testEnv) as(name string) context.Context {
	p := e.user[name]
	if p == nil {
		panic("unknown test user " + name)
	}
	return auth.NewContext(context.Background(), p)
}

// Question fixtures. Stems and options are plain enough to survive the HTML sanitiser as is.
func qSingle() *Question {
	return &Question{Type: Single, StemHTML: "<p>党的根本宗旨是？</p>", Points: 2, Options: []Option{
		{Key: "A", HTML: "全心全意为人民服务"}, {Key: "B", HTML: "发展经济"}, {Key: "C", HTML: "对外开放"}, {Key: "D", HTML: "科技创新"},
	}, AnswerKeys: []string{"A"}}
}

func qMultiple() *Question {
	return &Question{Type: Multiple, StemHTML: "<p>属于“四个意识”的有？</p>", Points: 4, Options: []Option{
		{Key: "A", HTML: "政治意识"}, {Key: "B", HTML: "市场意识"}, {Key: "C", HTML: "大局意识"}, {Key: "D", HTML: "品牌意识"},
	}, AnswerKeys: []string{"A", "C"}}
}

func qTrueFalse() *Question {
	return &Question{Type: TrueFalse, StemHTML: "<p>党员应按期交纳党费。</p>", Points: 2, AnswerKeys: []string{"true"}}
}

func qFill() *Question {
	return &Question{Type: FillBlank, StemHTML: "<p>遵义会议召开于____年，地点在____。</p>", Points: 2,
		Blanks: [][]string{{"1935", "一九三五"}, {"遵义"}}}
}

func qEssay(points float64) *Question {
	return &Question{Type: Essay, StemHTML: "<p>谈谈你对党性修养的认识。</p>", Points: points, Reference: "要点"}
}

// examFixture is an exam on a fixed paper, created through the use cases by trainerA.
type examFixture struct {
	exam      *Exam
	questions []*Question // in paper order
}

// newExam creates a bank with the questions, a fixed paper of them and an exam owned by A and
// targeted at A: open from testT0 for 2h, 30 minutes, 2 attempts, highest, pass mark 6,
// results immediate. tweak adjusts the exam before it is created.
func (e *testEnv) newExam(tb testing.TB, qs []*Question, tweak func(*Exam)) *examFixture {
	tb.Helper()
	ctx := e.as("trainerA")
	bank, err := e.uc.Authoring.CreateBank(ctx, "党史题库", 0, false)
	if err != nil {
		tb.Fatal(err)
	}
	fx := &examFixture{}
	var items []PaperItem
	for _, q := range qs {
		q.BankID = bank.ID
		created, err := e.uc.Authoring.CreateQuestion(ctx, q)
		if err != nil {
			tb.Fatalf("create question %q: %v", q.StemHTML, err)
		}
		fx.questions = append(fx.questions, created)
		items = append(items, PaperItem{QuestionID: created.ID})
	}
	paper, err := e.uc.Authoring.CreatePaper(ctx, "试卷", items, nil)
	if err != nil {
		tb.Fatal(err)
	}
	ex := &Exam{PaperID: paper.ID, Title: "党史知识测试", OpensAt: testT0, ClosesAt: testT0.Add(2 * time.Hour),
		Duration: 30 * time.Minute, AttemptsAllowed: 2, GradingMethod: GradeHighest, PassMark: 6,
		ResultsPolicy: ResultsImmediate, TargetOrgIDs: []int64{e.org["A"].ID}}
	if tweak != nil {
		tweak(ex)
	}
	fx.exam, err = e.uc.Authoring.CreateExam(ctx, ex)
	if err != nil {
		tb.Fatal(err)
	}
	return fx
}

// start starts (or resumes) an attempt as user, failing the test on error.
func (e *testEnv) start(tb testing.TB, user string, examID int64) *Attempt {
	tb.Helper()
	a, _, err := e.uc.Attempts.Start(e.as(user), examID)
	if err != nil {
		tb.Fatalf("Start as %s: %v", user, err)
	}
	return a
}

// save saves answers (question no → answer; version 1 unless set) as user.
func (e *testEnv) save(tb testing.TB, user string, a *Attempt, answers map[int]Answer) {
	tb.Helper()
	for _, no := range slices.Sorted(maps.Keys(answers)) {
		ans := answers[no]
		if ans.Version == 0 {
			ans.Version = 1
		}
		if _, _, err := e.uc.Attempts.SaveAnswer(e.as(user), a.ID, no, ans); err != nil {
			tb.Fatalf("SaveAnswer(%d) as %s: %v", no, user, err)
		}
	}
}

// submitted starts an attempt as user, saves the answers and submits it.
func (e *testEnv) submitted(tb testing.TB, user string, examID int64, answers map[int]Answer) *Attempt {
	tb.Helper()
	a := e.start(tb, user, examID)
	e.save(tb, user, a, answers)
	got, _, err := e.uc.Attempts.Submit(e.as(user), a.ID)
	if err != nil {
		tb.Fatalf("Submit as %s: %v", user, err)
	}
	return got
}

// graded starts, answers, submits and grades an attempt.
func (e *testEnv) graded(tb testing.TB, user string, examID int64, answers map[int]Answer) *Attempt {
	tb.Helper()
	a := e.submitted(tb, user, examID, answers)
	if err := e.uc.Attempts.Grade(context.Background(), a.ID); err != nil {
		tb.Fatalf("Grade: %v", err)
	}
	return e.db.attempt(a.ID)
}

// choices is shorthand for a choice answer.
func choices(keys ...string) Answer { return Answer{Choices: keys} }

// wantErrAs fails unless err is (or wraps) an error of the type of target's pointee.
func wantErrAs[T error](t *testing.T, err error) T {
	t.Helper()
	var target T
	if !errors.As(err, &target) {
		t.Fatalf("error = %v (%T), want %T", err, err, target)
	}
	return target
}

// wantErrIs fails unless errors.Is(err, want).
func wantErrIs(t *testing.T, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("error = %v (%T), want %v", err, err, want)
	}
}

func ptr[T any](v T) *T { return &v }

// ListManagedExams lists exams whose owner path starts with prefix.
func (r fakeExamRepo) ListManagedExams(_ context.Context, prefix string) ([]*Exam, error) {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	var out []*Exam
	for _, e := range r.db.st.Exams {
		if strings.HasPrefix(e.OrgPath, prefix) {
			out = append(out, cloneExam(e))
		}
	}
	slices.SortFunc(out, func(a, b *Exam) int { return int(a.ID - b.ID) })
	return out, nil
}
