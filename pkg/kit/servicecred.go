package kit

import (
	"context"
	"fmt"
	"time"

	kgrpc "github.com/go-kratos/kratos/v2/transport/grpc"
	"google.golang.org/grpc"

	orgv1 "github.com/vanguard/vanguard/api/org/v1"
	"github.com/vanguard/vanguard/pkg/auth"
)

// ServiceTokens returns a token source that obtains service credentials for service name from
// org's IssueServiceToken (over org's gRPC API, with the service's secret) and renews them
// before they expire.
func ServiceTokens(orgAuth orgv1.AuthClient, name, secret string) *auth.ServiceTokenSource {
	return &auth.ServiceTokenSource{Issue: func(ctx context.Context) (string, time.Time, error) {
		rep, err := orgAuth.IssueServiceToken(ctx, &orgv1.IssueServiceTokenRequest{Service: name, Secret: secret})
		if err != nil {
			return "", time.Time{}, err
		}
		return rep.GetAccessToken(), time.Now().Add(time.Duration(rep.GetExpiresIn()) * time.Second), nil
	}}
}

// DialAsService connects to a service's gRPC API (endpoint host:port) calling as the service
// whose tokens src hands out: for work without a user, such as acknowledging events.
func DialAsService(ctx context.Context, endpoint string, src *auth.ServiceTokenSource) (*grpc.ClientConn, error) {
	conn, err := kgrpc.DialInsecure(ctx, kgrpc.WithEndpoint(endpoint), kgrpc.WithMiddleware(auth.ServiceCredentials(src)))
	if err != nil {
		return nil, fmt.Errorf("dial %s as a service: %w", endpoint, err)
	}
	return conn, nil
}
