package service

import (
	"context"
	"strconv"

	"google.golang.org/protobuf/types/known/emptypb"

	v1 "github.com/vanguard/vanguard/api/org/v1"
	"github.com/vanguard/vanguard/app/org/internal/biz"
	"github.com/vanguard/vanguard/pkg/sheet/xlsx"
)

// OrgService implements v1.OrgsServer.
type OrgService struct {
	v1.UnimplementedOrgsServer
	uc    *biz.OrgUsecase
	audit *biz.Auditor
}

// NewOrgService wires an OrgService.
func NewOrgService(uc *biz.OrgUsecase, audit *biz.Auditor) *OrgService {
	return &OrgService{uc: uc, audit: audit}
}

// CreateOrg implements v1.OrgsServer.
func (s *OrgService) CreateOrg(ctx context.Context, req *v1.CreateOrgRequest) (*v1.Org, error) {
	o, err := s.uc.Create(ctx, biz.NewOrg{ParentID: req.ParentId, Name: req.Name, Code: req.Code, Type: orgTypeFromAPI(req.Type),
		Temporary: req.Temporary, StartsOn: req.StartsOn, EndsOn: req.EndsOn})
	if err != nil {
		return nil, toAPIError(err)
	}
	return orgToAPI(o), nil
}

// GetOrg implements v1.OrgsServer.
func (s *OrgService) GetOrg(ctx context.Context, req *v1.GetOrgRequest) (*v1.Org, error) {
	o, err := s.uc.Get(ctx, req.Id)
	if err != nil {
		return nil, toAPIError(err)
	}
	return orgToAPI(o), nil
}

// UpdateOrg implements v1.OrgsServer.
func (s *OrgService) UpdateOrg(ctx context.Context, req *v1.UpdateOrgRequest) (*v1.Org, error) {
	o, err := s.uc.Update(ctx, req.Id, req.Name, req.Code)
	if err != nil {
		return nil, toAPIError(err)
	}
	return orgToAPI(o), nil
}

// DeleteOrg implements v1.OrgsServer.
func (s *OrgService) DeleteOrg(ctx context.Context, req *v1.DeleteOrgRequest) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, toAPIError(s.uc.Delete(ctx, req.Id))
}

// ListOrgs implements v1.OrgsServer.
func (s *OrgService) ListOrgs(ctx context.Context, req *v1.ListOrgsRequest) (*v1.ListOrgsReply, error) {
	after, err := decodeCursor("page_token", req.PageToken)
	if err != nil {
		return nil, toAPIError(err)
	}
	orgs, total, err := s.uc.List(ctx, req.RootId, after, int(req.PageSize))
	if err != nil {
		return nil, toAPIError(err)
	}
	reply := &v1.ListOrgsReply{Total: int64(total), Orgs: make([]*v1.Org, len(orgs))}
	for i, o := range orgs {
		reply.Orgs[i] = orgToAPI(o)
	}
	if n := len(orgs); n > 0 && (req.PageSize <= 0 || n == int(req.PageSize)) && n < total {
		reply.NextPageToken = encodeCursor(orgs[n-1].Path)
	}
	return reply, nil
}

// ImportOrgs implements v1.OrgsServer.
func (s *OrgService) ImportOrgs(ctx context.Context, req *v1.ImportRequest) (*v1.ImportReply, error) {
	t, err := xlsx.Parse(req.Format, req.Content)
	if err != nil {
		return nil, toAPIError(err)
	}
	res, err := s.uc.ImportOrgs(ctx, t, req.DryRun)
	if err != nil {
		return nil, toAPIError(err)
	}
	return &v1.ImportReply{Rows: int32(res.Rows), Created: int32(res.Created), DryRun: res.DryRun}, nil
}

// ListAuditLogs implements v1.OrgsServer.
func (s *OrgService) ListAuditLogs(ctx context.Context, req *v1.ListAuditLogsRequest) (*v1.ListAuditLogsReply, error) {
	before, err := decodeIDCursor("page_token", req.PageToken)
	if err != nil {
		return nil, toAPIError(err)
	}
	recs, err := s.audit.List(ctx, req.OrgId, biz.AuditFilter{ActorID: req.ActorId, Action: req.Action, BeforeID: before, Limit: int(req.PageSize)})
	if err != nil {
		return nil, toAPIError(err)
	}
	reply := &v1.ListAuditLogsReply{Logs: make([]*v1.AuditLog, len(recs))}
	for i, r := range recs {
		reply.Logs[i] = &v1.AuditLog{
			Id: r.ID, ActorId: r.ActorID, ActorName: r.ActorName, Action: r.Action, TargetType: r.TargetType,
			TargetId: r.TargetID, OrgPath: r.OrgPath, Summary: r.Summary, Before: r.Before, After: r.After, CreatedAt: ts(r.CreatedAt),
			Service: r.Service, ActorOrgPath: r.ActorOrgPath,
		}
	}
	if n := len(recs); n > 0 && n == effectiveLimit(int(req.PageSize), 50) {
		reply.NextPageToken = encodeCursor(strconv.FormatInt(recs[n-1].ID, 10))
	}
	return reply, nil
}

func effectiveLimit(size, def int) int {
	if size <= 0 {
		return def
	}
	return size
}
