package data

import (
	"context"
	"errors"
	"fmt"

	orgv1 "github.com/vanguard/vanguard/api/org/v1"
	"github.com/vanguard/vanguard/app/quiz/internal/biz"
	"github.com/vanguard/vanguard/pkg/orgdir"
)

type orgDirectory struct{ dir *orgdir.Client }

var _ biz.OrgDirectory = (*orgDirectory)(nil)

// NewOrgDirectory returns the org directory over the org service's gRPC API (pkg/orgdir). The
// connection must carry auth.Forward() so the org service sees the original caller.
func NewOrgDirectory(client orgv1.OrgsClient, accounts orgv1.AccountsClient) biz.OrgDirectory {
	return &orgDirectory{dir: orgdir.New(client, accounts)}
}

func (o *orgDirectory) AccountOrgPath(ctx context.Context, userID int64) (string, error) {
	path, err := o.dir.AccountOrgPath(ctx, userID)
	if errors.Is(err, orgdir.ErrNotFound) {
		return "", biz.ErrNotFound
	}
	return path, err
}

func (o *orgDirectory) GetOrg(ctx context.Context, id int64) (*biz.OrgInfo, error) {
	org, err := o.dir.Org(ctx, id)
	if errors.Is(err, orgdir.ErrNotFound) {
		return nil, biz.ErrOrgNotFound
	}
	if err != nil {
		return nil, err
	}
	return &biz.OrgInfo{ID: org.ID, Path: org.Path, Name: org.Name}, nil
}

type nameDirectory struct{ client orgv1.DirectoryClient }

// NewNameDirectory returns the name lookup over org's service-only Directory API; the client's
// connection must call as the quiz service (kit.DialAsService).
func NewNameDirectory(client orgv1.DirectoryClient) biz.NameDirectory {
	if client == nil {
		return nil
	}
	return nameDirectory{client: client}
}

func (n nameDirectory) Lookup(ctx context.Context, userIDs, orgIDs []int64) (biz.Names, error) {
	out := biz.Names{People: map[int64]biz.PersonName{}, Orgs: map[int64]string{}}
	if len(userIDs) == 0 && len(orgIDs) == 0 {
		return out, nil
	}
	res, err := n.client.LookupPeople(ctx, &orgv1.LookupPeopleRequest{UserIds: userIDs, OrgIds: orgIDs})
	if err != nil {
		return out, fmt.Errorf("org directory: %w", err)
	}
	for _, p := range res.GetPeople() {
		out.People[p.GetUserId()] = biz.PersonName{Name: p.GetDisplayName(), OrgID: p.GetOrgId(), OrgName: p.GetOrgName()}
	}
	for _, o := range res.GetOrgs() {
		out.Orgs[o.GetOrgId()] = o.GetName()
	}
	return out, nil
}
