package data

import (
	"context"
	"errors"

	orgv1 "github.com/vanguard/vanguard/api/org/v1"
	"github.com/vanguard/vanguard/app/course/internal/biz"
	"github.com/vanguard/vanguard/pkg/orgdir"
)

type orgDirectory struct{ dir *orgdir.Client }

var _ biz.OrgDirectory = (*orgDirectory)(nil)

// NewOrgDirectory returns the org directory over the org service's gRPC API (pkg/orgdir). The
// connection must carry auth.Forward() so the org service sees the original caller.
func NewOrgDirectory(client orgv1.OrgsClient) biz.OrgDirectory {
	return &orgDirectory{dir: orgdir.New(client, nil)}
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
