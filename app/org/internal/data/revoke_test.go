package data

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vanguard/vanguard/app/org/internal/biz"
	"github.com/vanguard/vanguard/pkg/auth"
	"github.com/vanguard/vanguard/pkg/testdb"
)

// TestRevokeAccountRaisesSessionVersion on SQLite and PostgreSQL: each revocation revokes the
// account's refresh tokens and raises its session version by one; the account (and so the next
// token) carries the new version; RevocationsSince lists the latest revocation of each account
// revoked at or after the given time.
func TestRevokeAccountRaisesSessionVersion(t *testing.T) {
	testdb.Each(t, func(t *testing.T, driver, dsn string) {
		ctx := context.Background()
		d := open(t, driver, dsn)
		orgs, accounts, tokens := NewOrgRepo(d), NewAccountRepo(d), NewTokenRepo(d)
		root, err := orgs.Create(ctx, []biz.NewOrg{{Name: "党委", Code: "R", Type: biz.OrgCommittee}})
		if err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for _, u := range []string{"a", "b", "c"} {
			created, err := accounts.Create(ctx, []*biz.Account{{Username: u, DisplayName: u, PasswordHash: "x", Roles: []string{auth.RoleMember},
				OrgID: root[0].ID, OrgPath: root[0].Path, Status: biz.StatusActive, Profile: biz.Profile{Stage: biz.StageNone}}})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, created[0].ID)
		}
		t0 := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
		if err := tokens.Create(ctx, &biz.RefreshToken{Hash: "ta", Family: "f", AccountID: ids[0], ExpiresAt: t0.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		first, err := tokens.RevokeAccount(ctx, ids[0], t0)
		if err != nil {
			t.Fatal(err)
		}
		second, err := tokens.RevokeAccount(ctx, ids[0], t0.Add(time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tokens.RevokeAccount(ctx, ids[1], t0.Add(-time.Hour)); err != nil {
			t.Fatal(err)
		}
		if first.Version != 1 || second.Version != 2 || second.UserID != ids[0] {
			t.Fatalf("revocations = %+v, %+v", first, second)
		}
		if tok, _ := tokens.GetForUpdate(ctx, "ta"); tok.RevokedAt == nil {
			t.Fatal("refresh token not revoked")
		}
		a, err := accounts.Get(ctx, ids[0])
		if err != nil || a.SessionVersion != 2 || a.Principal().SessionVersion != 2 {
			t.Fatalf("account = %+v, %v", a, err)
		}
		got, err := tokens.RevocationsSince(ctx, t0.Add(-time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		want := []auth.Revocation{{UserID: ids[0], Version: 2, At: t0.Add(time.Minute)}}
		if diff := cmp.Diff(want, got, cmp.Comparer(func(x, y time.Time) bool { return x.Equal(y) })); diff != "" {
			t.Fatalf("RevocationsSince (-want +got):\n%s", diff)
		}
		if _, err := tokens.RevokeAccount(ctx, 999999, t0); !errors.Is(err, biz.ErrAccountNotFound) {
			t.Fatalf("revoking a missing account: %v", err)
		}
	})
}
