package main

import (
	"context"
	"encoding/json"
	"io"
	"net"
	nethttp "net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-kratos/kratos/v2/errors"
	"github.com/go-kratos/kratos/v2/transport"
	khttp "github.com/go-kratos/kratos/v2/transport/http"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/vanguard/vanguard/cmd/protoc-gen-go-http/internal/testapi"
)

// orgServer implements testapi.OrgServiceHTTPServer and records the last
// request (and operation) each method received.
type orgServer struct {
	mu   sync.Mutex
	reqs map[string]proto.Message
	ops  map[string]string
}

var _ testapi.OrgServiceHTTPServer = (*orgServer)(nil)

func (s *orgServer) record(ctx context.Context, name string, req proto.Message) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.reqs == nil {
		s.reqs, s.ops = map[string]proto.Message{}, map[string]string{}
	}
	s.reqs[name] = proto.Clone(req)
	if tr, ok := transport.FromServerContext(ctx); ok {
		s.ops[name] = tr.Operation()
	}
}

// last returns the last request recorded for name and the operation that
// was set on the transport for it.
func (s *orgServer) last(name string) (proto.Message, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reqs[name], s.ops[name]
}

func (s *orgServer) GetOrg(ctx context.Context, in *testapi.GetOrgRequest) (*testapi.Org, error) {
	s.record(ctx, "GetOrg", in)
	if in.GetId() == "missing" {
		return nil, errors.NotFound("ORG_NOT_FOUND", "org missing does not exist")
	}
	return &testapi.Org{Id: in.GetId(), Name: in.GetName(), DisplayName: "view=" + in.GetView()}, nil
}

func (s *orgServer) ListOrgs(ctx context.Context, in *testapi.ListOrgsRequest) (*testapi.ListOrgsResponse, error) {
	s.record(ctx, "ListOrgs", in)
	return &testapi.ListOrgsResponse{Orgs: []*testapi.Org{{Id: "a"}, {Id: "b"}}, NextPageToken: "next"}, nil
}

func (s *orgServer) CreateOrg(ctx context.Context, in *testapi.CreateOrgRequest) (*testapi.Org, error) {
	s.record(ctx, "CreateOrg", in)
	return &testapi.Org{Id: "new", Name: in.GetName(), DisplayName: in.GetDisplayName(), Seats: in.GetSeats()}, nil
}

func (s *orgServer) UpdateOrg(ctx context.Context, in *testapi.UpdateOrgRequest) (*testapi.Org, error) {
	s.record(ctx, "UpdateOrg", in)
	return in.GetOrg(), nil
}

func (s *orgServer) ReplaceOrg(ctx context.Context, in *testapi.ReplaceOrgRequest) (*testapi.Org, error) {
	s.record(ctx, "ReplaceOrg", in)
	return &testapi.Org{Id: in.GetId(), DisplayName: in.GetDisplayName()}, nil
}

func (s *orgServer) DeleteOrg(ctx context.Context, in *testapi.DeleteOrgRequest) (*emptypb.Empty, error) {
	s.record(ctx, "DeleteOrg", in)
	return &emptypb.Empty{}, nil
}

func (s *orgServer) GetMember(ctx context.Context, in *testapi.GetMemberRequest) (*testapi.Member, error) {
	s.record(ctx, "GetMember", in)
	return &testapi.Member{Name: in.GetName(), Email: "bob@example.com"}, nil
}

func (s *orgServer) GetSettings(ctx context.Context, in *testapi.GetSettingsRequest) (*testapi.GetSettingsResponse, error) {
	s.record(ctx, "GetSettings", in)
	return &testapi.GetSettingsResponse{
		Settings: &testapi.Settings{OrgId: in.GetOrgId(), Sso: true, Locale: "en"},
		Etag:     "etag-must-not-be-sent",
	}, nil
}

// startServer serves impl with the generated routes on 127.0.0.1:0 and
// returns the listener address.
func startServer(t *testing.T, impl testapi.OrgServiceHTTPServer) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := khttp.NewServer(khttp.Listener(lis))
	testapi.RegisterOrgServiceHTTPServer(srv, impl)
	done := make(chan error, 1)
	go func() { done <- srv.Start(context.Background()) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Stop(ctx); err != nil {
			t.Errorf("stop: %v", err)
		}
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return lis.Addr().String()
}

// TestEndToEnd serves the committed generated code with a real Kratos HTTP
// server and calls it through the generated client and through net/http.
func TestEndToEnd(t *testing.T) {
	impl := &orgServer{}
	addr := startServer(t, impl)
	ctx := context.Background()
	conn, err := khttp.NewClient(ctx, khttp.WithEndpoint(addr), khttp.WithTimeout(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	client := testapi.NewOrgServiceHTTPClient(conn)

	// wantReq asserts the last request received by method.
	wantReq := func(t *testing.T, method string, want proto.Message) {
		t.Helper()
		got, op := impl.last(method)
		if !proto.Equal(got, want) {
			t.Errorf("%s received %v, want %v", method, got, want)
		}
		if wantOp := "/vanguard.testing.httpapi.v1.OrgService/" + method; op != wantOp {
			t.Errorf("%s operation = %q, want %q", method, op, wantOp)
		}
	}

	t.Run("client GET path var and query", func(t *testing.T) {
		org, err := client.GetOrg(ctx, &testapi.GetOrgRequest{Id: "acme", View: "full"})
		if err != nil {
			t.Fatal(err)
		}
		if org.GetId() != "acme" || org.GetDisplayName() != "view=full" {
			t.Errorf("reply = %v", org)
		}
		wantReq(t, "GetOrg", &testapi.GetOrgRequest{Id: "acme", View: "full"})
	})

	t.Run("client error", func(t *testing.T) {
		_, err := client.GetOrg(ctx, &testapi.GetOrgRequest{Id: "missing"})
		if !errors.IsNotFound(err) || errors.Reason(err) != "ORG_NOT_FOUND" {
			t.Fatalf("err = %v, want 404 ORG_NOT_FOUND", err)
		}
	})

	t.Run("client GET query only", func(t *testing.T) {
		want := &testapi.ListOrgsRequest{
			PageSize: 10, PageToken: "tok", Filter: "name=a b&c",
			Tags: []string{"x", "y"}, IncludeDeleted: proto.Bool(true),
		}
		resp, err := client.ListOrgs(ctx, want)
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.GetOrgs()) != 2 || resp.GetNextPageToken() != "next" {
			t.Errorf("reply = %v", resp)
		}
		wantReq(t, "ListOrgs", want)
	})

	t.Run("client POST body star", func(t *testing.T) {
		want := &testapi.CreateOrgRequest{Name: "acme", DisplayName: "Acme Inc.", Seats: 7}
		org, err := client.CreateOrg(ctx, want)
		if err != nil {
			t.Fatal(err)
		}
		if org.GetId() != "new" || org.GetSeats() != 7 || org.GetDisplayName() != "Acme Inc." {
			t.Errorf("reply = %v", org)
		}
		wantReq(t, "CreateOrg", want)
	})

	t.Run("client PATCH body field nested var and field mask", func(t *testing.T) {
		want := &testapi.UpdateOrgRequest{
			Org:        &testapi.Org{Id: "acme", DisplayName: "Renamed", Tags: []string{"t"}},
			UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"display_name", "tags"}},
		}
		// binding.EncodeURL rewrites field mask paths in place, so send a copy.
		org, err := client.UpdateOrg(ctx, proto.Clone(want).(*testapi.UpdateOrgRequest))
		if err != nil {
			t.Fatal(err)
		}
		if !proto.Equal(org, want.GetOrg()) {
			t.Errorf("reply = %v", org)
		}
		wantReq(t, "UpdateOrg", want)
	})

	t.Run("client PUT body star with path var", func(t *testing.T) {
		want := &testapi.ReplaceOrgRequest{Id: "acme", DisplayName: "Replaced"}
		if _, err := client.ReplaceOrg(ctx, want); err != nil {
			t.Fatal(err)
		}
		wantReq(t, "ReplaceOrg", want)
	})

	t.Run("client DELETE", func(t *testing.T) {
		want := &testapi.DeleteOrgRequest{Id: "acme", Force: true}
		if _, err := client.DeleteOrg(ctx, want); err != nil {
			t.Fatal(err)
		}
		wantReq(t, "DeleteOrg", want)
	})

	t.Run("client GET templated var", func(t *testing.T) {
		want := &testapi.GetMemberRequest{Name: "orgs/acme/members/bob"}
		m, err := client.GetMember(ctx, want)
		if err != nil {
			t.Fatal(err)
		}
		if m.GetName() != want.GetName() {
			t.Errorf("reply = %v", m)
		}
		wantReq(t, "GetMember", want)
	})

	t.Run("client response_body", func(t *testing.T) {
		resp, err := client.GetSettings(ctx, &testapi.GetSettingsRequest{OrgId: "acme"})
		if err != nil {
			t.Fatal(err)
		}
		want := &testapi.GetSettingsResponse{Settings: &testapi.Settings{OrgId: "acme", Sso: true, Locale: "en"}}
		if !proto.Equal(resp, want) {
			t.Errorf("reply = %v, want %v", resp, want)
		}
	})

	base := "http://" + addr
	raw := func(t *testing.T, method, path, body string) (int, map[string]any) {
		t.Helper()
		var rd io.Reader
		if body != "" {
			rd = strings.NewReader(body)
		}
		req, err := nethttp.NewRequestWithContext(ctx, method, base+path, rd)
		if err != nil {
			t.Fatal(err)
		}
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := nethttp.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		data, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		var out map[string]any
		if resp.StatusCode == nethttp.StatusOK {
			if err := json.Unmarshal(data, &out); err != nil {
				t.Fatalf("%s %s: decoding %q: %v", method, path, data, err)
			}
		}
		return resp.StatusCode, out
	}

	t.Run("net/http additional binding with templated var", func(t *testing.T) {
		code, out := raw(t, "GET", "/v1/names/orgs/acme?view=basic", "")
		if code != 200 || out["name"] != "orgs/acme" || out["displayName"] != "view=basic" {
			t.Errorf("status %d body %v", code, out)
		}
		wantReq(t, "GetOrg", &testapi.GetOrgRequest{Name: "orgs/acme", View: "basic"})
	})

	t.Run("net/http query binding", func(t *testing.T) {
		code, _ := raw(t, "GET", "/v1/orgs?page_size=5&pageToken=p&tags=a&tags=b&include_deleted=false", "")
		if code != 200 {
			t.Fatalf("status %d", code)
		}
		wantReq(t, "ListOrgs", &testapi.ListOrgsRequest{
			PageSize: 5, PageToken: "p", Tags: []string{"a", "b"}, IncludeDeleted: proto.Bool(false),
		})
	})

	t.Run("net/http POST body", func(t *testing.T) {
		code, out := raw(t, "POST", "/v1/orgs", `{"name":"acme","displayName":"Acme","seats":3}`)
		if code != 200 || out["id"] != "new" || out["seats"] != float64(3) {
			t.Errorf("status %d body %v", code, out)
		}
		wantReq(t, "CreateOrg", &testapi.CreateOrgRequest{Name: "acme", DisplayName: "Acme", Seats: 3})
	})

	t.Run("net/http PATCH body field and nested path var", func(t *testing.T) {
		code, out := raw(t, "PATCH", "/v1/orgs/acme?update_mask=display_name", `{"display_name":"New"}`)
		if code != 200 || out["id"] != "acme" || out["displayName"] != "New" {
			t.Errorf("status %d body %v", code, out)
		}
		wantReq(t, "UpdateOrg", &testapi.UpdateOrgRequest{
			Org:        &testapi.Org{Id: "acme", DisplayName: "New"},
			UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"display_name"}},
		})
	})

	t.Run("net/http additional binding POST custom verb", func(t *testing.T) {
		code, _ := raw(t, "POST", "/v1/orgs/acme:replace", `{"displayName":"R"}`)
		if code != 200 {
			t.Fatalf("status %d", code)
		}
		wantReq(t, "ReplaceOrg", &testapi.ReplaceOrgRequest{Id: "acme", DisplayName: "R"})
	})

	t.Run("net/http DELETE query", func(t *testing.T) {
		code, _ := raw(t, "DELETE", "/v1/orgs/gone?force=true", "")
		if code != 200 {
			t.Fatalf("status %d", code)
		}
		wantReq(t, "DeleteOrg", &testapi.DeleteOrgRequest{Id: "gone", Force: true})
	})

	t.Run("net/http response_body", func(t *testing.T) {
		code, out := raw(t, "GET", "/v1/orgs/acme/settings", "")
		if code != 200 || out["orgId"] != "acme" || out["sso"] != true {
			t.Errorf("status %d body %v", code, out)
		}
		if _, ok := out["etag"]; ok {
			t.Errorf("response_body leaked the whole reply: %v", out)
		}
	})

	t.Run("net/http unrouted methods", func(t *testing.T) {
		for _, p := range []string{"/vanguard.testing.httpapi.v1.OrgService/Ping", "/v1/watch"} {
			if code, _ := raw(t, "GET", p, ""); code != nethttp.StatusNotFound {
				t.Errorf("GET %s: status %d, want 404", p, code)
			}
		}
		if code, _ := raw(t, "POST", "/v1/orgs/acme", `{}`); code != nethttp.StatusNotFound && code != nethttp.StatusMethodNotAllowed {
			t.Errorf("POST /v1/orgs/acme: status %d, want 404 or 405", code)
		}
	})
}
