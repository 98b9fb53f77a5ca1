package service

import (
	"context"

	"github.com/go-kratos/kratos/v2/log"
	"google.golang.org/protobuf/types/known/emptypb"

	v1 "github.com/vanguard/vanguard/api/org/v1"
	"github.com/vanguard/vanguard/app/org/internal/biz"
	"github.com/vanguard/vanguard/pkg/auth"
	"github.com/vanguard/vanguard/pkg/authn"
	"github.com/vanguard/vanguard/pkg/clock"
)

// AuthService implements v1.AuthServer.
type AuthService struct {
	v1.UnimplementedAuthServer
	uc        *biz.AuthUsecase
	clock     clock.Clock
	publicKey *v1.PublicKey
	signer    *authn.Signer
	// serviceKey derives every service's secret (authn.ServiceSecret); empty: no service tokens.
	serviceKey []byte
	log        *log.Helper
}

// NewAuthService wires an AuthService; signer provides the published verification key and signs
// service tokens for services proving their secret under serviceKey.
func NewAuthService(uc *biz.AuthUsecase, signer *authn.Signer, serviceKey []byte, clk clock.Clock, logger log.Logger) (*AuthService, error) {
	pemBytes, err := authn.MarshalPublicKeyPEM(signer.PublicKey())
	if err != nil {
		return nil, err
	}
	return &AuthService{uc: uc, clock: clk, signer: signer, serviceKey: serviceKey, log: log.NewHelper(log.With(logger, "module", "org/auth")), publicKey: &v1.PublicKey{
		Algorithm: "EdDSA", KeyId: signer.KeyID(), PublicKeyPem: string(pemBytes), Issuer: authn.Issuer,
	}}, nil
}

// PublicOperations are the operations callable without an access token.
var PublicOperations = []string{
	v1.OperationAuthLogin, v1.OperationAuthRefresh, v1.OperationAuthLogout, v1.OperationAuthGetPublicKey,
	// A service proves itself with its secret instead of a token (gRPC only).
	v1.Auth_IssueServiceToken_FullMethodName,
}

// IssueServiceToken implements v1.AuthServer: a service token for a service that knows its
// secret. A wrong secret is a 401 and is logged with the service name (never the secret).
func (s *AuthService) IssueServiceToken(ctx context.Context, req *v1.IssueServiceTokenRequest) (*v1.ServiceToken, error) {
	if !authn.CheckServiceSecret(s.serviceKey, req.GetService(), req.GetSecret()) {
		// The name is caller-supplied: log it only when it is a well-formed service name, so a
		// secret pasted into the wrong field never reaches the log.
		name := req.GetService()
		if !auth.ValidServiceName(name) {
			name = "(invalid)"
		}
		s.log.WithContext(ctx).Warnw("msg", "service token refused", "service", name)
		return nil, authn.ErrUnauthenticated()
	}
	tok, exp, err := s.signer.SignService(req.GetService())
	if err != nil {
		return nil, toAPIError(err)
	}
	return &v1.ServiceToken{AccessToken: tok, ExpiresIn: int64(exp.Sub(s.clock.Now()).Seconds())}, nil
}

func (s *AuthService) pair(p *biz.TokenPair) *v1.TokenPair {
	now := s.clock.Now()
	return &v1.TokenPair{
		AccessToken: p.AccessToken, RefreshToken: p.RefreshToken, TokenType: "Bearer",
		ExpiresIn:        int64(p.AccessExpiresAt.Sub(now).Seconds()),
		RefreshExpiresIn: int64(p.RefreshExpiresAt.Sub(now).Seconds()),
		Account:          withTempBranches(accountToAPI(p.Account), p.TempBranches),
	}
}

// Login implements v1.AuthServer.
func (s *AuthService) Login(ctx context.Context, req *v1.LoginRequest) (*v1.TokenPair, error) {
	p, err := s.uc.Login(ctx, req.Username, req.Password)
	if err != nil {
		return nil, toAPIError(err)
	}
	pair := s.pair(p)
	setRefreshCookie(ctx, pair)
	return pair, nil
}

// Refresh implements v1.AuthServer.
func (s *AuthService) Refresh(ctx context.Context, req *v1.RefreshRequest) (*v1.TokenPair, error) {
	token, err := refreshFromCookie(ctx, req.RefreshToken)
	if err != nil {
		return nil, err
	}
	p, err := s.uc.Refresh(ctx, token)
	if err != nil {
		return nil, toAPIError(err)
	}
	pair := s.pair(p)
	setRefreshCookie(ctx, pair)
	return pair, nil
}

// Logout implements v1.AuthServer.
func (s *AuthService) Logout(ctx context.Context, req *v1.LogoutRequest) (*emptypb.Empty, error) {
	token, err := refreshFromCookie(ctx, req.RefreshToken)
	if err != nil {
		return nil, err
	}
	clearRefreshCookie(ctx)
	return &emptypb.Empty{}, toAPIError(s.uc.Logout(ctx, token))
}

// GetPublicKey implements v1.AuthServer.
func (s *AuthService) GetPublicKey(context.Context, *emptypb.Empty) (*v1.PublicKey, error) {
	return s.publicKey, nil
}

// GetMe implements v1.AuthServer.
func (s *AuthService) GetMe(ctx context.Context, _ *emptypb.Empty) (*v1.Account, error) {
	a, err := s.uc.Me(ctx)
	if err != nil {
		return nil, toAPIError(err)
	}
	ts, err := s.uc.TempBranchesOf(ctx, a.ID)
	if err != nil {
		return nil, toAPIError(err)
	}
	return withTempBranches(accountToAPI(a), ts), nil
}

// withTempBranches lists the account's own temporary branches on it (sign-in and /v1/me).
func withTempBranches(out *v1.Account, ts []biz.ActiveTemp) *v1.Account {
	for _, t := range ts {
		out.TempBranches = append(out.TempBranches, &v1.TempBranch{OrgId: t.Org.ID, Name: t.Org.Name, Path: t.Org.Path, Staff: t.Staff,
			StartsOn: t.Org.StartsOn, EndsOn: t.Org.EndsOn})
	}
	return out
}

// ChangePassword implements v1.AuthServer.
func (s *AuthService) ChangePassword(ctx context.Context, req *v1.ChangePasswordRequest) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, toAPIError(s.uc.ChangePassword(ctx, req.OldPassword, req.NewPassword))
}
