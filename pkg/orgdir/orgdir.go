// Package orgdir is the one client every service uses to look organisations and accounts up in
// the org service, over org's gRPC API. The connection must forward the caller's token
// (auth.Forward), so org applies its own scope rules to the original caller: an org or account
// the caller may not see is reported as not found, like one that does not exist.
package orgdir

import (
	"context"
	"errors"
	"fmt"

	kerrors "github.com/go-kratos/kratos/v2/errors"

	orgv1 "github.com/vanguard/vanguard/api/org/v1"
)

// ErrNotFound is an org or account that does not exist or that the caller may not see.
var ErrNotFound = errors.New("orgdir: not found")

// Org is what services need of an organisation.
type Org struct {
	ID   int64
	Path string
	Name string
}

// Client looks orgs and accounts up in org.
type Client struct {
	orgs     orgv1.OrgsClient
	accounts orgv1.AccountsClient
}

// New returns a client over org's generated gRPC clients.
func New(orgs orgv1.OrgsClient, accounts orgv1.AccountsClient) *Client {
	return &Client{orgs: orgs, accounts: accounts}
}

// Org returns the org with id, or ErrNotFound.
func (c *Client) Org(ctx context.Context, id int64) (*Org, error) {
	o, err := c.orgs.GetOrg(ctx, &orgv1.GetOrgRequest{Id: id})
	if err != nil {
		if orgv1.IsOrgNotFound(err) || kerrors.Code(err) == 404 {
			return nil, ErrNotFound
		}
		return nil, fmt.Errorf("orgdir.Org %d: %w", id, err)
	}
	return &Org{ID: o.Id, Path: o.Path, Name: o.Name}, nil
}

// AccountOrgPath returns the org path of an account's primary org, or ErrNotFound.
func (c *Client) AccountOrgPath(ctx context.Context, userID int64) (string, error) {
	if c.accounts == nil {
		return "", errors.New("orgdir.AccountOrgPath: no accounts client")
	}
	a, err := c.accounts.GetAccount(ctx, &orgv1.GetAccountRequest{Id: userID})
	if err != nil {
		if orgv1.IsAccountNotFound(err) || kerrors.Code(err) == 404 {
			return "", ErrNotFound
		}
		return "", fmt.Errorf("orgdir.AccountOrgPath %d: %w", userID, err)
	}
	return a.OrgPath, nil
}
