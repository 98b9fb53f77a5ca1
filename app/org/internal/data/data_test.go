package data

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vanguard/vanguard/app/org/internal/biz"
	"github.com/vanguard/vanguard/pkg/testdb"
)

func open(t testing.TB, driver, dsn string) *Data {
	t.Helper()
	d, err := Open(driver, dsn)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { d.Close() })
	if err := d.Migrate(context.Background()); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return d
}

func TestOrgTreePaths(t *testing.T) {
	testdb.Each(t, func(t *testing.T, driver, dsn string) {
		ctx := context.Background()
		d := open(t, driver, dsn)
		repo := NewOrgRepo(d)
		roots, err := repo.Create(ctx, []biz.NewOrg{{Name: "党委", Code: "R", Type: biz.OrgCommittee}})
		if err != nil {
			t.Fatal(err)
		}
		root := roots[0]
		if want := fmt.Sprintf("/%d/", root.ID); root.Path != want || root.Depth != 0 {
			t.Fatalf("root path = %q depth %d, want %q depth 0", root.Path, root.Depth, want)
		}
		kids, err := repo.Create(ctx, []biz.NewOrg{
			{ParentID: root.ID, Name: "总支", Code: "G", Type: biz.OrgGeneralBranch},
			{ParentID: root.ID, Name: "支部B", Code: "B", Type: biz.OrgBranch},
		})
		if err != nil {
			t.Fatal(err)
		}
		g := kids[0]
		if want := fmt.Sprintf("/%d/%d/", root.ID, g.ID); g.Path != want || g.Depth != 1 || g.ParentID != root.ID {
			t.Fatalf("child = %+v, want path %q", g, want)
		}
		grand, err := repo.Create(ctx, []biz.NewOrg{{ParentID: g.ID, Name: "支部A", Code: "A", Type: biz.OrgBranch}})
		if err != nil {
			t.Fatal(err)
		}
		// Subtree of G holds G and A only, ordered by path.
		list, total, err := repo.ListSubtree(ctx, g.Path, "", 10)
		if err != nil {
			t.Fatal(err)
		}
		var codes []string
		for _, o := range list {
			codes = append(codes, o.Code)
		}
		if diff := cmp.Diff([]string{"G", "A"}, codes); diff != "" || total != 2 {
			t.Fatalf("subtree (-want +got):\n%s total=%d", diff, total)
		}
		// A sibling whose id shares G's digits must not match G's prefix: "/1/2/" vs "/1/20/".
		all, total, err := repo.ListSubtree(ctx, "", "", 10)
		if err != nil || total != 4 || len(all) != 4 {
			t.Fatalf("all = %d total %d err %v", len(all), total, err)
		}
		// Paging after a path continues in order.
		page2, _, err := repo.ListSubtree(ctx, "", all[1].Path, 10)
		if err != nil || len(page2) != 2 || page2[0].ID != all[2].ID {
			t.Fatalf("page2 = %+v err %v", page2, err)
		}
		if _, err := repo.Create(ctx, []biz.NewOrg{{ParentID: root.ID, Name: "dup", Code: "A", Type: biz.OrgBranch}}); !errors.Is(err, biz.ErrAlreadyExists) {
			t.Fatalf("duplicate code err = %v, want ErrAlreadyExists", err)
		}
		if _, err := repo.Get(ctx, 99999); !errors.Is(err, biz.ErrOrgNotFound) {
			t.Fatalf("missing org err = %v", err)
		}
		byCode, err := repo.GetByCodes(ctx, []string{"A", "nope", "G"})
		if err != nil || len(byCode) != 2 || byCode["A"].ID != grand[0].ID {
			t.Fatalf("GetByCodes = %v err %v", byCode, err)
		}
		n, err := repo.CountChildren(ctx, root.ID)
		if err != nil || n != 2 {
			t.Fatalf("children = %d err %v", n, err)
		}
	})
}

func TestPrefixDoesNotMatchSiblingWithLongerID(t *testing.T) {
	testdb.Each(t, func(t *testing.T, driver, dsn string) {
		ctx := context.Background()
		d := open(t, driver, dsn)
		repo := NewOrgRepo(d)
		var parent *biz.Org
		// Create 12 roots so ids 1 and 10..12 exist: "/1/" must not match "/10/".
		for i := 1; i <= 12; i++ {
			out, err := repo.Create(ctx, []biz.NewOrg{{Name: "r", Code: fmt.Sprintf("R%d", i), Type: biz.OrgCommittee}})
			if err != nil {
				t.Fatal(err)
			}
			if i == 1 {
				parent = out[0]
			}
		}
		_, total, err := repo.ListSubtree(ctx, parent.Path, "", 100)
		if err != nil || total != 1 {
			t.Fatalf("subtree of %s total = %d (err %v), want 1", parent.Path, total, err)
		}
	})
}

func TestAccountsTokensFailuresAudit(t *testing.T) {
	testdb.Each(t, func(t *testing.T, driver, dsn string) {
		ctx := context.Background()
		d := open(t, driver, dsn)
		orgs, accounts, tokens, failures, audit := NewOrgRepo(d), NewAccountRepo(d), NewTokenRepo(d), NewLoginFailureRepo(d), NewAuditRepo(d)
		o, err := orgs.Create(ctx, []biz.NewOrg{{Name: "x", Code: "X", Type: biz.OrgCommittee}})
		if err != nil {
			t.Fatal(err)
		}
		org := o[0]
		in := []*biz.Account{
			{Username: "alice", DisplayName: "A", PasswordHash: "h", Roles: []string{"member"}, OrgID: org.ID, OrgPath: org.Path, Status: biz.StatusActive, Phone: "13800000001", NationalIDHash: "hash1", NationalIDEnc: []byte{1, 2}, Profile: biz.Profile{Stage: biz.StageActivist, NationalIDMask: "1101**********001X"}},
			{Username: "bob", DisplayName: "B", PasswordHash: "h", Roles: []string{"staff", "member"}, OrgID: org.ID, OrgPath: org.Path, Status: biz.StatusActive, Profile: biz.Profile{Stage: biz.StageNone}},
		}
		created, err := accounts.Create(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		got, err := accounts.GetByLogin(ctx, "13800000001")
		if err != nil || got.ID != created[0].ID || got.Profile.Stage != biz.StageActivist || string(got.NationalIDEnc) != "\x01\x02" {
			t.Fatalf("by phone = %+v err %v", got, err)
		}
		if _, err := accounts.GetByLogin(ctx, "nobody"); !errors.Is(err, biz.ErrAccountNotFound) {
			t.Fatalf("unknown login err = %v", err)
		}
		if _, err := accounts.Create(ctx, []*biz.Account{{Username: "alice", DisplayName: "dup", PasswordHash: "h", Roles: []string{"member"}, OrgID: org.ID, OrgPath: org.Path, Status: biz.StatusActive, Profile: biz.Profile{Stage: biz.StageNone}}}); !errors.Is(err, biz.ErrAlreadyExists) {
			t.Fatalf("duplicate username err = %v", err)
		}
		taken, err := accounts.Taken(ctx, []string{"ALICE", "carol"}, []string{"13800000001", "13900000000"}, []string{"hash1", "hash2"})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(map[string]bool{"u:alice": true, "p:13800000001": true, "n:hash1": true}, taken); diff != "" {
			t.Fatalf("taken (-want +got):\n%s", diff)
		}
		staff, total, err := accounts.List(ctx, biz.AccountFilter{PathPrefix: org.Path, Role: "staff", Limit: 10})
		if err != nil || total != 1 || staff[0].Username != "bob" {
			t.Fatalf("list staff = %v total %d err %v", staff, total, err)
		}
		admin, err := accounts.AnyAdmin(ctx)
		if err != nil || admin {
			t.Fatalf("AnyAdmin = %v err %v, want false", admin, err)
		}
		empty := ""
		upd, err := accounts.Update(ctx, created[0].ID, biz.AccountPatch{Phone: &empty, Roles: []string{"admin"}})
		if err != nil || upd.Phone != "" || upd.Roles[0] != "admin" {
			t.Fatalf("update = %+v err %v", upd, err)
		}
		if admin, _ := accounts.AnyAdmin(ctx); !admin {
			t.Fatal("AnyAdmin = false after granting admin")
		}

		// Refresh tokens: MarkUsed succeeds exactly once.
		now := time.Now().UTC().Truncate(time.Second)
		if err := tokens.Create(ctx, &biz.RefreshToken{Hash: "t1", Family: "f", AccountID: created[0].ID, ExpiresAt: now.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		tok, err := tokens.GetForUpdate(ctx, "t1")
		if err != nil {
			t.Fatal(err)
		}
		first, err1 := tokens.MarkUsed(ctx, tok.ID, now)
		second, err2 := tokens.MarkUsed(ctx, tok.ID, now)
		if err1 != nil || err2 != nil || !first || second {
			t.Fatalf("MarkUsed = %v, %v (errs %v %v), want true then false", first, second, err1, err2)
		}
		if err := tokens.RevokeFamily(ctx, "f", now); err != nil {
			t.Fatal(err)
		}
		if tok, _ := tokens.GetForUpdate(ctx, "t1"); tok.RevokedAt == nil {
			t.Fatal("token not revoked with its family")
		}
		if _, err := tokens.GetForUpdate(ctx, "missing"); !errors.Is(err, biz.ErrRefreshTokenNotFound) {
			t.Fatalf("missing token err = %v", err)
		}

		// Login failures are counted in a window and cleared.
		for i := 0; i < 3; i++ {
			if err := failures.Add(ctx, "alice", now.Add(time.Duration(i)*time.Minute)); err != nil {
				t.Fatal(err)
			}
		}
		n, oldest, err := failures.Since(ctx, "alice", now.Add(30*time.Second))
		if err != nil || n != 2 || !oldest.Equal(now.Add(time.Minute)) {
			t.Fatalf("Since = %d %v err %v", n, oldest, err)
		}
		if err := failures.Clear(ctx, "alice"); err != nil {
			t.Fatal(err)
		}
		if n, _, _ := failures.Since(ctx, "alice", time.Time{}); n != 0 {
			t.Fatalf("after clear n = %d", n)
		}

		// Audit entries filter by subtree and page newest first.
		for i, path := range []string{org.Path, org.Path + "9/", "/999/"} {
			if err := audit.Add(ctx, &biz.AuditRecord{ActorID: 1, ActorName: "a", Action: "x", TargetType: "org", TargetID: int64(i), OrgPath: path, Summary: "s", CreatedAt: now}); err != nil {
				t.Fatal(err)
			}
		}
		recs, err := audit.List(ctx, biz.AuditFilter{PathPrefix: org.Path, Limit: 10})
		if err != nil || len(recs) != 2 || recs[0].TargetID != 1 {
			t.Fatalf("audit = %+v err %v", recs, err)
		}
	})
}

func TestInTxRollsBack(t *testing.T) {
	testdb.Each(t, func(t *testing.T, driver, dsn string) {
		ctx := context.Background()
		d := open(t, driver, dsn)
		repo := NewOrgRepo(d)
		boom := errors.New("boom")
		err := d.InTx(ctx, func(ctx context.Context) error {
			if _, err := repo.Create(ctx, []biz.NewOrg{{Name: "x", Code: "X", Type: biz.OrgCommittee}}); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("err = %v", err)
		}
		if n, _ := repo.Count(ctx); n != 0 {
			t.Fatalf("rolled back tx left %d orgs", n)
		}
	})
}
