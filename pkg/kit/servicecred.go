package kit

import (
	"context"
	"fmt"
	"time"

	kgrpc "github.com/go-kratos/kratos/v2/transport/grpc"
	"google.golang.org/grpc"

	orgv1 "github.com/vanguard/vanguard/api/org/v1"
	"github.com/vanguard/vanguard/pkg/authn"
	"github.com/vanguard/vanguard/pkg/obs"
)

// ServiceTokens returns a token source that obtains service credentials for service name from
// org's IssueServiceToken (over org's gRPC API, with the service's secret) and renews them
// before they expire. Set the source's Now when the verifiers run on another clock than the
// wall clock (the standalone process under a test clock).
func ServiceTokens(orgAuth orgv1.AuthClient, name, secret string) *authn.ServiceTokenSource {
	src := &authn.ServiceTokenSource{}
	src.Issue = func(ctx context.Context) (string, time.Time, error) {
		rep, err := orgAuth.IssueServiceToken(ctx, &orgv1.IssueServiceTokenRequest{Service: name, Secret: secret})
		if err != nil {
			return "", time.Time{}, err
		}
		now := time.Now
		if src.Now != nil {
			now = src.Now
		}
		return rep.GetAccessToken(), now().Add(time.Duration(rep.GetExpiresIn()) * time.Second), nil
	}
	return src
}

// DialAsService connects to a service's gRPC API (endpoint host:port) calling as the service
// whose tokens src hands out: for work without a user, such as acknowledging events.
func DialAsService(ctx context.Context, endpoint string, src *authn.ServiceTokenSource) (*grpc.ClientConn, error) {
	conn, err := kgrpc.DialInsecure(ctx, kgrpc.WithEndpoint(endpoint), kgrpc.WithMiddleware(obs.TracingClient(), authn.ServiceCredentials(src)))
	if err != nil {
		return nil, fmt.Errorf("dial %s as a service: %w", endpoint, err)
	}
	return conn, nil
}

// DialOrgAsService connects to org's gRPC API (link.GRPCEndpoint) calling as service name, with
// the secret from link (required): tokens come from org's IssueServiceToken over orgConn. For
// what a service does as itself at org, such as appending to the audit log (pkg/audit).
func DialOrgAsService(ctx context.Context, link OrgLink, name string, orgConn grpc.ClientConnInterface) (*grpc.ClientConn, error) {
	if link.ServiceSecret == "" {
		return nil, fmt.Errorf("org.service_secret: required, %s calls org as itself (print it with `org service-secret %s`)", name, name)
	}
	return DialAsService(ctx, link.GRPCEndpoint, ServiceTokens(orgv1.NewAuthClient(orgConn), name, link.ServiceSecret))
}
