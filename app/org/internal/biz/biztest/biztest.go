// Package biztest is the contract of the org service's repositories: one suite, RunRepoSuite,
// that every implementation of the repository interfaces declared in biz must pass. The ent
// repositories (app/org/internal/data, on SQLite and PostgreSQL) and the in-memory fakes the biz
// tests use (app/org/internal/biz, fakes_test.go) both run it, so the fakes stay honest: a biz
// test passing on a fake means the same calls behave the same way on the database.
//
// The suite checks what biz relies on: the interfaces' doc comments and, where a comment is
// silent, the behaviour the use cases depend on or the databases agree on (commented where it is
// not obvious). It checks no text limits, dialect details or performance; those stay with the
// data layer's own tests.
package biztest

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/vanguard/vanguard/app/org/internal/biz"
	"github.com/vanguard/vanguard/pkg/auth"
)

// Repos is one set of repositories over one store.
type Repos struct {
	Orgs     biz.OrgRepo
	Accounts biz.AccountRepo
	Tokens   biz.TokenRepo
	Failures biz.LoginFailureRepo
	Audit    biz.AuditRepo
	Tx       biz.Transaction
	// Development is optional: the biz tests check the development rules on the pure engine
	// and run no use case on a fake development repository, so the fakes have none and its
	// cases skip there.
	Development biz.DevelopmentRepo
}

// RunRepoSuite runs the repository contract as parallel subtests, grouped by interface. open
// returns fresh, empty repositories over a store of their own; it is called once per subtest
// and must be safe to call from parallel subtests.
func RunRepoSuite(t *testing.T, open func(t *testing.T) Repos) {
	for _, g := range suite {
		t.Run(g.name, func(t *testing.T) {
			t.Parallel()
			for _, c := range g.cases {
				t.Run(c.name, func(t *testing.T) {
					t.Parallel()
					c.run(&env{t: t, ctx: context.Background(), r: open(t)})
				})
			}
		})
	}
}

type testCase struct {
	name string
	run  func(e *env)
}

var suite = []struct {
	name  string
	cases []testCase
}{
	{"Transaction", transactionCases},
	{"OrgRepo", orgCases},
	{"AccountRepo", accountCases},
	{"TokenRepo", tokenCases},
	{"LoginFailureRepo", failureCases},
	{"AuditRepo", auditCases},
	{"DevelopmentRepo", developmentCases},
}

// t0 is the suite's clock: whole seconds, so every store keeps it exactly.
var t0 = time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)

// notFound is an id no store has handed out in a fresh test.
const notFound = int64(987654321)

var (
	// eqTime compares instants: stores may hand times back in another location.
	eqTime = cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })
	// Stamps are the store's own clock (the database's, the fake's), not part of the contract.
	noOrgStamps     = cmpopts.IgnoreFields(biz.Org{}, "CreatedAt", "UpdatedAt")
	noAccountStamps = cmpopts.IgnoreFields(biz.Account{}, "CreatedAt", "UpdatedAt")
	orgOpts         = []cmp.Option{noOrgStamps}
	accountOpts     = []cmp.Option{noAccountStamps, eqTime, cmpopts.EquateEmpty()}
)

// env is one subtest over its own repositories, with helpers that fail the test on error.
type env struct {
	t   *testing.T
	ctx context.Context
	r   Repos
}

func (e *env) fatalf(format string, args ...any) {
	e.t.Helper()
	e.t.Fatalf(format, args...)
}

func (e *env) createOrgs(in ...biz.NewOrg) []*biz.Org {
	e.t.Helper()
	out, err := e.r.Orgs.Create(e.ctx, in)
	if err != nil {
		e.fatalf("OrgRepo.Create(%+v): %v", in, err)
	}
	if len(out) != len(in) {
		e.fatalf("OrgRepo.Create returned %d orgs for %d", len(out), len(in))
	}
	return out
}

func (e *env) root(code string) *biz.Org {
	e.t.Helper()
	return e.createOrgs(biz.NewOrg{Name: "党委" + code, Code: code, Type: biz.OrgCommittee})[0]
}

func (e *env) child(parent *biz.Org, code string, typ biz.OrgType) *biz.Org {
	e.t.Helper()
	return e.createOrgs(biz.NewOrg{ParentID: parent.ID, Name: "组织" + code, Code: code, Type: typ})[0]
}

// prefixRoots creates roots until one's id is a proper prefix of another's ("/1/" and "/10/"),
// and returns those two: a subtree query for the short one must not match the long one.
func (e *env) prefixRoots() (short, long *biz.Org) {
	e.t.Helper()
	var roots []*biz.Org
	for i := 0; i < 200; i++ {
		r := e.root(fmt.Sprintf("R%d", i))
		for _, o := range roots {
			a, b := strconv.FormatInt(o.ID, 10), strconv.FormatInt(r.ID, 10)
			if strings.HasPrefix(b, a) {
				return o, r
			}
		}
		roots = append(roots, r)
	}
	e.fatalf("no root id is a prefix of another after 200 roots")
	return nil, nil
}

func (e *env) orgCount() int {
	e.t.Helper()
	n, err := e.r.Orgs.Count(e.ctx)
	if err != nil {
		e.fatalf("OrgRepo.Count: %v", err)
	}
	return n
}

// newAccount is an active member-stage account in org with a display name and password hash.
func newAccount(username string, org *biz.Org, roles ...string) *biz.Account {
	if len(roles) == 0 {
		roles = []string{auth.RoleMember}
	}
	return &biz.Account{
		Username: username, DisplayName: "用户" + username, PasswordHash: "hash-" + username,
		Roles: roles, OrgID: org.ID, OrgPath: org.Path, Status: biz.StatusActive,
		Profile: biz.Profile{Stage: biz.StageNone},
	}
}

func (e *env) createAccounts(in ...*biz.Account) []*biz.Account {
	e.t.Helper()
	out, err := e.r.Accounts.Create(e.ctx, in)
	if err != nil {
		e.fatalf("AccountRepo.Create: %v", err)
	}
	if len(out) != len(in) {
		e.fatalf("AccountRepo.Create returned %d accounts for %d", len(out), len(in))
	}
	return out
}

func (e *env) account(id int64) *biz.Account {
	e.t.Helper()
	a, err := e.r.Accounts.Get(e.ctx, id)
	if err != nil {
		e.fatalf("AccountRepo.Get(%d): %v", id, err)
	}
	return a
}

func (e *env) listAccounts(f biz.AccountFilter) ([]string, int) {
	e.t.Helper()
	got, total, err := e.r.Accounts.List(e.ctx, f)
	if err != nil {
		e.fatalf("AccountRepo.List(%+v): %v", f, err)
	}
	return usernames(got), total
}

func usernames(as []*biz.Account) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.Username
	}
	return out
}

func (e *env) createToken(hash, family string, accountID int64) {
	e.t.Helper()
	if err := e.r.Tokens.Create(e.ctx, &biz.RefreshToken{Hash: hash, Family: family, AccountID: accountID, ExpiresAt: t0.Add(time.Hour)}); err != nil {
		e.fatalf("TokenRepo.Create(%s): %v", hash, err)
	}
}

func (e *env) token(hash string) *biz.RefreshToken {
	e.t.Helper()
	tok, err := e.r.Tokens.GetForUpdate(e.ctx, hash)
	if err != nil {
		e.fatalf("TokenRepo.GetForUpdate(%s): %v", hash, err)
	}
	return tok
}

// revokedAt is a token's RevokedAt, or the zero time.
func (e *env) revokedAt(hash string) time.Time {
	e.t.Helper()
	if at := e.token(hash).RevokedAt; at != nil {
		return *at
	}
	return time.Time{}
}

func (e *env) since(username string, t time.Time) (int, time.Time) {
	e.t.Helper()
	n, oldest, err := e.r.Failures.Since(e.ctx, username, t)
	if err != nil {
		e.fatalf("LoginFailureRepo.Since(%q): %v", username, err)
	}
	return n, oldest
}

func (e *env) listAudit(f biz.AuditFilter) []*biz.AuditRecord {
	e.t.Helper()
	got, err := e.r.Audit.List(e.ctx, f)
	if err != nil {
		e.fatalf("AuditRepo.List(%+v): %v", f, err)
	}
	return got
}

func wantErr(e *env, what string, err, want error) {
	e.t.Helper()
	if !errors.Is(err, want) {
		e.fatalf("%s: err = %v, want %v", what, err, want)
	}
}

func noErr(e *env, what string, err error) {
	e.t.Helper()
	if err != nil {
		e.fatalf("%s: %v", what, err)
	}
}

func diff(e *env, what string, want, got any, opts ...cmp.Option) {
	e.t.Helper()
	if d := cmp.Diff(want, got, opts...); d != "" {
		e.fatalf("%s (-want +got):\n%s", what, d)
	}
}

// ---- Transaction ----

var errBoom = errors.New("biztest: boom")

var transactionCases = []testCase{
	{"a failed InTx leaves no trace", func(e *env) {
		// Everything biz writes in its transactions, undone by the error fn returns.
		r := e.root("R")
		a := e.createAccounts(newAccount("alice", r))[0]
		e.createToken("kept", "f0", a.ID)
		err := e.r.Tx.InTx(e.ctx, func(ctx context.Context) error {
			x, err := e.r.Orgs.Create(ctx, []biz.NewOrg{{ParentID: r.ID, Name: "x", Code: "X", Type: biz.OrgBranch}})
			if err != nil {
				return err
			}
			name := "R2"
			if _, err := e.r.Orgs.Update(ctx, r.ID, &name, nil); err != nil {
				return err
			}
			if _, err := e.r.Accounts.Create(ctx, []*biz.Account{newAccount("bob", x[0])}); err != nil {
				return err
			}
			dn := "改名"
			if _, err := e.r.Accounts.Update(ctx, a.ID, biz.AccountPatch{DisplayName: &dn}); err != nil {
				return err
			}
			if err := e.r.Tokens.Create(ctx, &biz.RefreshToken{Hash: "new", Family: "f1", AccountID: a.ID, ExpiresAt: t0}); err != nil {
				return err
			}
			if _, err := e.r.Tokens.RevokeAccount(ctx, a.ID, t0); err != nil {
				return err
			}
			if err := e.r.Failures.Add(ctx, "alice", t0); err != nil {
				return err
			}
			if err := e.r.Audit.Add(ctx, &biz.AuditRecord{ActorName: "system", Action: "x", TargetType: "org", OrgPath: r.Path, CreatedAt: t0, Service: biz.AuditServiceOrg}); err != nil {
				return err
			}
			if _, err := e.r.Audit.AddOnce(ctx, []*biz.AuditRecord{{ActorName: "q", Action: "x", TargetType: "exam", OrgPath: r.Path, CreatedAt: t0, Service: "quiz", Key: "quiz:x:1"}}); err != nil {
				return err
			}
			return fmt.Errorf("wrapped: %w", errBoom)
		})
		wantErr(e, "InTx", err, errBoom)
		if n := e.orgCount(); n != 1 {
			e.fatalf("orgs after rollback = %d, want 1", n)
		}
		if got, _ := e.r.Orgs.Get(e.ctx, r.ID); got == nil || got.Name != r.Name {
			e.fatalf("org after rollback = %+v, want name %q", got, r.Name)
		}
		_, err = e.r.Accounts.GetByLogin(e.ctx, "bob")
		wantErr(e, "account created in the rolled-back tx", err, biz.ErrAccountNotFound)
		got := e.account(a.ID)
		if got.DisplayName != a.DisplayName || got.SessionVersion != 0 || got.SessionsRevokedAt != nil {
			e.fatalf("account after rollback = %+v", got)
		}
		_, err = e.r.Tokens.GetForUpdate(e.ctx, "new")
		wantErr(e, "token created in the rolled-back tx", err, biz.ErrRefreshTokenNotFound)
		if at := e.revokedAt("kept"); !at.IsZero() {
			e.fatalf("token revoked in the rolled-back tx: %v", at)
		}
		if n, _ := e.since("alice", time.Time{}); n != 0 {
			e.fatalf("failures after rollback = %d", n)
		}
		if recs := e.listAudit(biz.AuditFilter{Limit: 10}); len(recs) != 0 {
			e.fatalf("audit after rollback = %+v", recs)
		}
	}},
	{"InTx commits: writes are visible inside and after", func(e *env) {
		var created *biz.Org
		err := e.r.Tx.InTx(e.ctx, func(ctx context.Context) error {
			out, err := e.r.Orgs.Create(ctx, []biz.NewOrg{{Name: "x", Code: "X", Type: biz.OrgCommittee}})
			if err != nil {
				return err
			}
			created = out[0]
			// Reads through the transaction's context see its writes.
			got, err := e.r.Orgs.Get(ctx, created.ID)
			if err != nil {
				return fmt.Errorf("Get inside the transaction: %w", err)
			}
			if got.Code != "X" {
				return fmt.Errorf("Get inside the transaction = %+v", got)
			}
			_, err = e.r.Accounts.Create(ctx, []*biz.Account{newAccount("alice", created)})
			return err
		})
		noErr(e, "InTx", err)
		got, err := e.r.Orgs.Get(e.ctx, created.ID)
		noErr(e, "Get after commit", err)
		diff(e, "org after commit", created, got, orgOpts...)
		_, err = e.r.Accounts.GetByLogin(e.ctx, "alice")
		noErr(e, "GetByLogin after commit", err)
	}},
	{"nested InTx joins the outer transaction", func(e *env) {
		// An inner error the outer returns rolls back the outer's writes too.
		err := e.r.Tx.InTx(e.ctx, func(ctx context.Context) error {
			if _, err := e.r.Orgs.Create(ctx, []biz.NewOrg{{Name: "a", Code: "A", Type: biz.OrgCommittee}}); err != nil {
				return err
			}
			return e.r.Tx.InTx(ctx, func(ctx context.Context) error {
				if _, err := e.r.Orgs.Create(ctx, []biz.NewOrg{{Name: "b", Code: "B", Type: biz.OrgCommittee}}); err != nil {
					return err
				}
				return errBoom
			})
		})
		wantErr(e, "outer InTx", err, errBoom)
		if n := e.orgCount(); n != 0 {
			e.fatalf("orgs after the rolled-back nest = %d, want 0", n)
		}
		// The inner call is no savepoint: an inner error the outer swallows undoes nothing.
		err = e.r.Tx.InTx(e.ctx, func(ctx context.Context) error {
			if _, err := e.r.Orgs.Create(ctx, []biz.NewOrg{{Name: "c", Code: "C", Type: biz.OrgCommittee}}); err != nil {
				return err
			}
			inner := e.r.Tx.InTx(ctx, func(ctx context.Context) error {
				if _, err := e.r.Orgs.Create(ctx, []biz.NewOrg{{Name: "d", Code: "D", Type: biz.OrgCommittee}}); err != nil {
					return err
				}
				return errBoom
			})
			if !errors.Is(inner, errBoom) {
				return fmt.Errorf("inner InTx = %v, want the inner error", inner)
			}
			return nil
		})
		noErr(e, "outer InTx", err)
		byCode, err := e.r.Orgs.GetByCodes(e.ctx, []string{"C", "D"})
		noErr(e, "GetByCodes", err)
		if len(byCode) != 2 {
			e.fatalf("after the committed nest = %v, want C and D", byCode)
		}
	}},
}

// ---- OrgRepo ----

var orgCases = []testCase{
	{"GetMany returns the orgs found, keyed by id", func(e *env) {
		r := e.root("R")
		c := e.child(r, "C", biz.OrgBranch)
		got, err := e.r.Orgs.GetMany(e.ctx, []int64{c.ID, notFound, r.ID, c.ID})
		noErr(e, "GetMany", err)
		diff(e, "GetMany", map[int64]*biz.Org{r.ID: r, c.ID: c}, got, orgOpts...)
		none, err := e.r.Orgs.GetMany(e.ctx, nil)
		noErr(e, "GetMany(nil)", err)
		if len(none) != 0 {
			e.fatalf("GetMany(nil) = %v", none)
		}
	}},
	{"Create assigns ids, paths and depths in input order", func(e *env) {
		root := e.root("R")
		if root.ID == 0 || root.ParentID != 0 || root.Path != fmt.Sprintf("/%d/", root.ID) || root.Depth != 0 ||
			root.Name != "党委R" || root.Code != "R" || root.Type != biz.OrgCommittee {
			e.fatalf("root = %+v", root)
		}
		if root.CreatedAt.IsZero() || root.UpdatedAt.IsZero() {
			e.fatalf("root without stamps: %+v", root)
		}
		kids := e.createOrgs(
			biz.NewOrg{ParentID: root.ID, Name: "总支", Code: "G", Type: biz.OrgGeneralBranch},
			biz.NewOrg{ParentID: root.ID, Name: "支部B", Code: "B", Type: biz.OrgBranch},
		)
		g, b := kids[0], kids[1]
		if g.Code != "G" || b.Code != "B" || g.ID == b.ID {
			e.fatalf("children out of input order: %+v, %+v", g, b)
		}
		for _, k := range kids {
			if want := fmt.Sprintf("%s%d/", root.Path, k.ID); k.Path != want || k.Depth != 1 || k.ParentID != root.ID {
				e.fatalf("child %s = %+v, want path %s depth 1", k.Code, k, want)
			}
		}
		// One batch may hold parents of several levels and new roots, as long as the parents
		// exist already.
		mixed := e.createOrgs(
			biz.NewOrg{ParentID: g.ID, Name: "支部A", Code: "A", Type: biz.OrgBranch},
			biz.NewOrg{Name: "党委S", Code: "S", Type: biz.OrgCommittee},
			biz.NewOrg{ParentID: root.ID, Name: "支部C", Code: "C", Type: biz.OrgBranch},
		)
		a, s, c := mixed[0], mixed[1], mixed[2]
		if want := fmt.Sprintf("%s%d/", g.Path, a.ID); a.Path != want || a.Depth != 2 || a.ParentID != g.ID || a.Code != "A" {
			e.fatalf("grandchild = %+v, want path %s depth 2", a, want)
		}
		if s.Path != fmt.Sprintf("/%d/", s.ID) || s.Depth != 0 || s.ParentID != 0 || s.Code != "S" {
			e.fatalf("second root = %+v", s)
		}
		if c.Path != fmt.Sprintf("%s%d/", root.Path, c.ID) || c.Depth != 1 || c.Code != "C" {
			e.fatalf("child in a mixed batch = %+v", c)
		}
		for _, o := range []*biz.Org{root, g, b, a, s, c} {
			got, err := e.r.Orgs.Get(e.ctx, o.ID)
			noErr(e, "Get", err)
			diff(e, "Get("+o.Code+")", o, got, orgOpts...)
		}
		if n := e.orgCount(); n != 6 {
			e.fatalf("Count = %d, want 6", n)
		}
	}},
	{"Create with an unknown parent is ErrOrgNotFound and stores nothing", func(e *env) {
		_, err := e.r.Orgs.Create(e.ctx, []biz.NewOrg{{ParentID: notFound, Name: "x", Code: "X", Type: biz.OrgBranch}})
		wantErr(e, "Create under an unknown parent", err, biz.ErrOrgNotFound)
		_, err = e.r.Orgs.Create(e.ctx, []biz.NewOrg{
			{Name: "r", Code: "R", Type: biz.OrgCommittee},
			{ParentID: notFound, Name: "x", Code: "X", Type: biz.OrgBranch},
		})
		wantErr(e, "batch with an unknown parent", err, biz.ErrOrgNotFound)
		if n := e.orgCount(); n != 0 {
			e.fatalf("Count = %d after failed creates, want 0", n)
		}
	}},
	{"Create refuses a taken code and stores none of the batch", func(e *env) {
		e.root("A")
		_, err := e.r.Orgs.Create(e.ctx, []biz.NewOrg{
			{Name: "x", Code: "X", Type: biz.OrgCommittee},
			{Name: "dup", Code: "A", Type: biz.OrgCommittee},
		})
		wantErr(e, "Create with a stored code", err, biz.ErrAlreadyExists)
		_, err = e.r.Orgs.Create(e.ctx, []biz.NewOrg{
			{Name: "y1", Code: "Y", Type: biz.OrgCommittee},
			{Name: "y2", Code: "Y", Type: biz.OrgCommittee},
		})
		wantErr(e, "Create with a code twice in the batch", err, biz.ErrAlreadyExists)
		if n := e.orgCount(); n != 1 {
			e.fatalf("Count = %d after refused batches, want 1", n)
		}
		byCode, err := e.r.Orgs.GetByCodes(e.ctx, []string{"X", "Y"})
		noErr(e, "GetByCodes", err)
		if len(byCode) != 0 {
			e.fatalf("refused batches left %v", byCode)
		}
	}},
	{"Get of an unknown id is ErrOrgNotFound", func(e *env) {
		_, err := e.r.Orgs.Get(e.ctx, notFound)
		wantErr(e, "Get", err, biz.ErrOrgNotFound)
	}},
	{"GetByCodes keys found orgs by code and leaves missing codes out", func(e *env) {
		r := e.root("R")
		g := e.child(r, "G", biz.OrgGeneralBranch)
		a := e.child(g, "A", biz.OrgBranch)
		got, err := e.r.Orgs.GetByCodes(e.ctx, []string{"A", "nope", "G", "A"})
		noErr(e, "GetByCodes", err)
		diff(e, "GetByCodes", map[string]*biz.Org{"A": a, "G": g}, got, orgOpts...)
		for _, codes := range [][]string{nil, {}, {""}, {"nope"}} {
			got, err := e.r.Orgs.GetByCodes(e.ctx, codes)
			noErr(e, "GetByCodes", err)
			if len(got) != 0 {
				e.fatalf("GetByCodes(%q) = %v, want none", codes, got)
			}
		}
	}},
	{"Update renames and recodes, leaving the rest", func(e *env) {
		r := e.root("R")
		g := e.child(r, "G", biz.OrgGeneralBranch)
		want := *g
		name, code := "新总支", "G2"
		got, err := e.r.Orgs.Update(e.ctx, g.ID, &name, nil)
		noErr(e, "Update name", err)
		want.Name = name
		diff(e, "Update name", &want, got, orgOpts...)
		got, err = e.r.Orgs.Update(e.ctx, g.ID, nil, &code)
		noErr(e, "Update code", err)
		want.Code = code
		diff(e, "Update code", &want, got, orgOpts...)
		got, err = e.r.Orgs.Update(e.ctx, g.ID, nil, nil)
		noErr(e, "Update nothing", err)
		diff(e, "Update nothing", &want, got, orgOpts...)
		got, err = e.r.Orgs.Update(e.ctx, g.ID, &name, &code) // its own code is no conflict
		noErr(e, "Update to the same values", err)
		diff(e, "Update to the same values", &want, got, orgOpts...)
		got, err = e.r.Orgs.Get(e.ctx, g.ID)
		noErr(e, "Get", err)
		diff(e, "Get after Update", &want, got, orgOpts...)
		byCode, err := e.r.Orgs.GetByCodes(e.ctx, []string{"G", "G2"})
		noErr(e, "GetByCodes", err)
		if len(byCode) != 1 || byCode["G2"] == nil {
			e.fatalf("GetByCodes after recode = %v, want G2 only", byCode)
		}
	}},
	{"Update refuses a taken code and unknown ids", func(e *env) {
		r := e.root("R")
		g := e.child(r, "G", biz.OrgGeneralBranch)
		taken := "R"
		_, err := e.r.Orgs.Update(e.ctx, g.ID, nil, &taken)
		wantErr(e, "Update to a taken code", err, biz.ErrAlreadyExists)
		got, err := e.r.Orgs.Get(e.ctx, g.ID)
		noErr(e, "Get", err)
		diff(e, "org after a refused update", g, got, orgOpts...)
		name := "x"
		_, err = e.r.Orgs.Update(e.ctx, notFound, &name, nil)
		wantErr(e, "Update of an unknown id", err, biz.ErrOrgNotFound)
	}},
	{"Delete removes the org; unknown ids are ErrOrgNotFound", func(e *env) {
		r := e.root("R")
		h := e.child(r, "H", biz.OrgBranch)
		noErr(e, "Delete", e.r.Orgs.Delete(e.ctx, h.ID))
		_, err := e.r.Orgs.Get(e.ctx, h.ID)
		wantErr(e, "Get after Delete", err, biz.ErrOrgNotFound)
		if n := e.orgCount(); n != 1 {
			e.fatalf("Count after Delete = %d, want 1", n)
		}
		wantErr(e, "Delete again", e.r.Orgs.Delete(e.ctx, h.ID), biz.ErrOrgNotFound)
		wantErr(e, "Delete of an unknown id", e.r.Orgs.Delete(e.ctx, notFound), biz.ErrOrgNotFound)
		if n, _ := e.r.Orgs.CountChildren(e.ctx, r.ID); n != 0 {
			e.fatalf("CountChildren after Delete = %d", n)
		}
		e.child(r, "H", biz.OrgBranch) // the code is free again
	}},
	{"CountChildren counts direct children; Count counts all", func(e *env) {
		if n := e.orgCount(); n != 0 {
			e.fatalf("Count of an empty store = %d", n)
		}
		r := e.root("R")
		g := e.child(r, "G", biz.OrgGeneralBranch)
		e.child(r, "B", biz.OrgBranch)
		a := e.child(g, "A", biz.OrgBranch)
		e.root("S")
		for _, c := range []struct {
			id   int64
			want int
		}{{r.ID, 2}, {g.ID, 1}, {a.ID, 0}, {notFound, 0}} {
			n, err := e.r.Orgs.CountChildren(e.ctx, c.id)
			noErr(e, "CountChildren", err)
			if n != c.want {
				e.fatalf("CountChildren(%d) = %d, want %d", c.id, n, c.want)
			}
		}
		if n := e.orgCount(); n != 5 {
			e.fatalf("Count = %d, want 5", n)
		}
	}},
	{"ListSubtree filters by path prefix, orders by path and totals the subtree", func(e *env) {
		short, long := e.prefixRoots()
		c := e.child(short, "C", biz.OrgGeneralBranch)
		gc := e.child(c, "GC", biz.OrgBranch)
		c2 := e.child(short, "C2", biz.OrgBranch)
		lc := e.child(long, "LC", biz.OrgBranch)
		all, total, err := e.r.Orgs.ListSubtree(e.ctx, "", "", 1000)
		noErr(e, "ListSubtree all", err)
		if n := e.orgCount(); total != n || len(all) != n {
			e.fatalf("all = %d orgs, total %d; want %d", len(all), total, n)
		}
		// Ordered by path byte by byte: "/1/13/" before "/12/", a parent before its subtree.
		for i := 1; i < len(all); i++ {
			if all[i-1].Path >= all[i].Path {
				e.fatalf("ListSubtree not ordered by path: %q before %q", all[i-1].Path, all[i].Path)
			}
		}
		paths := func(os []*biz.Org) []string {
			out := make([]string, len(os))
			for i, o := range os {
				out[i] = o.Path
			}
			return out
		}
		want := []string{short.Path, c.Path, gc.Path, c2.Path}
		sort.Strings(want)
		got, total, err := e.r.Orgs.ListSubtree(e.ctx, short.Path, "", 100)
		noErr(e, "ListSubtree", err)
		diff(e, "subtree of "+short.Path+" (not "+long.Path+")", want, paths(got))
		if total != 4 {
			e.fatalf("subtree total = %d, want 4", total)
		}
		diff(e, "subtree orgs", []*biz.Org{short, c, gc, c2}, got, append(orgOpts, cmpopts.SortSlices(func(a, b *biz.Org) bool { return a.Path < b.Path }))...)
		got, total, err = e.r.Orgs.ListSubtree(e.ctx, c.Path, "", 100)
		noErr(e, "ListSubtree", err)
		diff(e, "subtree of "+c.Path, []string{c.Path, gc.Path}, paths(got))
		if total != 2 {
			e.fatalf("subtree total = %d, want 2", total)
		}
		got, total, err = e.r.Orgs.ListSubtree(e.ctx, long.Path, "", 100)
		noErr(e, "ListSubtree", err)
		diff(e, "subtree of "+long.Path, []string{long.Path, lc.Path}, paths(got))
		if total != 2 {
			e.fatalf("subtree total = %d, want 2", total)
		}
		// Paging: after a path, at most limit; total is the whole subtree on every page.
		got, total, err = e.r.Orgs.ListSubtree(e.ctx, short.Path, short.Path, 100)
		noErr(e, "ListSubtree after", err)
		diff(e, "subtree after its root", want[1:], paths(got))
		if total != 4 {
			e.fatalf("total after a path = %d, want 4", total)
		}
		for _, limit := range []int{1, 2, 3} {
			var walked []string
			after := ""
			for page := 0; page < 100; page++ {
				got, total, err := e.r.Orgs.ListSubtree(e.ctx, "", after, limit)
				noErr(e, "ListSubtree page", err)
				if len(got) > limit || total != len(all) {
					e.fatalf("page of limit %d = %d orgs, total %d", limit, len(got), total)
				}
				if len(got) == 0 {
					break
				}
				walked = append(walked, paths(got)...)
				after = got[len(got)-1].Path
			}
			diff(e, fmt.Sprintf("pages of %d", limit), paths(all), walked)
		}
		got, total, err = e.r.Orgs.ListSubtree(e.ctx, "/"+strconv.FormatInt(notFound, 10)+"/", "", 100)
		noErr(e, "ListSubtree", err)
		if len(got) != 0 || total != 0 {
			e.fatalf("subtree of an unknown path = %d orgs, total %d", len(got), total)
		}
	}},
	{"ListSubtree of an empty store is empty", func(e *env) {
		got, total, err := e.r.Orgs.ListSubtree(e.ctx, "", "", 10)
		noErr(e, "ListSubtree", err)
		if len(got) != 0 || total != 0 {
			e.fatalf("empty store = %v, total %d", got, total)
		}
	}},
}

// ---- AccountRepo ----

// fullAccount has every field set.
func fullAccount(org *biz.Org) *biz.Account {
	return &biz.Account{
		Username: "alice", Phone: "13800000001", DisplayName: "王小明", PasswordHash: "hash-alice",
		MustChangePassword: true, Roles: []string{auth.RoleStaff, auth.RoleMember}, OrgID: org.ID, OrgPath: org.Path,
		Status: biz.StatusActive, NationalIDEnc: []byte{1, 2, 3}, NationalIDHash: "idhash-alice",
		Profile: biz.Profile{
			Gender: "female", BirthDate: "1990-01-02", Ethnicity: "汉族", Education: "本科",
			NationalIDMask: "1101**********001X", ApplicationDate: "2015-03-04", JoinedDate: "2016-05-06",
			FullMemberDate: "2017-05-06", Stage: biz.StageFullMember,
		},
	}
}

var accountCases = []testCase{
	{"GetMany returns the accounts found, keyed by id", func(e *env) {
		r := e.root("R")
		in := e.createAccounts(newAccount("ann", r), newAccount("bob", r), newAccount("cat", r))
		got, err := e.r.Accounts.GetMany(e.ctx, []int64{in[2].ID, notFound, in[0].ID, in[2].ID})
		noErr(e, "GetMany", err)
		diff(e, "GetMany", map[int64]*biz.Account{in[0].ID: in[0], in[2].ID: in[2]}, got, accountOpts...)
	}},
	{"Create and Get round-trip every field", func(e *env) {
		r := e.root("R")
		bob := newAccount("bob", r)
		bob.Status = biz.StatusDisabled
		in := []*biz.Account{fullAccount(r), bob}
		created := e.createAccounts(in...)
		if created[0].ID == 0 || created[1].ID == 0 || created[0].ID == created[1].ID {
			e.fatalf("ids = %d, %d", created[0].ID, created[1].ID)
		}
		for i, a := range created {
			want := *in[i]
			want.ID = a.ID
			diff(e, "Create("+want.Username+")", &want, a, accountOpts...)
			if a.CreatedAt.IsZero() || a.UpdatedAt.IsZero() || a.SessionVersion != 0 || a.SessionsRevokedAt != nil {
				e.fatalf("new account %s = %+v", a.Username, a)
			}
			diff(e, "Get("+want.Username+")", a, e.account(a.ID), accountOpts...)
		}
	}},
	{"Get of an unknown id is ErrAccountNotFound", func(e *env) {
		_, err := e.r.Accounts.Get(e.ctx, notFound)
		wantErr(e, "Get", err, biz.ErrAccountNotFound)
	}},
	{"Create refuses taken usernames, phones and national IDs", func(e *env) {
		r := e.root("R")
		e.createAccounts(fullAccount(r), newAccount("bob", r))
		withPhone := newAccount("carol", r)
		withPhone.Phone = "13800000001"
		withID := newAccount("dave", r)
		withID.NationalIDHash, withID.NationalIDEnc = "idhash-alice", []byte{9}
		for _, c := range []struct {
			name  string
			batch []*biz.Account
		}{
			{"a taken username", []*biz.Account{newAccount("alice", r)}},
			{"a taken phone", []*biz.Account{withPhone}},
			{"a taken national ID", []*biz.Account{withID}},
			{"a username twice in the batch", []*biz.Account{newAccount("erin", r), newAccount("erin", r)}},
			{"a new account beside a taken username", []*biz.Account{newAccount("frank", r), newAccount("bob", r)}},
		} {
			_, err := e.r.Accounts.Create(e.ctx, c.batch)
			wantErr(e, "Create with "+c.name, err, biz.ErrAlreadyExists)
		}
		if _, total := e.listAccounts(biz.AccountFilter{Limit: 100}); total != 2 {
			e.fatalf("refused batches stored accounts: total %d, want 2", total)
		}
		// No phone and no national ID conflict with nothing, however many.
		e.createAccounts(newAccount("grace", r), newAccount("heidi", r))
		// Usernames are unique as stored: a different case is a different username. (Imports
		// refuse case variants themselves, through Taken.)
		e.createAccounts(newAccount("Alice", r))
	}},
	{"GetByLogin finds by username or phone", func(e *env) {
		r := e.root("R")
		created := e.createAccounts(fullAccount(r), newAccount("bob", r))
		for _, c := range []struct {
			login string
			want  int64
		}{{"alice", created[0].ID}, {"13800000001", created[0].ID}, {"bob", created[1].ID}} {
			got, err := e.r.Accounts.GetByLogin(e.ctx, c.login)
			noErr(e, "GetByLogin("+c.login+")", err)
			diff(e, "GetByLogin("+c.login+")", e.account(c.want), got, accountOpts...)
		}
		for _, login := range []string{"nobody", "", "1380000000"} {
			_, err := e.r.Accounts.GetByLogin(e.ctx, login)
			wantErr(e, "GetByLogin("+login+")", err, biz.ErrAccountNotFound)
		}
	}},
	{"Update changes only the patched fields", func(e *env) {
		r := e.root("R")
		other := e.child(r, "O", biz.OrgBranch)
		created := e.createAccounts(fullAccount(r))[0]
		want := *created
		step := func(what string, p biz.AccountPatch, change func(a *biz.Account)) {
			e.t.Helper()
			got, err := e.r.Accounts.Update(e.ctx, created.ID, p)
			noErr(e, "Update "+what, err)
			change(&want)
			diff(e, "Update "+what, &want, got, accountOpts...)
			diff(e, "Get after Update "+what, &want, e.account(created.ID), accountOpts...)
		}
		str := func(s string) *string { return &s }
		step("nothing", biz.AccountPatch{}, func(*biz.Account) {})
		step("display name", biz.AccountPatch{DisplayName: str("王大明")}, func(a *biz.Account) { a.DisplayName = "王大明" })
		step("phone", biz.AccountPatch{Phone: str("13800000009")}, func(a *biz.Account) { a.Phone = "13800000009" })
		step("org", biz.AccountPatch{OrgID: &other.ID, OrgPath: &other.Path}, func(a *biz.Account) { a.OrgID, a.OrgPath = other.ID, other.Path })
		disabled := biz.StatusDisabled
		step("status", biz.AccountPatch{Status: &disabled}, func(a *biz.Account) { a.Status = disabled })
		step("roles", biz.AccountPatch{Roles: []string{auth.RoleAdmin}}, func(a *biz.Account) { a.Roles = []string{auth.RoleAdmin} })
		no := false
		step("password", biz.AccountPatch{PasswordHash: str("hash-2"), MustChangePassword: &no}, func(a *biz.Account) {
			a.PasswordHash, a.MustChangePassword = "hash-2", false
		})
		// Non-empty profile fields replace the stored ones; empty ones leave them.
		step("profile", biz.AccountPatch{Profile: &biz.Profile{Ethnicity: "回族", Stage: biz.StageProbationary, NationalIDMask: "3301**********1234"}}, func(a *biz.Account) {
			a.Profile.Ethnicity, a.Profile.Stage, a.Profile.NationalIDMask = "回族", biz.StageProbationary, "3301**********1234"
		})
		step("gender", biz.AccountPatch{Profile: &biz.Profile{Gender: "male", BirthDate: "1991-02-03"}}, func(a *biz.Account) {
			a.Profile.Gender, a.Profile.BirthDate = "male", "1991-02-03"
		})
		step("national ID", biz.AccountPatch{NationalIDHash: str("idhash-2"), NationalIDEnc: []byte{7, 7}}, func(a *biz.Account) {
			a.NationalIDHash, a.NationalIDEnc = "idhash-2", []byte{7, 7}
		})
		// An empty phone clears it: the old number no longer signs in and is free again.
		step("phone cleared", biz.AccountPatch{Phone: str("")}, func(a *biz.Account) { a.Phone = "" })
		_, err := e.r.Accounts.GetByLogin(e.ctx, "13800000009")
		wantErr(e, "GetByLogin(cleared phone)", err, biz.ErrAccountNotFound)
		bob := newAccount("bob", r)
		bob.Phone = "13800000009"
		e.createAccounts(bob)
	}},
	{"Update refuses taken phones and national IDs and unknown ids", func(e *env) {
		r := e.root("R")
		created := e.createAccounts(fullAccount(r), newAccount("bob", r))
		bob := created[1]
		phone, hash := "13800000001", "idhash-alice"
		_, err := e.r.Accounts.Update(e.ctx, bob.ID, biz.AccountPatch{Phone: &phone})
		wantErr(e, "Update to a taken phone", err, biz.ErrAlreadyExists)
		_, err = e.r.Accounts.Update(e.ctx, bob.ID, biz.AccountPatch{NationalIDHash: &hash, NationalIDEnc: []byte{1}})
		wantErr(e, "Update to a taken national ID", err, biz.ErrAlreadyExists)
		diff(e, "account after refused updates", bob, e.account(bob.ID), accountOpts...)
		name := "x"
		_, err = e.r.Accounts.Update(e.ctx, notFound, biz.AccountPatch{DisplayName: &name})
		wantErr(e, "Update of an unknown id", err, biz.ErrAccountNotFound)
	}},
	{"List filters by subtree, role and query, ordered by id, with totals and pages", func(e *env) {
		short, long := e.prefixRoots()
		sub := e.child(short, "C", biz.OrgBranch)
		alice := newAccount("alice", short, auth.RoleStaff)
		alice.DisplayName, alice.Phone = "王小明", "13800000001"
		bobx := newAccount("bob_x", sub)
		bobx.DisplayName, bobx.Phone = "李四", "13900000002"
		carol := newAccount("carol", long, auth.RoleTrainer, auth.RoleMember)
		carol.DisplayName = "张三"
		upper := newAccount("BoB", short)
		bobyx := newAccount("bobyx", sub, auth.RoleStaff, auth.RoleMember)
		pct := newAccount("pct", long)
		pct.DisplayName = "100%达标"
		e.createAccounts(alice, bobx, carol, upper, bobyx, pct)
		all := []string{"alice", "bob_x", "carol", "BoB", "bobyx", "pct"}
		for _, c := range []struct {
			name string
			f    biz.AccountFilter
			want []string
		}{
			{"everyone", biz.AccountFilter{}, all},
			{"subtree (not the sibling with a longer id)", biz.AccountFilter{PathPrefix: short.Path}, []string{"alice", "bob_x", "BoB", "bobyx"}},
			{"deeper subtree", biz.AccountFilter{PathPrefix: sub.Path}, []string{"bob_x", "bobyx"}},
			{"other subtree", biz.AccountFilter{PathPrefix: long.Path}, []string{"carol", "pct"}},
			{"role member", biz.AccountFilter{Role: auth.RoleMember}, []string{"bob_x", "carol", "BoB", "bobyx", "pct"}},
			{"role trainer", biz.AccountFilter{Role: auth.RoleTrainer}, []string{"carol"}},
			{"role admin", biz.AccountFilter{Role: auth.RoleAdmin}, nil},
			{"query in usernames, any case", biz.AccountFilter{Query: "bob"}, []string{"bob_x", "BoB", "bobyx"}},
			{"query upper case", biz.AccountFilter{Query: "ALI"}, []string{"alice"}},
			{"query in display names", biz.AccountFilter{Query: "李"}, []string{"bob_x"}},
			{"query in phones", biz.AccountFilter{Query: "800000"}, []string{"alice"}},
			{"query _ is literal", biz.AccountFilter{Query: "b_x"}, []string{"bob_x"}},
			{"query % is literal", biz.AccountFilter{Query: "%"}, []string{"pct"}},
			{"query without matches", biz.AccountFilter{Query: "nobody"}, nil},
			{"all filters", biz.AccountFilter{PathPrefix: sub.Path, Role: auth.RoleStaff, Query: "BOB"}, []string{"bobyx"}},
		} {
			c.f.Limit = 100
			got, total := e.listAccounts(c.f)
			diff(e, "List "+c.name, c.want, got, cmpopts.EquateEmpty())
			if total != len(c.want) {
				e.fatalf("List %s: total = %d, want %d", c.name, total, len(c.want))
			}
		}
		// Pages: after an id, at most limit, the total counting every match on every page.
		full, _, err := e.r.Accounts.List(e.ctx, biz.AccountFilter{Limit: 100})
		noErr(e, "List", err)
		for i := 1; i < len(full); i++ {
			if full[i-1].ID >= full[i].ID {
				e.fatalf("List not ordered by id: %d before %d", full[i-1].ID, full[i].ID)
			}
		}
		for _, limit := range []int{1, 2, 4} {
			var walked []string
			var after int64
			for page := 0; page < 100; page++ {
				got, total, err := e.r.Accounts.List(e.ctx, biz.AccountFilter{AfterID: after, Limit: limit})
				noErr(e, "List page", err)
				if len(got) > limit || total != len(all) {
					e.fatalf("page of %d = %d accounts, total %d", limit, len(got), total)
				}
				if len(got) == 0 {
					break
				}
				walked = append(walked, usernames(got)...)
				after = got[len(got)-1].ID
			}
			diff(e, fmt.Sprintf("pages of %d", limit), all, walked)
		}
		got, total := e.listAccounts(biz.AccountFilter{Role: auth.RoleMember, AfterID: full[len(full)-1].ID, Limit: 10})
		if len(got) != 0 || total != 5 {
			e.fatalf("after the last id = %v, total %d; want none of 5", got, total)
		}
	}},
	{"CountInOrg counts the org's own accounts", func(e *env) {
		r := e.root("R")
		c := e.child(r, "C", biz.OrgBranch)
		created := e.createAccounts(newAccount("a", r), newAccount("b", r), newAccount("c", c))
		count := func(id int64) int {
			n, err := e.r.Accounts.CountInOrg(e.ctx, id)
			noErr(e, "CountInOrg", err)
			return n
		}
		if count(r.ID) != 2 || count(c.ID) != 1 || count(notFound) != 0 {
			e.fatalf("CountInOrg = %d, %d, %d; want 2, 1, 0", count(r.ID), count(c.ID), count(notFound))
		}
		_, err := e.r.Accounts.Update(e.ctx, created[0].ID, biz.AccountPatch{OrgID: &c.ID, OrgPath: &c.Path})
		noErr(e, "Update org", err)
		if count(r.ID) != 1 || count(c.ID) != 2 {
			e.fatalf("after a move CountInOrg = %d, %d; want 1, 2", count(r.ID), count(c.ID))
		}
	}},
	{"Taken reports usernames in any case, phones and national IDs in use", func(e *env) {
		r := e.root("R")
		mixed := fullAccount(r)
		mixed.Username = "Alice"
		e.createAccounts(mixed, newAccount("bob", r))
		taken := func(us, ps, hs []string) map[string]bool {
			got, err := e.r.Accounts.Taken(e.ctx, us, ps, hs)
			noErr(e, "Taken", err)
			return got
		}
		got := taken([]string{"alice", "BOB", "carol"}, []string{"13800000001", "13900000000"}, []string{"idhash-alice", "idhash-2"})
		diff(e, "Taken", map[string]bool{"u:alice": true, "u:bob": true, "p:13800000001": true, "n:idhash-alice": true}, got)
		diff(e, "Taken(stored case)", map[string]bool{"u:alice": true}, taken([]string{"Alice"}, nil, nil))
		diff(e, "Taken(upper case)", map[string]bool{"u:alice": true}, taken([]string{"ALICE"}, nil, nil))
		for _, in := range [][]string{nil, {""}} {
			if got := taken(in, in, in); len(got) != 0 {
				e.fatalf("Taken(%q) = %v, want none", in, got)
			}
		}
	}},
	{"AnyAdmin reports whether an account holds the admin role", func(e *env) {
		hasAdmin := func() bool {
			ok, err := e.r.Accounts.AnyAdmin(e.ctx)
			noErr(e, "AnyAdmin", err)
			return ok
		}
		if hasAdmin() {
			e.fatalf("AnyAdmin of an empty store = true")
		}
		r := e.root("R")
		created := e.createAccounts(newAccount("staff", r, auth.RoleStaff, auth.RoleMember), newAccount("trainer", r, auth.RoleTrainer))
		if hasAdmin() {
			e.fatalf("AnyAdmin without admins = true")
		}
		_, err := e.r.Accounts.Update(e.ctx, created[1].ID, biz.AccountPatch{Roles: []string{auth.RoleAdmin, auth.RoleTrainer}})
		noErr(e, "Update roles", err)
		if !hasAdmin() {
			e.fatalf("AnyAdmin after granting admin = false")
		}
		_, err = e.r.Accounts.Update(e.ctx, created[1].ID, biz.AccountPatch{Roles: []string{auth.RoleTrainer}})
		noErr(e, "Update roles", err)
		if hasAdmin() {
			e.fatalf("AnyAdmin after revoking admin = true")
		}
	}},
}

// ---- TokenRepo ----

// accounts creates a root org and one member account per username, returning their ids.
func (e *env) accounts(names ...string) []int64 {
	e.t.Helper()
	r := e.root("R")
	in := make([]*biz.Account, len(names))
	for i, n := range names {
		in[i] = newAccount(n, r)
	}
	out := e.createAccounts(in...)
	ids := make([]int64, len(out))
	for i, a := range out {
		ids[i] = a.ID
	}
	return ids
}

var tokenCases = []testCase{
	{"Create and GetForUpdate round-trip; unknown hashes are ErrRefreshTokenNotFound", func(e *env) {
		ids := e.accounts("alice")
		in := &biz.RefreshToken{Hash: "t1", Family: "f1", AccountID: ids[0], ExpiresAt: t0.Add(7 * 24 * time.Hour)}
		noErr(e, "Create", e.r.Tokens.Create(e.ctx, in))
		var got *biz.RefreshToken
		noErr(e, "InTx", e.r.Tx.InTx(e.ctx, func(ctx context.Context) error {
			var err error
			got, err = e.r.Tokens.GetForUpdate(ctx, "t1")
			return err
		}))
		if got.ID == 0 {
			e.fatalf("token without id: %+v", got)
		}
		want := *in
		want.ID = got.ID
		diff(e, "GetForUpdate", &want, got, eqTime)
		_, err := e.r.Tokens.GetForUpdate(e.ctx, "missing")
		wantErr(e, "GetForUpdate(missing)", err, biz.ErrRefreshTokenNotFound)
		err = e.r.Tokens.Create(e.ctx, &biz.RefreshToken{Hash: "t1", Family: "f2", AccountID: ids[0], ExpiresAt: t0})
		wantErr(e, "Create with a taken hash", err, biz.ErrAlreadyExists)
	}},
	{"MarkUsed marks an unused token once", func(e *env) {
		ids := e.accounts("alice")
		e.createToken("t1", "f1", ids[0])
		tok := e.token("t1")
		first, err1 := e.r.Tokens.MarkUsed(e.ctx, tok.ID, t0)
		second, err2 := e.r.Tokens.MarkUsed(e.ctx, tok.ID, t0.Add(time.Minute))
		if err1 != nil || err2 != nil || !first || second {
			e.fatalf("MarkUsed = %v, %v (errs %v, %v); want true then false", first, second, err1, err2)
		}
		if at := e.token("t1").UsedAt; at == nil || !at.Equal(t0) {
			e.fatalf("UsedAt = %v, want the first use %v", at, t0)
		}
		ok, err := e.r.Tokens.MarkUsed(e.ctx, notFound, t0)
		if err != nil || ok {
			e.fatalf("MarkUsed(unknown id) = %v, %v; want false, nil", ok, err)
		}
		// A revoked token is not marked either (biz treats both as replay).
		e.createToken("t2", "f2", ids[0])
		noErr(e, "RevokeFamily", e.r.Tokens.RevokeFamily(e.ctx, "f2", t0))
		ok, err = e.r.Tokens.MarkUsed(e.ctx, e.token("t2").ID, t0)
		if err != nil || ok {
			e.fatalf("MarkUsed(revoked) = %v, %v; want false, nil", ok, err)
		}
		if at := e.token("t2").UsedAt; at != nil {
			e.fatalf("revoked token marked used at %v", at)
		}
	}},
	{"MarkUsed racing itself succeeds exactly once", func(e *env) {
		ids := e.accounts("alice")
		e.createToken("t1", "f1", ids[0])
		id := e.token("t1").ID
		const n = 8
		oks := make([]bool, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { oks[i], errs[i] = e.r.Tokens.MarkUsed(e.ctx, id, t0) })
		}
		wg.Wait()
		won := 0
		for i := range n {
			noErr(e, "racing MarkUsed", errs[i])
			if oks[i] {
				won++
			}
		}
		if won != 1 {
			e.fatalf("%d racing MarkUsed calls succeeded, want 1", won)
		}
	}},
	{"GetForUpdate locks the token until the transaction ends", func(e *env) {
		// Refresh reads the token with GetForUpdate and marks it used in one transaction; a
		// second transaction reading the same token must wait and see the first one's use.
		ids := e.accounts("alice")
		e.createToken("t1", "f1", ids[0])
		locked := make(chan struct{})
		first := make(chan error, 1)
		go func() {
			first <- e.r.Tx.InTx(e.ctx, func(ctx context.Context) error {
				tok, err := e.r.Tokens.GetForUpdate(ctx, "t1")
				if err != nil {
					return err
				}
				close(locked)
				time.Sleep(300 * time.Millisecond)
				_, err = e.r.Tokens.MarkUsed(ctx, tok.ID, t0)
				return err
			})
		}()
		select {
		case <-locked:
		case err := <-first:
			e.fatalf("first transaction: %v", err)
		}
		var seen *biz.RefreshToken
		err := e.r.Tx.InTx(e.ctx, func(ctx context.Context) error {
			var err error
			seen, err = e.r.Tokens.GetForUpdate(ctx, "t1")
			return err
		})
		noErr(e, "second transaction", err)
		noErr(e, "first transaction", <-first)
		if seen.UsedAt == nil {
			e.fatalf("the second GetForUpdate read the token before the first transaction ended")
		}
	}},
	{"RevokeFamily revokes the family's unrevoked tokens only", func(e *env) {
		ids := e.accounts("alice", "bob")
		e.createToken("old", "f", ids[0])
		noErr(e, "RevokeFamily", e.r.Tokens.RevokeFamily(e.ctx, "f", t0.Add(-time.Hour)))
		e.createToken("a1", "f", ids[0])
		e.createToken("a2", "f", ids[0])
		e.createToken("b1", "g", ids[1])
		if ok, err := e.r.Tokens.MarkUsed(e.ctx, e.token("a2").ID, t0.Add(-time.Minute)); !ok || err != nil {
			e.fatalf("MarkUsed = %v, %v", ok, err)
		}
		noErr(e, "RevokeFamily", e.r.Tokens.RevokeFamily(e.ctx, "f", t0))
		for _, c := range []struct {
			hash string
			want time.Time
		}{{"old", t0.Add(-time.Hour)}, {"a1", t0}, {"a2", t0}, {"b1", time.Time{}}} {
			if got := e.revokedAt(c.hash); !got.Equal(c.want) {
				e.fatalf("%s revoked at %v, want %v", c.hash, got, c.want)
			}
		}
		noErr(e, "RevokeFamily(unknown)", e.r.Tokens.RevokeFamily(e.ctx, "nope", t0))
	}},
	{"RevokeAccount revokes the account's tokens and raises its session version", func(e *env) {
		ids := e.accounts("alice", "bob")
		e.createToken("old", "f0", ids[0])
		noErr(e, "RevokeFamily", e.r.Tokens.RevokeFamily(e.ctx, "f0", t0.Add(-2*time.Hour)))
		e.createToken("ta", "f1", ids[0])
		e.createToken("tb", "f2", ids[1])
		before := e.account(ids[0])
		first, err := e.r.Tokens.RevokeAccount(e.ctx, ids[0], t0)
		noErr(e, "RevokeAccount", err)
		diff(e, "first revocation", auth.Revocation{UserID: ids[0], Version: 1, At: t0}, first, eqTime)
		for _, c := range []struct {
			hash string
			want time.Time
		}{{"old", t0.Add(-2 * time.Hour)}, {"ta", t0}, {"tb", time.Time{}}} {
			if got := e.revokedAt(c.hash); !got.Equal(c.want) {
				e.fatalf("%s revoked at %v, want %v", c.hash, got, c.want)
			}
		}
		second, err := e.r.Tokens.RevokeAccount(e.ctx, ids[0], t0.Add(time.Minute))
		noErr(e, "RevokeAccount", err)
		diff(e, "second revocation", auth.Revocation{UserID: ids[0], Version: 2, At: t0.Add(time.Minute)}, second, eqTime)
		// The account carries the version (and so does the next access token); nothing else moves.
		want := *before
		want.SessionVersion = 2
		at := t0.Add(time.Minute)
		want.SessionsRevokedAt = &at
		a := e.account(ids[0])
		diff(e, "account after RevokeAccount", &want, a, accountOpts...)
		if a.Principal().SessionVersion != 2 {
			e.fatalf("principal session version = %d, want 2", a.Principal().SessionVersion)
		}
		if b := e.account(ids[1]); b.SessionVersion != 0 || b.SessionsRevokedAt != nil {
			e.fatalf("other account = %+v", b)
		}
		_, err = e.r.Tokens.RevokeAccount(e.ctx, notFound, t0)
		wantErr(e, "RevokeAccount(unknown)", err, biz.ErrAccountNotFound)
	}},
	{"RevocationsSince lists each account's latest revocation at or after t", func(e *env) {
		ids := e.accounts("a", "b", "c")
		for _, r := range []struct {
			id int64
			at time.Time
		}{{ids[0], t0}, {ids[0], t0.Add(time.Minute)}, {ids[1], t0.Add(-time.Hour)}} {
			_, err := e.r.Tokens.RevokeAccount(e.ctx, r.id, r.at)
			noErr(e, "RevokeAccount", err)
		}
		since := func(t time.Time) []auth.Revocation {
			got, err := e.r.Tokens.RevocationsSince(e.ctx, t)
			noErr(e, "RevocationsSince", err)
			sort.Slice(got, func(i, j int) bool { return got[i].UserID < got[j].UserID })
			return got
		}
		latestA := auth.Revocation{UserID: ids[0], Version: 2, At: t0.Add(time.Minute)}
		diff(e, "since t0-1m", []auth.Revocation{latestA}, since(t0.Add(-time.Minute)), eqTime)
		diff(e, "since exactly the latest", []auth.Revocation{latestA}, since(t0.Add(time.Minute)), eqTime)
		diff(e, "since t0-2h", []auth.Revocation{latestA, {UserID: ids[1], Version: 1, At: t0.Add(-time.Hour)}}, since(t0.Add(-2*time.Hour)), eqTime)
		diff(e, "since after the latest", []auth.Revocation(nil), since(t0.Add(2*time.Minute)), eqTime, cmpopts.EquateEmpty())
	}},
}

// ---- LoginFailureRepo ----

var failureCases = []testCase{
	{"Since counts failures at or after t and returns the earliest", func(e *env) {
		if n, oldest := e.since("alice", time.Time{}); n != 0 || !oldest.IsZero() {
			e.fatalf("Since without failures = %d, %v", n, oldest)
		}
		for _, at := range []time.Time{t0, t0.Add(time.Minute), t0.Add(2 * time.Minute), t0.Add(-time.Minute)} {
			noErr(e, "Add", e.r.Failures.Add(e.ctx, "alice", at))
		}
		noErr(e, "Add", e.r.Failures.Add(e.ctx, "bob", t0.Add(time.Minute)))
		for _, c := range []struct {
			user   string
			t      time.Time
			n      int
			oldest time.Time
		}{
			{"alice", t0.Add(30 * time.Second), 2, t0.Add(time.Minute)},
			{"alice", t0.Add(time.Minute), 2, t0.Add(time.Minute)},
			{"alice", t0, 3, t0},
			{"alice", time.Time{}, 4, t0.Add(-time.Minute)},
			{"alice", t0.Add(3 * time.Minute), 0, time.Time{}},
			{"bob", time.Time{}, 1, t0.Add(time.Minute)},
			{"carol", time.Time{}, 0, time.Time{}},
		} {
			n, oldest := e.since(c.user, c.t)
			if n != c.n || !oldest.Equal(c.oldest) {
				e.fatalf("Since(%s, %v) = %d, %v; want %d, %v", c.user, c.t, n, oldest, c.n, c.oldest)
			}
		}
	}},
	{"Clear removes only that username's failures", func(e *env) {
		for _, u := range []string{"alice", "alice", "bob"} {
			noErr(e, "Add", e.r.Failures.Add(e.ctx, u, t0))
		}
		noErr(e, "Clear", e.r.Failures.Clear(e.ctx, "alice"))
		if n, _ := e.since("alice", time.Time{}); n != 0 {
			e.fatalf("alice after Clear = %d", n)
		}
		if n, _ := e.since("bob", time.Time{}); n != 1 {
			e.fatalf("bob after clearing alice = %d, want 1", n)
		}
		noErr(e, "Clear(unknown)", e.r.Failures.Clear(e.ctx, "nobody"))
	}},
	{"failures are recorded under the first MaxUsername characters", func(e *env) {
		// biz.MaxUsername: "also what a failed sign-in is recorded under".
		long := strings.Repeat("党", biz.MaxUsername+6)
		prefix := strings.Repeat("党", biz.MaxUsername)
		noErr(e, "Add", e.r.Failures.Add(e.ctx, long, t0))
		noErr(e, "Add", e.r.Failures.Add(e.ctx, prefix+"x", t0))
		for _, u := range []string{long, prefix} {
			if n, _ := e.since(u, time.Time{}); n != 2 {
				e.fatalf("Since(%d characters) = %d, want 2", len([]rune(u)), n)
			}
		}
		noErr(e, "Clear", e.r.Failures.Clear(e.ctx, long))
		if n, _ := e.since(prefix, time.Time{}); n != 0 {
			e.fatalf("after Clear = %d, want 0", n)
		}
	}},
}

// ---- AuditRepo ----

func ownEntry(i int, actor int64, action, path string) *biz.AuditRecord {
	return &biz.AuditRecord{
		ActorID: actor, ActorName: fmt.Sprintf("user%d", actor), ActorOrgPath: "/1/", Action: action,
		TargetType: "org", TargetID: int64(i), OrgPath: path, Summary: fmt.Sprintf("第%d条", i),
		Before: `{"n":1}`, After: fmt.Sprintf(`{"n":%d}`, i), CreatedAt: t0.Add(time.Duration(i) * time.Second),
		Service: biz.AuditServiceOrg,
	}
}

func appended(key string) *biz.AuditRecord {
	return &biz.AuditRecord{
		ActorID: 7, ActorName: "trainer", ActorOrgPath: "/1/2/", Action: "exam.regrade", TargetType: "exam",
		TargetID: 3, OrgPath: "/1/2/", Summary: "重新评分", After: `{"changed":2}`, CreatedAt: t0,
		Service: "quiz", Key: key,
	}
}

func keyCount(recs []*biz.AuditRecord) map[string]int {
	out := map[string]int{}
	for _, r := range recs {
		out[r.Key]++
	}
	return out
}

var auditCases = []testCase{
	{"Add stores entries; List returns them newest first", func(e *env) {
		in := []*biz.AuditRecord{ownEntry(1, 1, "org.create", "/1/"), ownEntry(2, 2, "org.update", "/1/2/"), ownEntry(3, 1, "account.create", "/1/")}
		in[1].Before, in[1].After = "", "" // no summaries
		for _, r := range in {
			noErr(e, "Add", e.r.Audit.Add(e.ctx, r))
		}
		got := e.listAudit(biz.AuditFilter{Limit: 10})
		if len(got) != 3 {
			e.fatalf("List = %d entries, want 3", len(got))
		}
		for i, g := range got {
			want := *in[len(in)-1-i]
			want.ID = g.ID
			diff(e, "entry", &want, g, eqTime)
			if g.ID == 0 || (i > 0 && g.ID >= got[i-1].ID) {
				e.fatalf("List not newest first by id: %d after %d", g.ID, got[max(i-1, 0)].ID)
			}
		}
		// An entry without a service is org's own.
		noService := ownEntry(4, 1, "org.delete", "/1/")
		noService.Service = ""
		noErr(e, "Add", e.r.Audit.Add(e.ctx, noService))
		if got := e.listAudit(biz.AuditFilter{Limit: 1}); got[0].Service != biz.AuditServiceOrg || got[0].Key != "" {
			e.fatalf("entry without a service = %+v, want service %q", got[0], biz.AuditServiceOrg)
		}
	}},
	{"List filters by subtree, actor and action and pages before an id", func(e *env) {
		paths := []string{"/1/", "/1/2/", "/10/", "/1/2/3/", "/1/", "/10/1/"}
		for i, p := range paths {
			actor := int64(1 + i%2)
			action := "org.update"
			if i%3 == 0 {
				action = "account.create"
			}
			noErr(e, "Add", e.r.Audit.Add(e.ctx, ownEntry(i, actor, action, p)))
		}
		targets := func(recs []*biz.AuditRecord) []int64 {
			out := make([]int64, len(recs))
			for i, r := range recs {
				out[i] = r.TargetID
			}
			return out
		}
		for _, c := range []struct {
			name string
			f    biz.AuditFilter
			want []int64
		}{
			{"everything", biz.AuditFilter{}, []int64{5, 4, 3, 2, 1, 0}},
			{"subtree (not the sibling with a longer id)", biz.AuditFilter{PathPrefix: "/1/"}, []int64{4, 3, 1, 0}},
			{"deeper subtree", biz.AuditFilter{PathPrefix: "/1/2/"}, []int64{3, 1}},
			{"actor", biz.AuditFilter{ActorID: 2}, []int64{5, 3, 1}},
			{"action", biz.AuditFilter{Action: "account.create"}, []int64{3, 0}},
			{"all filters", biz.AuditFilter{PathPrefix: "/1/", ActorID: 2, Action: "account.create"}, []int64{3}},
			{"unknown action", biz.AuditFilter{Action: "nope"}, nil},
		} {
			c.f.Limit = 100
			diff(e, "List "+c.name, c.want, targets(e.listAudit(c.f)), cmpopts.EquateEmpty())
		}
		all := e.listAudit(biz.AuditFilter{Limit: 100})
		for _, limit := range []int{1, 2, 4} {
			var walked []int64
			var before int64
			for page := 0; page < 100; page++ {
				got := e.listAudit(biz.AuditFilter{BeforeID: before, Limit: limit})
				if len(got) > limit {
					e.fatalf("page of %d = %d entries", limit, len(got))
				}
				if len(got) == 0 {
					break
				}
				walked = append(walked, targets(got)...)
				before = got[len(got)-1].ID
			}
			diff(e, fmt.Sprintf("pages of %d", limit), targets(all), walked)
		}
	}},
	{"AddOnce stores each key once and counts the new ones", func(e *env) {
		for i := 0; i < 2; i++ { // org's own entries have no key and never collide
			noErr(e, "Add", e.r.Audit.Add(e.ctx, ownEntry(i, 1, "org.create", "/1/")))
		}
		for _, c := range []struct {
			keys []string
			want int
		}{
			{[]string{"quiz:regrade:1", "quiz:regrade:2"}, 2},
			{[]string{"quiz:regrade:2", "quiz:regrade:3"}, 1},
			{[]string{"quiz:regrade:1"}, 0},
			{[]string{"quiz:regrade:4", "quiz:regrade:4"}, 1},
			{nil, 0},
		} {
			rs := make([]*biz.AuditRecord, len(c.keys))
			for i, k := range c.keys {
				rs[i] = appended(k)
			}
			n, err := e.r.Audit.AddOnce(e.ctx, rs)
			noErr(e, "AddOnce", err)
			if n != c.want {
				e.fatalf("AddOnce(%v) = %d, want %d", c.keys, n, c.want)
			}
		}
		got := e.listAudit(biz.AuditFilter{Limit: 100})
		diff(e, "stored keys", map[string]int{"": 2, "quiz:regrade:1": 1, "quiz:regrade:2": 1, "quiz:regrade:3": 1, "quiz:regrade:4": 1}, keyCount(got))
		first := got[len(got)-3] // the oldest appended entry
		want := appended("quiz:regrade:1")
		want.ID = first.ID
		diff(e, "stored entry", want, first, eqTime)
	}},
	{"AddOnce refuses a record without a key and stores nothing", func(e *env) {
		keyless := appended("")
		_, err := e.r.Audit.AddOnce(e.ctx, []*biz.AuditRecord{appended("quiz:regrade:1"), keyless})
		if err == nil {
			e.fatalf("AddOnce with a keyless record succeeded")
		}
		if got := e.listAudit(biz.AuditFilter{Limit: 10}); len(got) != 0 {
			e.fatalf("refused AddOnce stored %d entries", len(got))
		}
	}},
	{"AddOnce racing itself stores each key once and fails none", func(e *env) {
		const n = 4
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				_, errs[i] = e.r.Audit.AddOnce(e.ctx, []*biz.AuditRecord{appended("quiz:regrade:9"), appended("quiz:regrade:10")})
			})
		}
		wg.Wait()
		for i, err := range errs {
			noErr(e, fmt.Sprintf("racing AddOnce %d", i), err)
		}
		diff(e, "stored keys", map[string]int{"quiz:regrade:9": 1, "quiz:regrade:10": 1}, keyCount(e.listAudit(biz.AuditFilter{Limit: 100})))
	}},
}
