package service

import (
	"context"

	v1 "github.com/vanguard/vanguard/api/org/v1"
	"github.com/vanguard/vanguard/app/org/internal/biz"
)

// TransferService implements v1.TransfersServer: transfers of membership between orgs.
type TransferService struct {
	v1.UnimplementedTransfersServer
	uc *biz.AccountUsecase
}

// NewTransferService wires a TransferService.
func NewTransferService(uc *biz.AccountUsecase) *TransferService { return &TransferService{uc: uc} }

func (s *TransferService) views(ctx context.Context, list ...*biz.Transfer) ([]*v1.Transfer, error) {
	people, orgs, err := s.uc.TransferNames(ctx, list)
	if err != nil {
		return nil, err
	}
	out := make([]*v1.Transfer, len(list))
	for i, t := range list {
		v := &v1.Transfer{
			Id: t.ID, MemberId: t.MemberID, MemberName: people[t.MemberID], FromOrgId: t.FromOrgID, FromOrgName: orgs[t.FromOrgID],
			ToOrgId: t.ToOrgID, ToOrgName: orgs[t.ToOrgID], Status: t.Status, Note: t.Note, StartedAt: ts(t.StartedAt),
			DecisionNote: t.DecisionNote,
		}
		if t.DecidedAt != nil {
			v.DecidedAt = ts(*t.DecidedAt)
		}
		out[i] = v
	}
	return out, nil
}

func (s *TransferService) one(ctx context.Context, t *biz.Transfer, err error) (*v1.Transfer, error) {
	if err != nil {
		return nil, toAPIError(err)
	}
	vs, err := s.views(ctx, t)
	if err != nil {
		return nil, toAPIError(err)
	}
	return vs[0], nil
}

// StartTransfer implements v1.TransfersServer.
func (s *TransferService) StartTransfer(ctx context.Context, req *v1.StartTransferRequest) (*v1.Transfer, error) {
	t, err := s.uc.StartTransfer(ctx, req.GetMemberId(), req.GetToOrgId(), req.GetToOrgCode(), req.GetNote())
	return s.one(ctx, t, err)
}

// DecideTransfer implements v1.TransfersServer.
func (s *TransferService) DecideTransfer(ctx context.Context, req *v1.DecideTransferRequest) (*v1.Transfer, error) {
	t, err := s.uc.DecideTransfer(ctx, req.GetId(), req.GetStatus(), req.GetNote())
	return s.one(ctx, t, err)
}

// ListTransfers implements v1.TransfersServer.
func (s *TransferService) ListTransfers(ctx context.Context, req *v1.ListTransfersRequest) (*v1.ListTransfersReply, error) {
	list, err := s.uc.ListTransfers(ctx, req.GetOrgId(), req.GetDirection() == "in", req.GetStatus())
	if err != nil {
		return nil, toAPIError(err)
	}
	vs, err := s.views(ctx, list...)
	if err != nil {
		return nil, toAPIError(err)
	}
	return &v1.ListTransfersReply{Transfers: vs}, nil
}
