// Package audit is the one shared way for a service to put its staff actions in org's audit log
// (org's service-only Audit.AppendAuditLogs; listed at GET /v1/audit-logs under org's scope
// rules: admins see all, staff their subtree by the entry's OrgPath).
//
// A service builds a Client over a gRPC connection to org that carries its service credentials
// (kit.DialAsService), and its data layer adapts it to the small interface its biz declares, so
// biz imports neither this package nor the SDKs. Every entry has an idempotency key, unique per
// action ("<service>:<operation>:<id>"): org stores each key once, so Append may be retried —
// here, after a timeout, or later from durable state — without duplicating an entry.
package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
	"unicode/utf8"

	kerrors "github.com/go-kratos/kratos/v2/errors"
	"google.golang.org/grpc"

	orgv1 "github.com/vanguard/vanguard/api/org/v1"
)

// Limits of org's audit log, in characters (app/org/internal/biz/limits.go).
const (
	MaxSummary = 512
	MaxBatch   = 100   // entries per request; Append splits longer lists
	MaxKey     = 128   // idempotency key
	MaxJSON    = 16000 // Before and After, each as JSON
)

// Entry is one staff action.
type Entry struct {
	// Key is the action's idempotency key, "<service>:<operation>:<id>", starting with the
	// calling service's name, e.g. "quiz:regrade:42".
	Key string
	// ActorID, ActorName and ActorOrgPath are the user who acted (auth.Principal's UserID,
	// Username and OrgPath).
	ActorID      int64
	ActorName    string
	ActorOrgPath string
	// Action names what was done ("exam.regrade"); TargetType and TargetID what it was done to
	// ("exam", 42).
	Action     string
	TargetType string
	TargetID   int64
	// OrgPath is the path of the org the target belongs to: staff of that org and above see the
	// entry.
	OrgPath string
	// Summary is one sentence for people reading the log; longer than MaxSummary characters it is
	// cut.
	Summary string
	// Before and After are JSON-encodable descriptions of the target around the change (nil:
	// none). Never put a secret (password, token, ID number) in them.
	Before, After any
}

// Appender appends entries to the audit log; appending an entry whose key was appended before
// stores nothing new. Client implements it; tests use fakes.
type Appender interface {
	Append(ctx context.Context, entries ...Entry) error
}

// Discard drops every entry: for tests and benchmarks whose module performs no staff action.
// A service never runs with it.
var Discard Appender = discard{}

type discard struct{}

func (discard) Append(context.Context, ...Entry) error { return nil }

// Client appends to org's audit log over gRPC.
type Client struct {
	api orgv1.AuditClient
	// Attempts is how many times one batch is tried on a transient failure (org unreachable, a
	// 5xx, a timeout); Backoff is the first wait between tries, doubled after each.
	Attempts int
	Backoff  time.Duration
	// Timeout bounds each try.
	Timeout time.Duration
}

var _ Appender = (*Client)(nil)

// NewClient returns a Client over conn, a connection to org's gRPC API that calls as the
// service (kit.DialAsService): AppendAuditLogs refuses user tokens.
func NewClient(conn grpc.ClientConnInterface) *Client {
	return &Client{api: orgv1.NewAuditClient(conn), Attempts: 3, Backoff: 200 * time.Millisecond, Timeout: 5 * time.Second}
}

// Append sends entries to org in batches of MaxBatch, retrying transient failures with the same
// keys (so a try that reached org but lost its reply records nothing twice). A refusal (bad
// entry, wrong credentials) is returned at once: retrying cannot fix it.
func (c *Client) Append(ctx context.Context, entries ...Entry) error {
	for start := 0; start < len(entries); start += MaxBatch {
		batch := entries[start:min(start+MaxBatch, len(entries))]
		req := &orgv1.AppendAuditLogsRequest{Entries: make([]*orgv1.AuditEntry, len(batch))}
		for i, e := range batch {
			pe, err := toProto(e)
			if err != nil {
				return err
			}
			req.Entries[i] = pe
		}
		if err := c.send(ctx, req); err != nil {
			return err
		}
	}
	return nil
}

func (c *Client) send(ctx context.Context, req *orgv1.AppendAuditLogsRequest) error {
	wait := c.Backoff
	var err error
	for try := 1; ; try++ {
		tctx, cancel := context.WithTimeout(ctx, c.Timeout)
		_, err = c.api.AppendAuditLogs(tctx, req)
		cancel()
		if err == nil || !transient(err) || try >= c.Attempts {
			break
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("audit append: %w (last error: %v)", ctx.Err(), err)
		case <-time.After(wait):
		}
		wait *= 2
	}
	if err != nil {
		return fmt.Errorf("audit append (%s…): %w", req.Entries[0].GetKey(), err)
	}
	return nil
}

// transient reports whether a failed try may succeed if repeated: org unreachable or
// overloaded, a server error, a timeout. 4xx refusals are final.
func transient(err error) bool {
	code := kerrors.FromError(err).Code
	return code >= 500 || code == 0 || code == 408 || code == 429
}

// Refused reports whether a failed Append was org refusing the entries themselves (400: an entry
// breaks the audit log's rules, e.g. a key of another service): sending the same entries again
// cannot succeed. Any other failure (org unreachable, a timeout, credentials org does not accept
// yet) may pass later.
func Refused(err error) bool {
	return err != nil && kerrors.FromError(err).Code == 400
}

func toProto(e Entry) (*orgv1.AuditEntry, error) {
	out := &orgv1.AuditEntry{
		Key: e.Key, ActorId: e.ActorID, ActorName: e.ActorName, ActorOrgPath: e.ActorOrgPath,
		Action: e.Action, TargetType: e.TargetType, TargetId: e.TargetID, OrgPath: e.OrgPath,
		Summary: Cut(e.Summary, MaxSummary),
	}
	for _, j := range []struct {
		v   any
		dst *string
	}{{e.Before, &out.Before}, {e.After, &out.After}} {
		if j.v == nil {
			continue
		}
		b, err := json.Marshal(j.v)
		if err != nil {
			return nil, fmt.Errorf("audit entry %s: %w", e.Key, err)
		}
		*j.dst = string(b)
	}
	return out, nil
}

// Cut shortens s to n characters, marking the cut with an ellipsis (for text columns counted
// in characters).
func Cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}
