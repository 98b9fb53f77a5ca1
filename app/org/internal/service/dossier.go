package service

import (
	"context"

	v1 "github.com/vanguard/vanguard/api/org/v1"
	"github.com/vanguard/vanguard/app/org/internal/biz"
)

// DossierService is org's service-only Dossiers API: the growth service reads what org knows of
// a member.
type DossierService struct {
	v1.UnimplementedDossiersServer
	uc *biz.Development
}

// NewDossierService wires a DossierService.
func NewDossierService(uc *biz.Development) *DossierService { return &DossierService{uc: uc} }

// GetMemberDossier implements v1.DossiersServer.
func (s *DossierService) GetMemberDossier(ctx context.Context, req *v1.GetMemberDossierRequest) (*v1.MemberDossier, error) {
	d, err := s.uc.Dossier(ctx, req.GetMemberId())
	if err != nil {
		return nil, toAPIError(err)
	}
	a := accountToAPI(d.Record.Member)
	a.Phone, a.Profile.NationalId = "", ""
	return &v1.MemberDossier{Account: a, OrgName: d.Record.OrgName, Development: recordToAPI(d.Record),
		TempBranches: withTempBranches(&v1.Account{}, d.Temps).TempBranches}, nil
}

// ListDossierMembers implements v1.DossiersServer.
func (s *DossierService) ListDossierMembers(ctx context.Context, req *v1.ListDossierMembersRequest) (*v1.ListDossierMembersReply, error) {
	ids, err := s.uc.DossierMembers(ctx, req.GetAfterId(), int(req.GetPageSize()))
	if err != nil {
		return nil, toAPIError(err)
	}
	return &v1.ListDossierMembersReply{MemberIds: ids}, nil
}
