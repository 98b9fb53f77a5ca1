package service

import (
	"context"

	v1 "github.com/vanguard/vanguard/api/org/v1"
	"github.com/vanguard/vanguard/app/org/internal/biz"
)

// DirectoryService implements v1.DirectoryServer: other services look up the names of people
// and orgs they may show. It is a service operation (ServiceOperations).
type DirectoryService struct {
	v1.UnimplementedDirectoryServer
	dir *biz.Directory
}

// NewDirectoryService wires a DirectoryService.
func NewDirectoryService(dir *biz.Directory) *DirectoryService { return &DirectoryService{dir: dir} }

// LookupPeople implements v1.DirectoryServer.
func (s *DirectoryService) LookupPeople(ctx context.Context, req *v1.LookupPeopleRequest) (*v1.LookupPeopleReply, error) {
	people, orgs, err := s.dir.Lookup(ctx, req.GetUserIds(), req.GetOrgIds())
	if err != nil {
		return nil, toAPIError(err)
	}
	out := &v1.LookupPeopleReply{}
	for _, p := range people {
		out.People = append(out.People, &v1.Person{UserId: p.UserID, DisplayName: p.DisplayName, OrgId: p.OrgID, OrgName: p.OrgName})
	}
	for _, o := range orgs {
		out.Orgs = append(out.Orgs, &v1.OrgName{OrgId: o.ID, Name: o.Name, Path: o.Path})
	}
	return out, nil
}
