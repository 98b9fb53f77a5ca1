package biz

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vanguard/vanguard/pkg/auth"
	"github.com/vanguard/vanguard/pkg/authn"
	"github.com/vanguard/vanguard/pkg/clock"
	"github.com/vanguard/vanguard/pkg/secret"
)

// fakeState is everything the in-memory repos hold. It is copied wholesale by the fake
// transaction so a failed InTx leaves no trace, like a rolled-back database transaction.
type fakeState struct {
	Orgs     map[int64]*Org
	Accounts map[int64]*Account
	Tokens   map[int64]*RefreshToken
	Failures map[string][]time.Time
	Audit    []*AuditRecord
	NextID   int64
}

func (s *fakeState) clone() *fakeState {
	c := &fakeState{
		Orgs:     make(map[int64]*Org, len(s.Orgs)),
		Accounts: make(map[int64]*Account, len(s.Accounts)),
		Tokens:   make(map[int64]*RefreshToken, len(s.Tokens)),
		Failures: make(map[string][]time.Time, len(s.Failures)),
		Audit:    make([]*AuditRecord, 0, len(s.Audit)),
		NextID:   s.NextID,
	}
	for id, o := range s.Orgs {
		c.Orgs[id] = cloneOrg(o)
	}
	for id, a := range s.Accounts {
		c.Accounts[id] = cloneAccount(a)
	}
	for id, t := range s.Tokens {
		c.Tokens[id] = cloneToken(t)
	}
	for k, v := range s.Failures {
		c.Failures[k] = slices.Clone(v)
	}
	for _, r := range s.Audit {
		rc := *r
		c.Audit = append(c.Audit, &rc)
	}
	return c
}

func cloneOrg(o *Org) *Org { c := *o; return &c }

func cloneAccount(a *Account) *Account {
	c := *a
	c.Roles = slices.Clone(a.Roles)
	c.NationalIDEnc = slices.Clone(a.NationalIDEnc)
	return &c
}

func cloneToken(t *RefreshToken) *RefreshToken {
	c := *t
	if t.UsedAt != nil {
		u := *t.UsedAt
		c.UsedAt = &u
	}
	if t.RevokedAt != nil {
		r := *t.RevokedAt
		c.RevokedAt = &r
	}
	return &c
}

// fakeDB is the shared store behind all fake repos.
type fakeDB struct {
	mu    sync.Mutex
	st    *fakeState
	clock clock.Clock
	// tx is held by the outermost InTx: fake transactions run one at a time, so a row read
	// with GetForUpdate stays locked until its transaction ends, as on the database.
	tx sync.Mutex

	// orgBatches records the codes of every OrgRepo.Create call, in call order.
	orgBatches [][]string
	// failOrgCreateCall, when > 0, makes the n-th OrgRepo.Create call (1-based) fail.
	failOrgCreateCall int
	orgCreateCalls    int
	// failAccountCreate makes AccountRepo.Create fail.
	failAccountCreate error
}

func newFakeDB(clk clock.Clock) *fakeDB {
	return &fakeDB{clock: clk, st: (&fakeState{}).clone()}
}

// snapshot returns a deep copy of the current state, for before/after comparisons.
func (db *fakeDB) snapshot() *fakeState {
	db.mu.Lock()
	defer db.mu.Unlock()
	return db.st.clone()
}

func (db *fakeDB) nextID() int64 { db.st.NextID++; return db.st.NextID }

func (db *fakeDB) orgByCode(code string) *Org {
	db.mu.Lock()
	defer db.mu.Unlock()
	for _, o := range db.st.Orgs {
		if o.Code == code {
			return cloneOrg(o)
		}
	}
	return nil
}

func (db *fakeDB) accountByUsername(username string) *Account {
	db.mu.Lock()
	defer db.mu.Unlock()
	for _, a := range db.st.Accounts {
		if a.Username == username {
			return cloneAccount(a)
		}
	}
	return nil
}

func (db *fakeDB) accountCount() int {
	db.mu.Lock()
	defer db.mu.Unlock()
	return len(db.st.Accounts)
}

func (db *fakeDB) auditRecords() []AuditRecord {
	db.mu.Lock()
	defer db.mu.Unlock()
	out := make([]AuditRecord, len(db.st.Audit))
	for i, r := range db.st.Audit {
		out[i] = *r
	}
	return out
}

func (db *fakeDB) tokensOf(accountID int64) []*RefreshToken {
	db.mu.Lock()
	defer db.mu.Unlock()
	var out []*RefreshToken
	for _, t := range db.st.Tokens {
		if t.AccountID == accountID {
			out = append(out, cloneToken(t))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// ---- Transaction ----

type fakeTxKey struct{}

// fakeTx is transactional: the outermost InTx snapshots the state and restores it if fn fails.
// Nested calls join the outer transaction. Transactions are serialised (see fakeDB.tx).
type fakeTx struct{ db *fakeDB }

func (tx fakeTx) InTx(ctx context.Context, fn func(ctx context.Context) error) error {
	if ctx.Value(fakeTxKey{}) != nil {
		return fn(ctx)
	}
	tx.db.tx.Lock()
	defer tx.db.tx.Unlock()
	before := tx.db.snapshot()
	if err := fn(context.WithValue(ctx, fakeTxKey{}, true)); err != nil {
		tx.db.mu.Lock()
		tx.db.st = before
		tx.db.mu.Unlock()
		return err
	}
	return nil
}

// ---- OrgRepo ----

type fakeOrgRepo struct{ db *fakeDB }

var _ OrgRepo = fakeOrgRepo{}

func (r fakeOrgRepo) Create(_ context.Context, in []NewOrg) ([]*Org, error) {
	db := r.db
	db.mu.Lock()
	defer db.mu.Unlock()
	db.orgCreateCalls++
	codes := make([]string, len(in))
	for i, o := range in {
		codes[i] = o.Code
	}
	db.orgBatches = append(db.orgBatches, codes)
	if db.failOrgCreateCall > 0 && db.orgCreateCalls == db.failOrgCreateCall {
		return nil, errors.New("fake: injected org create failure")
	}
	// All or nothing, like the data layer: parents must exist before the call, codes must be
	// free (also within the batch); only then is anything stored.
	for _, o := range in {
		if o.ParentID != 0 && db.st.Orgs[o.ParentID] == nil {
			return nil, ErrOrgNotFound
		}
	}
	for i, o := range in {
		if slices.Contains(codes[:i], o.Code) || db.orgWithCode(o.Code, 0) != nil {
			return nil, ErrAlreadyExists
		}
	}
	now := db.clock.Now()
	out := make([]*Org, 0, len(in))
	for _, o := range in {
		id := db.nextID()
		org := &Org{ID: id, ParentID: o.ParentID, Name: o.Name, Code: o.Code, Type: o.Type, CreatedAt: now, UpdatedAt: now}
		if o.ParentID == 0 {
			org.Path = "/" + strconv.FormatInt(id, 10) + "/"
		} else {
			parent := db.st.Orgs[o.ParentID]
			org.Path = parent.Path + strconv.FormatInt(id, 10) + "/"
			org.Depth = parent.Depth + 1
		}
		db.st.Orgs[id] = org
		out = append(out, cloneOrg(org))
	}
	return out, nil
}

// orgWithCode returns the stored org other than skip with code, if any (codes are unique).
func (db *fakeDB) orgWithCode(code string, skip int64) *Org {
	for _, o := range db.st.Orgs {
		if o.Code == code && o.ID != skip {
			return o
		}
	}
	return nil
}

func (r fakeOrgRepo) Get(_ context.Context, id int64) (*Org, error) {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	o := r.db.st.Orgs[id]
	if o == nil {
		return nil, ErrOrgNotFound
	}
	return cloneOrg(o), nil
}

func (r fakeOrgRepo) GetByCodes(_ context.Context, codes []string) (map[string]*Org, error) {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	out := map[string]*Org{}
	for _, o := range r.db.st.Orgs {
		if slices.Contains(codes, o.Code) {
			out[o.Code] = cloneOrg(o)
		}
	}
	return out, nil
}

func (r fakeOrgRepo) GetMany(_ context.Context, ids []int64) (map[int64]*Org, error) {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	out := map[int64]*Org{}
	for _, id := range ids {
		if o := r.db.st.Orgs[id]; o != nil {
			out[id] = cloneOrg(o)
		}
	}
	return out, nil
}

func (r fakeOrgRepo) Update(_ context.Context, id int64, name, code *string) (*Org, error) {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	o := r.db.st.Orgs[id]
	if o == nil {
		return nil, ErrOrgNotFound
	}
	if code != nil && r.db.orgWithCode(*code, id) != nil {
		return nil, ErrAlreadyExists
	}
	if name != nil {
		o.Name = *name
	}
	if code != nil {
		o.Code = *code
	}
	o.UpdatedAt = r.db.clock.Now()
	return cloneOrg(o), nil
}

func (r fakeOrgRepo) Delete(_ context.Context, id int64) error {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	if r.db.st.Orgs[id] == nil {
		return ErrOrgNotFound
	}
	delete(r.db.st.Orgs, id)
	return nil
}

func (r fakeOrgRepo) CountChildren(_ context.Context, id int64) (int, error) {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	n := 0
	for _, o := range r.db.st.Orgs {
		if o.ParentID == id {
			n++
		}
	}
	return n, nil
}

func (r fakeOrgRepo) ListSubtree(_ context.Context, prefix, afterPath string, limit int) ([]*Org, int, error) {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	var all []*Org
	for _, o := range r.db.st.Orgs {
		if strings.HasPrefix(o.Path, prefix) {
			all = append(all, cloneOrg(o))
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].Path < all[j].Path })
	var out []*Org
	for _, o := range all {
		if o.Path > afterPath && len(out) < limit {
			out = append(out, o)
		}
	}
	return out, len(all), nil
}

func (r fakeOrgRepo) Count(context.Context) (int, error) {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	return len(r.db.st.Orgs), nil
}

// ---- AccountRepo ----

type fakeAccountRepo struct{ db *fakeDB }

var _ AccountRepo = fakeAccountRepo{}

// conflict reports whether a would break a unique constraint (username as stored, so "Alice"
// and "alice" may both exist, as in the database; phone; national ID hash) against the stored
// accounts other than skip.
func (db *fakeDB) conflict(a *Account, skip int64) bool {
	for _, e := range db.st.Accounts {
		if e.ID != skip && clashes(a, e) {
			return true
		}
	}
	return false
}

// clashes reports whether two accounts share a unique value.
func clashes(a, b *Account) bool {
	return a.Username == b.Username || (a.Phone != "" && a.Phone == b.Phone) ||
		(a.NationalIDHash != "" && a.NationalIDHash == b.NationalIDHash)
}

func (r fakeAccountRepo) Create(_ context.Context, in []*Account) ([]*Account, error) {
	db := r.db
	db.mu.Lock()
	defer db.mu.Unlock()
	if db.failAccountCreate != nil {
		return nil, db.failAccountCreate
	}
	// All or nothing, like the data layer's one INSERT per batch.
	for i, a := range in {
		if db.conflict(a, 0) || slices.ContainsFunc(in[:i], func(b *Account) bool { return clashes(a, b) }) {
			return nil, ErrAlreadyExists
		}
		// Stricter than the database (no foreign key there): biz always creates accounts in an
		// org it has just read, so this only catches broken test setups.
		if db.st.Orgs[a.OrgID] == nil {
			return nil, fmt.Errorf("fake: account %q in unknown org %d", a.Username, a.OrgID)
		}
	}
	now := db.clock.Now()
	out := make([]*Account, 0, len(in))
	for _, a := range in {
		c := cloneAccount(a)
		c.ID = db.nextID()
		c.CreatedAt, c.UpdatedAt = now, now
		db.st.Accounts[c.ID] = c
		out = append(out, cloneAccount(c))
	}
	return out, nil
}

func (r fakeAccountRepo) Get(_ context.Context, id int64) (*Account, error) {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	a := r.db.st.Accounts[id]
	if a == nil {
		return nil, ErrAccountNotFound
	}
	return cloneAccount(a), nil
}

func (r fakeAccountRepo) GetMany(_ context.Context, ids []int64) (map[int64]*Account, error) {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	out := map[int64]*Account{}
	for _, id := range ids {
		if a := r.db.st.Accounts[id]; a != nil {
			out[id] = cloneAccount(a)
		}
	}
	return out, nil
}

func (r fakeAccountRepo) GetByLogin(_ context.Context, login string) (*Account, error) {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	var best *Account
	for _, a := range r.db.st.Accounts {
		if (a.Username == login || (a.Phone != "" && a.Phone == login)) && (best == nil || a.ID < best.ID) {
			best = a
		}
	}
	if best == nil {
		return nil, ErrAccountNotFound
	}
	return cloneAccount(best), nil
}

func (r fakeAccountRepo) Update(_ context.Context, id int64, p AccountPatch) (*Account, error) {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	cur := r.db.st.Accounts[id]
	if cur == nil {
		return nil, ErrAccountNotFound
	}
	a := cloneAccount(cur)
	if p.DisplayName != nil {
		a.DisplayName = *p.DisplayName
	}
	if p.Phone != nil {
		a.Phone = *p.Phone
	}
	if p.OrgID != nil {
		a.OrgID, a.OrgPath = *p.OrgID, *p.OrgPath
	}
	if p.Status != nil {
		a.Status = *p.Status
	}
	if p.Roles != nil {
		a.Roles = slices.Clone(p.Roles)
	}
	if p.PasswordHash != nil {
		a.PasswordHash = *p.PasswordHash
	}
	if p.MustChangePassword != nil {
		a.MustChangePassword = *p.MustChangePassword
	}
	if pr := p.Profile; pr != nil {
		set := func(dst *string, v string) {
			if v != "" {
				*dst = v
			}
		}
		set(&a.Profile.Gender, pr.Gender)
		set(&a.Profile.BirthDate, pr.BirthDate)
		set(&a.Profile.Ethnicity, pr.Ethnicity)
		set(&a.Profile.Education, pr.Education)
		set(&a.Profile.ApplicationDate, pr.ApplicationDate)
		set(&a.Profile.JoinedDate, pr.JoinedDate)
		set(&a.Profile.FullMemberDate, pr.FullMemberDate)
		set(&a.Profile.NationalIDMask, pr.NationalIDMask)
		if pr.Stage != "" {
			a.Profile.Stage = pr.Stage
		}
	}
	if p.NationalIDHash != nil {
		a.NationalIDHash, a.NationalIDEnc = *p.NationalIDHash, slices.Clone(p.NationalIDEnc)
	}
	if r.db.conflict(a, id) {
		return nil, ErrAlreadyExists
	}
	a.UpdatedAt = r.db.clock.Now()
	r.db.st.Accounts[id] = a
	return cloneAccount(a), nil
}

func (r fakeAccountRepo) List(_ context.Context, f AccountFilter) ([]*Account, int, error) {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	var all []*Account
	for _, a := range r.db.st.Accounts {
		if !strings.HasPrefix(a.OrgPath, f.PathPrefix) {
			continue
		}
		if f.Role != "" && !a.HasRole(f.Role) {
			continue
		}
		if q := strings.ToLower(f.Query); q != "" && !strings.Contains(strings.ToLower(a.Username), q) &&
			!strings.Contains(strings.ToLower(a.DisplayName), q) && !strings.Contains(a.Phone, q) {
			continue
		}
		all = append(all, cloneAccount(a))
	}
	sort.Slice(all, func(i, j int) bool { return all[i].ID < all[j].ID })
	var out []*Account
	for _, a := range all {
		if a.ID > f.AfterID && len(out) < f.Limit {
			out = append(out, a)
		}
	}
	return out, len(all), nil
}

func (r fakeAccountRepo) CountInOrg(_ context.Context, orgID int64) (int, error) {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	n := 0
	for _, a := range r.db.st.Accounts {
		if a.OrgID == orgID {
			n++
		}
	}
	return n, nil
}

// Taken mirrors the data layer: keys "u:<lower username>", "p:<phone>", "n:<id hash>".
func (r fakeAccountRepo) Taken(_ context.Context, usernames, phones, idHashes []string) (map[string]bool, error) {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	out := map[string]bool{}
	for _, a := range r.db.st.Accounts {
		for _, u := range usernames {
			if u != "" && strings.EqualFold(u, a.Username) {
				out["u:"+strings.ToLower(a.Username)] = true
			}
		}
		if a.Phone != "" && slices.Contains(phones, a.Phone) {
			out["p:"+a.Phone] = true
		}
		if a.NationalIDHash != "" && slices.Contains(idHashes, a.NationalIDHash) {
			out["n:"+a.NationalIDHash] = true
		}
	}
	return out, nil
}

func (r fakeAccountRepo) AnyAdmin(context.Context) (bool, error) {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	for _, a := range r.db.st.Accounts {
		if a.HasRole(auth.RoleAdmin) {
			return true, nil
		}
	}
	return false, nil
}

// ---- TokenRepo ----

type fakeTokenRepo struct{ db *fakeDB }

var _ TokenRepo = fakeTokenRepo{}

func (r fakeTokenRepo) Create(_ context.Context, t *RefreshToken) error {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	for _, e := range r.db.st.Tokens {
		if e.Hash == t.Hash {
			return ErrAlreadyExists
		}
	}
	c := cloneToken(t)
	c.ID = r.db.nextID()
	r.db.st.Tokens[c.ID] = c
	return nil
}

func (r fakeTokenRepo) GetForUpdate(_ context.Context, hash string) (*RefreshToken, error) {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	for _, t := range r.db.st.Tokens {
		if t.Hash == hash {
			return cloneToken(t), nil
		}
	}
	return nil, ErrRefreshTokenNotFound
}

func (r fakeTokenRepo) MarkUsed(_ context.Context, id int64, at time.Time) (bool, error) {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	t := r.db.st.Tokens[id]
	if t == nil || t.UsedAt != nil || t.RevokedAt != nil {
		return false, nil
	}
	t.UsedAt = &at
	return true, nil
}

func (r fakeTokenRepo) RevokeFamily(_ context.Context, family string, at time.Time) error {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	for _, t := range r.db.st.Tokens {
		if t.Family == family && t.RevokedAt == nil {
			t.RevokedAt = &at
		}
	}
	return nil
}

func (r fakeTokenRepo) RevokeAccount(_ context.Context, accountID int64, at time.Time) (auth.Revocation, error) {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	for _, t := range r.db.st.Tokens {
		if t.AccountID == accountID && t.RevokedAt == nil {
			t.RevokedAt = &at
		}
	}
	a := r.db.st.Accounts[accountID]
	if a == nil {
		return auth.Revocation{}, ErrAccountNotFound
	}
	a.SessionVersion++
	a.SessionsRevokedAt = &at
	return auth.Revocation{UserID: accountID, Version: a.SessionVersion, At: at}, nil
}

func (r fakeTokenRepo) RevocationsSince(_ context.Context, t time.Time) ([]auth.Revocation, error) {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	var out []auth.Revocation
	for _, a := range r.db.st.Accounts {
		if a.SessionsRevokedAt != nil && !a.SessionsRevokedAt.Before(t) {
			out = append(out, auth.Revocation{UserID: a.ID, Version: a.SessionVersion, At: *a.SessionsRevokedAt})
		}
	}
	return out, nil
}

// ---- LoginFailureRepo ----

type fakeFailureRepo struct{ db *fakeDB }

var _ LoginFailureRepo = fakeFailureRepo{}

// failureKeyOf is what a failure is recorded under: the first MaxUsername characters.
func failureKeyOf(username string) string { return truncate(username, MaxUsername) }

func (r fakeFailureRepo) Add(_ context.Context, username string, at time.Time) error {
	username = failureKeyOf(username)
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	r.db.st.Failures[username] = append(r.db.st.Failures[username], at)
	return nil
}

func (r fakeFailureRepo) Since(_ context.Context, username string, t time.Time) (int, time.Time, error) {
	username = failureKeyOf(username)
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	n := 0
	var oldest time.Time
	for _, at := range r.db.st.Failures[username] {
		if at.Before(t) {
			continue
		}
		if n == 0 || at.Before(oldest) {
			oldest = at
		}
		n++
	}
	return n, oldest, nil
}

func (r fakeFailureRepo) Clear(_ context.Context, username string) error {
	username = failureKeyOf(username)
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	delete(r.db.st.Failures, username)
	return nil
}

// ---- AuditRepo ----

type fakeAuditRepo struct{ db *fakeDB }

var _ AuditRepo = fakeAuditRepo{}

func (r fakeAuditRepo) Add(_ context.Context, rec *AuditRecord) error {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	c := *rec
	c.ID = r.db.nextID()
	if c.Service == "" {
		c.Service = AuditServiceOrg
	}
	r.db.st.Audit = append(r.db.st.Audit, &c)
	return nil
}

func (r fakeAuditRepo) AddOnce(_ context.Context, rs []*AuditRecord) (int, error) {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	for i, rec := range rs {
		if rec.Key == "" {
			return 0, fmt.Errorf("fake: AddOnce record %d has no key", i)
		}
	}
	stored := map[string]bool{}
	for _, rec := range r.db.st.Audit {
		stored[rec.Key] = rec.Key != ""
	}
	added := 0
	for _, rec := range rs {
		if stored[rec.Key] {
			continue
		}
		c := *rec
		c.ID = r.db.nextID()
		r.db.st.Audit = append(r.db.st.Audit, &c)
		stored[rec.Key] = true
		added++
	}
	return added, nil
}

func (r fakeAuditRepo) List(_ context.Context, f AuditFilter) ([]*AuditRecord, error) {
	r.db.mu.Lock()
	defer r.db.mu.Unlock()
	var out []*AuditRecord
	for i := len(r.db.st.Audit) - 1; i >= 0; i-- {
		rec := r.db.st.Audit[i]
		if !strings.HasPrefix(rec.OrgPath, f.PathPrefix) || (f.ActorID != 0 && rec.ActorID != f.ActorID) ||
			(f.Action != "" && rec.Action != f.Action) || (f.BeforeID != 0 && rec.ID >= f.BeforeID) {
			continue
		}
		if len(out) == f.Limit {
			break
		}
		c := *rec
		out = append(out, &c)
	}
	return out, nil
}

// ---- hasher ----

// countingHasher wraps a PasswordHasher and counts Hash calls (imports hash the initial password
// once, dry runs not at all).
type countingHasher struct {
	PasswordHasher
	mu       sync.Mutex
	hashes   int
	verifies int
}

func (h *countingHasher) Verify(pw, hash string) (bool, error) {
	h.mu.Lock()
	h.verifies++
	h.mu.Unlock()
	return h.PasswordHasher.Verify(pw, hash)
}

func (h *countingHasher) verifyCount() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.verifies
}

func (h *countingHasher) Hash(pw string) (string, error) {
	h.mu.Lock()
	h.hashes++
	h.mu.Unlock()
	return h.PasswordHasher.Hash(pw)
}

func (h *countingHasher) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.hashes
}

// ---- environment ----

var (
	testT0         = time.Date(2025, 7, 1, 9, 0, 0, 0, time.UTC)
	testMasterKey  = []byte("0123456789abcdef0123456789abcdef")
	testSigningKey = ed25519.NewKeyFromSeed([]byte("vanguard-biz-test-seed-32-bytes!"))
	cheapArgon2    = secret.Argon2{P: secret.Argon2Params{MemoryKiB: 64, Iterations: 1, Parallelism: 1}}
)

const testPassword = "Passw0rd-test"

// testEnv wires the usecases over one fakeDB with a seeded tree:
//
//	ROOT (committee, admin)              /1/
//	├── A (committee, staffA trainerA memberA)     /1/2/
//	│   ├── A1 (general branch, staffA1)            /1/2/4/
//	│   │   └── A1a (branch, memberA1a)             /1/2/4/5/
//	│   └── A2 (branch)                             /1/2/6/
//	└── B (committee, staffB memberB)             /1/3/
type testEnv struct {
	db       *fakeDB
	clk      *clock.Fake
	sealer   *secret.Sealer
	hasher   *countingHasher
	signer   *authn.Signer
	verifier *authn.Verifier
	cfg      AuthConfig

	orgUC     *OrgUsecase
	accountUC *AccountUsecase
	authUC    *AuthUsecase

	org map[string]*Org     // by code
	acc map[string]*Account // by username
}

func newTestEnv(tb testing.TB) *testEnv {
	tb.Helper()
	e := newBareEnv(tb)
	e.seed(tb)
	return e
}

// newBareEnv wires usecases over an empty store.
func newBareEnv(tb testing.TB) *testEnv {
	tb.Helper()
	clk := clock.NewFake(testT0)
	db := newFakeDB(clk)
	sealer, err := secret.NewSealer(testMasterKey)
	if err != nil {
		tb.Fatal(err)
	}
	hasher := &countingHasher{PasswordHasher: cheapArgon2}
	signer := authn.NewSigner(testSigningKey, clk)
	orgs, accounts, tokens := fakeOrgRepo{db}, fakeAccountRepo{db}, fakeTokenRepo{db}
	tx := fakeTx{db}
	auditor := NewAuditor(fakeAuditRepo{db}, orgs, clk)
	cfg := AuthConfig{RefreshTTL: 7 * 24 * time.Hour, MaxFailures: 3, FailureWindow: 15 * time.Minute}
	authUC, err := NewAuthUsecase(cfg, accounts, tokens, fakeFailureRepo{db}, hasher, signer, clk, tx)
	if err != nil {
		tb.Fatal(err)
	}
	return &testEnv{
		db: db, clk: clk, sealer: sealer, hasher: hasher, signer: signer, cfg: cfg,
		verifier:  authn.NewVerifier(clk, signer.PublicKey()),
		orgUC:     NewOrgUsecase(orgs, accounts, auditor, tx),
		accountUC: NewAccountUsecase(accounts, orgs, tokens, sealer, hasher, auditor, tx),
		authUC:    authUC,
		org:       map[string]*Org{},
		acc:       map[string]*Account{},
	}
}

func (e *testEnv) seed(tb testing.TB) {
	tb.Helper()
	e.addOrg(tb, "ROOT", "", OrgCommittee)
	e.addOrg(tb, "A", "ROOT", OrgCommittee)
	e.addOrg(tb, "B", "ROOT", OrgCommittee)
	e.addOrg(tb, "A1", "A", OrgGeneralBranch)
	e.addOrg(tb, "A1a", "A1", OrgBranch)
	e.addOrg(tb, "A2", "A", OrgBranch)
	e.addAccount(tb, "admin", "", "ROOT", auth.RoleAdmin)
	e.addAccount(tb, "staffA", "13900000001", "A", auth.RoleStaff)
	e.addAccount(tb, "trainerA", "", "A", auth.RoleTrainer)
	e.addAccount(tb, "memberA", "13900000002", "A", auth.RoleMember)
	e.addAccount(tb, "staffA1", "", "A1", auth.RoleStaff)
	e.addAccount(tb, "memberA1a", "", "A1a", auth.RoleMember)
	e.addAccount(tb, "staffB", "", "B", auth.RoleStaff)
	e.addAccount(tb, "memberB", "", "B", auth.RoleMember)
	// Seeding is not part of any test's observable history.
	e.db.mu.Lock()
	e.db.st.Audit = nil
	e.db.orgBatches, e.db.orgCreateCalls = nil, 0
	e.db.mu.Unlock()
	e.hasher.mu.Lock()
	e.hasher.hashes = 0
	e.hasher.mu.Unlock()
}

// addOrg stores an org directly (bypassing usecases) and remembers it by code.
func (e *testEnv) addOrg(tb testing.TB, code, parentCode string, typ OrgType) *Org {
	tb.Helper()
	var parentID int64
	if parentCode != "" {
		parentID = e.org[parentCode].ID
	}
	out, err := fakeOrgRepo{e.db}.Create(context.Background(), []NewOrg{{ParentID: parentID, Name: "组织" + code, Code: code, Type: typ}})
	if err != nil {
		tb.Fatalf("seed org %s: %v", code, err)
	}
	e.org[code] = out[0]
	return out[0]
}

// addAccount stores an active account with testPassword directly and remembers it by username.
func (e *testEnv) addAccount(tb testing.TB, username, phone, orgCode string, roles ...string) *Account {
	tb.Helper()
	hash := seedPasswordHash(tb)
	o := e.org[orgCode]
	out, err := fakeAccountRepo{e.db}.Create(context.Background(), []*Account{{
		Username: username, Phone: phone, DisplayName: "用户" + username, PasswordHash: hash,
		Roles: roles, OrgID: o.ID, OrgPath: o.Path, Status: StatusActive, Profile: Profile{Stage: StageNone},
	}})
	if err != nil {
		tb.Fatalf("seed account %s: %v", username, err)
	}
	e.acc[username] = out[0]
	return out[0]
}

var seedHash struct {
	once sync.Once
	hash string
	err  error
}

// seedPasswordHash is testPassword hashed once per process (seeding runs per fuzz iteration).
func seedPasswordHash(tb testing.TB) string {
	seedHash.once.Do(func() { seedHash.hash, seedHash.err = cheapArgon2.Hash(testPassword) })
	if seedHash.err != nil {
		tb.Fatal(seedHash.err)
	}
	return seedHash.hash
}

// as returns a context carrying the principal of the seeded account username.
func (e *testEnv) as(username string) context.Context {
	a := e.acc[username]
	if a == nil {
		panic("unknown seeded account " + username)
	}
	return auth.NewContext(context.Background(), a.Principal())
}

// state returns a deep copy of the store, for before/after comparisons.
func (e *testEnv) state() *fakeState { return e.db.snapshot() }

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func trimmed(s string) string { return strings.TrimSpace(s) }
