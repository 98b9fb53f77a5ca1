package orgdir_test

import (
	"context"
	"errors"
	"testing"

	kerrors "github.com/go-kratos/kratos/v2/errors"
	"google.golang.org/grpc"

	orgv1 "github.com/vanguard/vanguard/api/org/v1"
	"github.com/vanguard/vanguard/pkg/orgdir"
)

// fakeOrgs answers GetOrg with a fixed org or error (the other methods are not used).
type fakeOrgs struct {
	orgv1.OrgsClient
	org *orgv1.Org
	err error
}

func (f fakeOrgs) GetOrg(context.Context, *orgv1.GetOrgRequest, ...grpc.CallOption) (*orgv1.Org, error) {
	return f.org, f.err
}

type fakeAccounts struct {
	orgv1.AccountsClient
	err error
}

func (f fakeAccounts) GetAccount(context.Context, *orgv1.GetAccountRequest, ...grpc.CallOption) (*orgv1.Account, error) {
	if f.err != nil {
		return nil, f.err
	}
	return &orgv1.Account{Id: 7, OrgPath: "/1/2/"}, nil
}

// Not found (or not visible) is ErrNotFound; anything else stays an error of its own and is
// never reported as not found.
func TestNotFoundOnlyWhenOrgSaysSo(t *testing.T) {
	ctx := context.Background()
	ok := orgdir.New(fakeOrgs{org: &orgv1.Org{Id: 3, Path: "/1/3/", Name: "第一支部"}}, fakeAccounts{})
	if o, err := ok.Org(ctx, 3); err != nil || o.Path != "/1/3/" || o.Name != "第一支部" {
		t.Fatalf("Org = %+v, %v", o, err)
	}
	if p, err := ok.AccountOrgPath(ctx, 7); err != nil || p != "/1/2/" {
		t.Fatalf("AccountOrgPath = %q, %v", p, err)
	}
	for name, c := range map[string]*orgdir.Client{
		"declared reason": orgdir.New(fakeOrgs{err: orgv1.ErrorOrgNotFound("x")}, fakeAccounts{err: orgv1.ErrorAccountNotFound("x")}),
		"plain 404":       orgdir.New(fakeOrgs{err: kerrors.NotFound("X", "x")}, fakeAccounts{err: kerrors.NotFound("X", "x")}),
	} {
		if _, err := c.Org(ctx, 1); !errors.Is(err, orgdir.ErrNotFound) {
			t.Errorf("%s: Org error %v, want ErrNotFound", name, err)
		}
		if _, err := c.AccountOrgPath(ctx, 1); !errors.Is(err, orgdir.ErrNotFound) {
			t.Errorf("%s: AccountOrgPath error %v, want ErrNotFound", name, err)
		}
	}
	down := orgdir.New(fakeOrgs{err: kerrors.ServiceUnavailable("UNAVAILABLE", "down")}, fakeAccounts{err: errors.New("connection refused")})
	if _, err := down.Org(ctx, 1); err == nil || errors.Is(err, orgdir.ErrNotFound) {
		t.Fatalf("org down: %v, want an error that is not ErrNotFound", err)
	}
	if _, err := down.AccountOrgPath(ctx, 1); err == nil || errors.Is(err, orgdir.ErrNotFound) {
		t.Fatalf("accounts down: %v, want an error that is not ErrNotFound", err)
	}
}
