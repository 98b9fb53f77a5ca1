package service

import (
	"context"

	eventsv1 "github.com/vanguard/vanguard/api/events/v1"
	v1 "github.com/vanguard/vanguard/api/org/v1"
	"github.com/vanguard/vanguard/app/org/internal/biz"
	"github.com/vanguard/vanguard/pkg/outbox"
)

// EventsService is org's service-only Events API: subscribers acknowledge the events they
// applied (pkg/outbox).
type EventsService struct {
	v1.UnimplementedEventsServer
	Ack outbox.AckService
}

// AckEvents closes the calling service's deliveries of the given events.
func (s *EventsService) AckEvents(ctx context.Context, req *eventsv1.AckEventsRequest) (*eventsv1.AckEventsReply, error) {
	return s.Ack.AckEvents(ctx, req)
}

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
