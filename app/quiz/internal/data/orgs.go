package data

import (
	"context"
	"fmt"

	kerrors "github.com/go-kratos/kratos/v2/errors"

	orgv1 "github.com/vanguard/vanguard/api/org/v1"
	"github.com/vanguard/vanguard/app/quiz/internal/biz"
)

type orgDirectory struct {
	client   orgv1.OrgsClient
	accounts orgv1.AccountsClient
}

var _ biz.OrgDirectory = (*orgDirectory)(nil)

// NewOrgDirectory returns the org directory over the org service's gRPC API. The connection must
// carry auth.Forward() so the org service sees the original caller.
func NewOrgDirectory(client orgv1.OrgsClient, accounts orgv1.AccountsClient) biz.OrgDirectory {
	return &orgDirectory{client: client, accounts: accounts}
}

func (o *orgDirectory) AccountOrgPath(ctx context.Context, userID int64) (string, error) {
	a, err := o.accounts.GetAccount(ctx, &orgv1.GetAccountRequest{Id: userID})
	if err != nil {
		if orgv1.IsAccountNotFound(err) || kerrors.Code(err) == 404 {
			return "", biz.ErrNotFound
		}
		return "", fmt.Errorf("orgDirectory.AccountOrgPath: %w", err)
	}
	return a.OrgPath, nil
}

func (o *orgDirectory) GetOrg(ctx context.Context, id int64) (*biz.OrgInfo, error) {
	org, err := o.client.GetOrg(ctx, &orgv1.GetOrgRequest{Id: id})
	if err != nil {
		if orgv1.IsOrgNotFound(err) || kerrors.Code(err) == 404 {
			return nil, biz.ErrOrgNotFound
		}
		return nil, fmt.Errorf("orgDirectory.GetOrg: %w", err)
	}
	return &biz.OrgInfo{ID: org.Id, Path: org.Path, Name: org.Name}, nil
}
