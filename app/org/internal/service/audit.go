package service

import (
	"context"

	v1 "github.com/vanguard/vanguard/api/org/v1"
	"github.com/vanguard/vanguard/app/org/internal/biz"
)

// AuditService implements v1.AuditServer: other services append their staff actions to org's
// audit log. It is a service operation (ServiceOperations): only service credentials reach it.
type AuditService struct {
	v1.UnimplementedAuditServer
	audit *biz.Auditor
}

// NewAuditService wires an AuditService.
func NewAuditService(audit *biz.Auditor) *AuditService { return &AuditService{audit: audit} }

// ServiceOperations are the org operations only service credentials may call.
var ServiceOperations = []string{v1.Audit_AppendAuditLogs_FullMethodName, v1.Directory_LookupPeople_FullMethodName,
	v1.Events_AckEvents_FullMethodName, v1.Dossiers_GetMemberDossier_FullMethodName,
	v1.Dossiers_ListDossierMembers_FullMethodName}

// AppendAuditLogs implements v1.AuditServer.
func (s *AuditService) AppendAuditLogs(ctx context.Context, req *v1.AppendAuditLogsRequest) (*v1.AppendAuditLogsReply, error) {
	entries := make([]*biz.AuditRecord, len(req.GetEntries()))
	for i, e := range req.GetEntries() {
		entries[i] = &biz.AuditRecord{
			Key: e.GetKey(), ActorID: e.GetActorId(), ActorName: e.GetActorName(), ActorOrgPath: e.GetActorOrgPath(),
			Action: e.GetAction(), TargetType: e.GetTargetType(), TargetID: e.GetTargetId(), OrgPath: e.GetOrgPath(),
			Summary: e.GetSummary(), Before: e.GetBefore(), After: e.GetAfter(),
		}
	}
	res, err := s.audit.Append(ctx, entries)
	if err != nil {
		return nil, toAPIError(err)
	}
	return &v1.AppendAuditLogsReply{Appended: int32(res.Appended), Duplicates: int32(res.Duplicates)}, nil
}
