package standalone

import (
	"context"
	"testing"
	"time"

	kerrors "github.com/go-kratos/kratos/v2/errors"
	"github.com/go-kratos/kratos/v2/middleware"
	"github.com/go-kratos/kratos/v2/transport"
	kgrpc "github.com/go-kratos/kratos/v2/transport/grpc"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"

	coursev1 "github.com/vanguard/vanguard/api/course/v1"
	eventsv1 "github.com/vanguard/vanguard/api/events/v1"
	orgv1 "github.com/vanguard/vanguard/api/org/v1"
	quizv1 "github.com/vanguard/vanguard/api/quiz/v1"
	"github.com/vanguard/vanguard/pkg/authn"
)

// grpcConn dials the process's gRPC API sending token (if any) as the bearer token.
func (l *live) grpcConn(token string) *grpc.ClientConn {
	l.t.Helper()
	setToken := func(next middleware.Handler) middleware.Handler {
		return func(ctx context.Context, req any) (any, error) {
			if tr, ok := transport.FromClientContext(ctx); ok && token != "" {
				tr.RequestHeader().Set("Authorization", "Bearer "+token)
			}
			return next(ctx, req)
		}
	}
	conn, err := kgrpc.DialInsecure(context.Background(), kgrpc.WithEndpoint(l.p.grpcAddr), kgrpc.WithMiddleware(setToken))
	if err != nil {
		l.t.Fatal(err)
	}
	l.t.Cleanup(func() { conn.Close() })
	return conn
}

// grpcAs returns org's Auth client and the producers' Events clients calling with token.
func (l *live) grpcAs(token string) (orgv1.AuthClient, quizv1.EventsClient, coursev1.EventsClient) {
	conn := l.grpcConn(token)
	return orgv1.NewAuthClient(conn), quizv1.NewEventsClient(conn), coursev1.NewEventsClient(conn)
}

// serviceToken issues an access token to the named service with its secret.
func (l *live) serviceToken(svc string) string {
	l.t.Helper()
	anon, _, _ := l.grpcAs("")
	rep, err := anon.IssueServiceToken(context.Background(), &orgv1.IssueServiceTokenRequest{Service: svc, Secret: l.p.ServiceSecret(svc)})
	if err != nil {
		l.t.Fatal(err)
	}
	return rep.GetAccessToken()
}

func wantCode(t *testing.T, what string, err error, code int) {
	t.Helper()
	if got := kerrors.Code(err); got != code {
		t.Fatalf("%s: code %d (%v), want %d", what, got, err, code)
	}
}

// Service credentials: org issues them only for the right secret; they open the service-only
// operations (event acknowledgements) and nothing else; user tokens, no token, an expired or a
// forged service token, and a service acknowledging for another service are all refused.
func TestServiceCredentials(t *testing.T) {
	l := startLive(t)
	ctx := context.Background()
	anon, _, _ := l.grpcAs("")

	// Issuing: wrong secret 401, malformed request 400, right secret a token.
	_, err := anon.IssueServiceToken(ctx, &orgv1.IssueServiceTokenRequest{Service: "search", Secret: l.p.ServiceSecret("growth")})
	wantCode(t, "another service's secret", err, 401)
	_, err = anon.IssueServiceToken(ctx, &orgv1.IssueServiceTokenRequest{Service: "Search!", Secret: l.p.ServiceSecret("search")})
	wantCode(t, "bad service name", err, 400)
	rep, err := anon.IssueServiceToken(ctx, &orgv1.IssueServiceTokenRequest{Service: "search", Secret: l.p.ServiceSecret("search")})
	if err != nil {
		t.Fatal(err)
	}
	if rep.GetExpiresIn() <= 0 || rep.GetExpiresIn() > int64(authn.ServiceTTL.Seconds()) {
		t.Fatalf("expires_in = %d", rep.GetExpiresIn())
	}
	svcToken := rep.GetAccessToken()
	ack := &eventsv1.AckEventsRequest{Subscriber: "search", EventIds: []int64{1, 2}}

	// The service operation: no token 401, a user's token 403, the service's own token OK, on
	// both producers; acknowledging for another subscriber 403.
	_, quizNoToken, _ := l.grpcAs("")
	_, err = quizNoToken.AckEvents(ctx, ack)
	wantCode(t, "ack without a token", err, 401)
	admin := l.login("admin", "Admin-pass-2026")
	_, quizAsAdmin, courseAsAdmin := l.grpcAs(admin)
	_, err = quizAsAdmin.AckEvents(ctx, ack)
	wantCode(t, "ack with an admin's token", err, 403)
	_, err = courseAsAdmin.AckEvents(ctx, ack)
	wantCode(t, "course ack with an admin's token", err, 403)
	orgAsSvc, quizAsSvc, courseAsSvc := l.grpcAs(svcToken)
	if r, err := quizAsSvc.AckEvents(ctx, ack); err != nil || r.GetAcknowledged() != 0 {
		t.Fatalf("service ack = %v, %v; want OK with nothing to close", r, err)
	}
	if _, err := courseAsSvc.AckEvents(ctx, ack); err != nil {
		t.Fatalf("course service ack: %v", err)
	}
	// org's events (development steps, transfers) the same way.
	_, err = orgv1.NewEventsClient(l.grpcConn(admin)).AckEvents(ctx, ack)
	wantCode(t, "org ack with an admin's token", err, 403)
	if _, err := orgv1.NewEventsClient(l.grpcConn(svcToken)).AckEvents(ctx, ack); err != nil {
		t.Fatalf("org service ack: %v", err)
	}
	_, err = quizAsSvc.AckEvents(ctx, &eventsv1.AckEventsRequest{Subscriber: "growth", EventIds: []int64{1}})
	wantCode(t, "acknowledging for another subscriber", err, 403)
	_, err = quizAsSvc.AckEvents(ctx, &eventsv1.AckEventsRequest{Subscriber: "search"})
	wantCode(t, "acknowledging nothing", err, 400)

	// The service token opens no user operation, over gRPC or HTTP.
	_, err = orgAsSvc.GetMe(ctx, &emptypb.Empty{})
	wantCode(t, "GetMe with a service token", err, 403)
	for _, route := range []string{"/v1/me", "/v1/my/courses", "/v1/my/exams", "/v1/orgs", "/v1/audit-logs"} {
		if status, _ := get(t, l.url+route, svcToken); status != 403 {
			t.Fatalf("GET %s with a service token = %d, want 403", route, status)
		}
	}

	// A forged service token (signed with another key) and an expired one are refused.
	key, err := authn.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	forged, _, err := authn.NewSigner(key, l.clock).SignService("search")
	if err != nil {
		t.Fatal(err)
	}
	_, quizForged, _ := l.grpcAs(forged)
	_, err = quizForged.AckEvents(ctx, ack)
	wantCode(t, "forged service token", err, 401)
	l.clock.Advance(authn.ServiceTTL + time.Minute)
	_, err = quizAsSvc.AckEvents(ctx, ack)
	wantCode(t, "expired service token", err, 401)

	// The client side renews: a token source over org's API keeps working across expiry.
	conn, err := l.p.DialAsService(ctx, "search")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	renewing := quizv1.NewEventsClient(conn)
	if _, err := renewing.AckEvents(ctx, ack); err != nil {
		t.Fatalf("ack through DialAsService: %v", err)
	}
}
