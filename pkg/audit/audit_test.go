package audit

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	kerrors "github.com/go-kratos/kratos/v2/errors"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/testing/protocmp"

	orgv1 "github.com/vanguard/vanguard/api/org/v1"
)

// fakeOrg answers AppendAuditLogs with the queued errors, then success, recording every request.
type fakeOrg struct {
	mu       sync.Mutex
	errs     []error
	requests []*orgv1.AppendAuditLogsRequest
}

func (f *fakeOrg) AppendAuditLogs(_ context.Context, req *orgv1.AppendAuditLogsRequest, _ ...grpc.CallOption) (*orgv1.AppendAuditLogsReply, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = append(f.requests, req)
	if len(f.errs) > 0 {
		err := f.errs[0]
		f.errs = f.errs[1:]
		return nil, err
	}
	return &orgv1.AppendAuditLogsReply{Appended: int32(len(req.Entries))}, nil
}

func newTestClient(f *fakeOrg) *Client {
	return &Client{api: f, Attempts: 3, Backoff: time.Millisecond, Timeout: time.Second}
}

func TestAppendConvertsEntries(t *testing.T) {
	f := &fakeOrg{}
	e := Entry{Key: "quiz:regrade:1", ActorID: 7, ActorName: "trainer", ActorOrgPath: "/1/2/", Action: "exam.regrade",
		TargetType: "exam", TargetID: 3, OrgPath: "/1/2/", Summary: strings.Repeat("长", MaxSummary+5), After: map[string]int{"changed": 2}}
	if err := newTestClient(f).Append(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	want := &orgv1.AppendAuditLogsRequest{Entries: []*orgv1.AuditEntry{{
		Key: "quiz:regrade:1", ActorId: 7, ActorName: "trainer", ActorOrgPath: "/1/2/", Action: "exam.regrade",
		TargetType: "exam", TargetId: 3, OrgPath: "/1/2/", Summary: strings.Repeat("长", MaxSummary-1) + "…",
		After: `{"changed":2}`,
	}}}
	if diff := cmp.Diff([]*orgv1.AppendAuditLogsRequest{want}, f.requests, protocmp.Transform()); diff != "" {
		t.Fatalf("requests (-want +got):\n%s", diff)
	}
}

// Transient failures are retried with the very same request (same keys); refusals are not.
func TestAppendRetries(t *testing.T) {
	entry := Entry{Key: "quiz:regrade:1", ActorID: 1, ActorName: "a", ActorOrgPath: "/1/", Action: "exam.regrade", TargetType: "exam", OrgPath: "/1/"}
	tests := []struct {
		name      string
		errs      []error
		wantTries int
		wantErr   bool
	}{
		{"ok", nil, 1, false},
		{"unavailable then ok", []error{kerrors.ServiceUnavailable("X", "down")}, 2, false},
		{"timeouts then ok", []error{kerrors.GatewayTimeout("X", "slow"), kerrors.InternalServer("X", "oops")}, 3, false},
		{"always down", []error{kerrors.ServiceUnavailable("X", "1"), kerrors.ServiceUnavailable("X", "2"), kerrors.ServiceUnavailable("X", "3")}, 3, true},
		{"bad entry", []error{kerrors.BadRequest("INVALID_ARGUMENT", "key")}, 1, true},
		{"forbidden", []error{kerrors.Forbidden("PERMISSION_DENIED", "user token")}, 1, true},
		{"plain error", []error{fmt.Errorf("connection reset")}, 2, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeOrg{errs: tt.errs}
			err := newTestClient(f).Append(context.Background(), entry)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if len(f.requests) != tt.wantTries {
				t.Fatalf("tries = %d, want %d", len(f.requests), tt.wantTries)
			}
			for _, r := range f.requests {
				if r != f.requests[0] {
					t.Fatal("a retry sent a different request")
				}
			}
		})
	}
}

func TestAppendBatches(t *testing.T) {
	f := &fakeOrg{}
	var entries []Entry
	for i := range MaxBatch*2 + 1 {
		entries = append(entries, Entry{Key: fmt.Sprintf("quiz:x:%d", i)})
	}
	if err := newTestClient(f).Append(context.Background(), entries...); err != nil {
		t.Fatal(err)
	}
	var sizes []int
	for _, r := range f.requests {
		sizes = append(sizes, len(r.Entries))
	}
	if diff := cmp.Diff([]int{MaxBatch, MaxBatch, 1}, sizes); diff != "" {
		t.Fatalf("batch sizes (-want +got):\n%s", diff)
	}
	if err := newTestClient(f).Append(context.Background(), Entry{Key: "quiz:x:1", After: func() {}}); err == nil {
		t.Fatal("an entry that is not JSON-encodable was sent")
	}
}

// Refused tells a refusal of the entries themselves (retrying them cannot help) from a failure
// that may pass: an outage, a timeout, credentials org does not accept yet.
func TestRefused(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{kerrors.BadRequest("AUDIT_INVALID", "entries[0].key"), true},
		{fmt.Errorf("audit append (quiz:regrade:1…): %w", status.Error(codes.InvalidArgument, "bad key")), true},
		{status.Error(codes.Unavailable, "org down"), false},
		{status.Error(codes.PermissionDenied, "not a service"), false},
		{status.Error(codes.Unauthenticated, "expired"), false},
		{context.DeadlineExceeded, false},
		{fmt.Errorf("audit append: %w", kerrors.ServiceUnavailable("", "")), false},
		{nil, false},
	} {
		if got := Refused(tc.err); got != tc.want {
			t.Errorf("Refused(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}
