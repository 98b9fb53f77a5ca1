package service

import (
	"context"
	"strconv"

	"google.golang.org/protobuf/types/known/emptypb"

	v1 "github.com/vanguard/vanguard/api/org/v1"
	"github.com/vanguard/vanguard/app/org/internal/biz"
	"github.com/vanguard/vanguard/pkg/sheet/xlsx"
)

// AccountService implements v1.AccountsServer.
type AccountService struct {
	v1.UnimplementedAccountsServer
	uc *biz.AccountUsecase
}

// NewAccountService wires an AccountService.
func NewAccountService(uc *biz.AccountUsecase) *AccountService { return &AccountService{uc: uc} }

// CreateAccount implements v1.AccountsServer.
func (s *AccountService) CreateAccount(ctx context.Context, req *v1.CreateAccountRequest) (*v1.Account, error) {
	a, err := s.uc.Create(ctx, biz.NewAccount{
		Username: req.Username, Phone: req.Phone, DisplayName: req.DisplayName, Password: req.Password,
		Roles: rolesFromAPI(req.Roles), OrgID: req.OrgId, Profile: profileFromAPI(req.Profile),
	})
	if err != nil {
		return nil, toAPIError(err)
	}
	return accountToAPI(a), nil
}

// GetAccount implements v1.AccountsServer.
func (s *AccountService) GetAccount(ctx context.Context, req *v1.GetAccountRequest) (*v1.Account, error) {
	a, err := s.uc.Get(ctx, req.Id)
	if err != nil {
		return nil, toAPIError(err)
	}
	out := accountToAPI(a)
	if out.TempOrgPaths, _, err = s.uc.ActiveTempPaths(ctx, a.ID); err != nil {
		return nil, toAPIError(err)
	}
	return out, nil
}

// UpdateAccount implements v1.AccountsServer.
func (s *AccountService) UpdateAccount(ctx context.Context, req *v1.UpdateAccountRequest) (*v1.Account, error) {
	in := biz.UpdateInput{DisplayName: req.DisplayName, Phone: req.Phone, OrgID: req.OrgId}
	if req.Status != nil {
		st := biz.StatusActive
		if *req.Status == v1.AccountStatus_DISABLED {
			st = biz.StatusDisabled
		}
		in.Status = &st
	}
	if req.Profile != nil {
		p := profileFromAPI(req.Profile)
		in.Profile = &p
	}
	a, err := s.uc.Update(ctx, req.Id, in)
	if err != nil {
		return nil, toAPIError(err)
	}
	return accountToAPI(a), nil
}

// SetRoles implements v1.AccountsServer.
func (s *AccountService) SetRoles(ctx context.Context, req *v1.SetRolesRequest) (*v1.Account, error) {
	a, err := s.uc.SetRoles(ctx, req.Id, rolesFromAPI(req.Roles))
	if err != nil {
		return nil, toAPIError(err)
	}
	return accountToAPI(a), nil
}

// ResetPassword implements v1.AccountsServer.
func (s *AccountService) ResetPassword(ctx context.Context, req *v1.ResetPasswordRequest) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, toAPIError(s.uc.ResetPassword(ctx, req.Id, req.NewPassword))
}

// ListAccounts implements v1.AccountsServer.
func (s *AccountService) ListAccounts(ctx context.Context, req *v1.ListAccountsRequest) (*v1.ListAccountsReply, error) {
	after, err := decodeIDCursor("page_token", req.PageToken)
	if err != nil {
		return nil, toAPIError(err)
	}
	role := ""
	if req.Role != v1.Role_ROLE_UNSPECIFIED {
		role = rolesFromAPI([]v1.Role{req.Role})[0]
	}
	accounts, total, err := s.uc.List(ctx, req.OrgId, biz.AccountFilter{Role: role, Query: req.Query, AfterID: after, Limit: int(req.PageSize)})
	if err != nil {
		return nil, toAPIError(err)
	}
	reply := &v1.ListAccountsReply{Total: int64(total), Accounts: make([]*v1.Account, len(accounts))}
	for i, a := range accounts {
		reply.Accounts[i] = accountToAPI(a)
	}
	if n := len(accounts); n > 0 && n == effectiveLimit(int(req.PageSize), 50) {
		reply.NextPageToken = encodeCursor(strconv.FormatInt(accounts[n-1].ID, 10))
	}
	return reply, nil
}

// ImportMembers implements v1.AccountsServer.
func (s *AccountService) ImportMembers(ctx context.Context, req *v1.ImportRequest) (*v1.ImportReply, error) {
	t, err := xlsx.Parse(req.Format, req.Content)
	if err != nil {
		return nil, toAPIError(err)
	}
	res, err := s.uc.ImportMembers(ctx, t, req.DefaultOrgId, req.InitialPassword, req.DryRun)
	if err != nil {
		return nil, toAPIError(err)
	}
	return &v1.ImportReply{Rows: int32(res.Rows), Created: int32(res.Created), DryRun: res.DryRun}, nil
}

func tempMembersToAPI(orgID int64, ms []biz.TempMember, accounts map[int64]*biz.Account) *v1.TempMembers {
	out := &v1.TempMembers{OrgId: orgID}
	for _, m := range ms {
		t := &v1.TempMember{AccountId: m.AccountID, Staff: m.Staff}
		if a := accounts[m.AccountID]; a != nil {
			t.DisplayName, t.HomeOrgId = a.DisplayName, a.OrgID
		}
		out.Members = append(out.Members, t)
	}
	return out
}

// ListTempMembers implements v1.AccountsServer.
func (s *AccountService) ListTempMembers(ctx context.Context, req *v1.ListTempMembersRequest) (*v1.TempMembers, error) {
	ms, accounts, err := s.uc.TempMembers(ctx, req.GetId())
	if err != nil {
		return nil, toAPIError(err)
	}
	return tempMembersToAPI(req.GetId(), ms, accounts), nil
}

// SetTempMembers implements v1.AccountsServer.
func (s *AccountService) SetTempMembers(ctx context.Context, req *v1.SetTempMembersRequest) (*v1.TempMembers, error) {
	in := make([]biz.TempMember, len(req.GetMembers()))
	for i, m := range req.GetMembers() {
		in[i] = biz.TempMember{AccountID: m.GetAccountId(), Staff: m.GetStaff()}
	}
	ms, accounts, err := s.uc.SetTempMembers(ctx, req.GetId(), in)
	if err != nil {
		return nil, toAPIError(err)
	}
	return tempMembersToAPI(req.GetId(), ms, accounts), nil
}
