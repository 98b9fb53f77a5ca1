package obs

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	kerrors "github.com/go-kratos/kratos/v2/errors"
	"github.com/go-kratos/kratos/v2/transport"
)

// fakeTransport is the server transport of a test request: only the operation matters.
type fakeTransport struct{ op string }

type headerMap struct{}

func (f fakeTransport) Kind() transport.Kind            { return transport.KindHTTP }
func (f fakeTransport) Endpoint() string                { return "" }
func (f fakeTransport) Operation() string               { return f.op }
func (f fakeTransport) RequestHeader() transport.Header { return headerMap{} }
func (f fakeTransport) ReplyHeader() transport.Header   { return headerMap{} }
func (headerMap) Get(string) string                     { return "" }
func (headerMap) Set(string, string)                    {}
func (headerMap) Add(string, string)                    {}
func (headerMap) Keys() []string                        { return nil }
func (headerMap) Values(string) []string                { return nil }

type loginRequest struct{ Username, Password string }

func (r *loginRequest) String() string { return r.Username + ":" + r.Password }

// The access log has operation, code, reason and latency of every request, and never the request
// (or the reply); only server errors add the error text.
func TestAccessLogNeverLogsTheRequest(t *testing.T) {
	var buf bytes.Buffer
	mw := AccessLog(NewLogger(&buf, "test"))
	ctx := transport.NewServerContext(context.Background(), fakeTransport{op: "/org.v1.Auth/Login"})
	req := &loginRequest{Username: "alice", Password: "S3cret-pass-99"}
	for _, err := range []error{nil, kerrors.Unauthorized("LOGIN_FAILED", "用户名或密码错误"), kerrors.InternalServer("INTERNAL", "x").WithCause(context.DeadlineExceeded)} {
		_, _ = mw(func(context.Context, any) (any, error) { return req, err })(ctx, req)
	}
	out := buf.String()
	if strings.Contains(out, "S3cret-pass-99") || strings.Contains(out, "alice") {
		t.Fatalf("access log holds the request:\n%s", out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 {
		t.Fatalf("want 3 lines, got:\n%s", out)
	}
	for i, want := range []struct {
		code   float64
		reason string
		hasErr bool
	}{{200, "", false}, {401, "LOGIN_FAILED", false}, {500, "INTERNAL", true}} {
		var m map[string]any
		if err := json.Unmarshal([]byte(lines[i]), &m); err != nil {
			t.Fatal(err)
		}
		if m["operation"] != "/org.v1.Auth/Login" || m["code"] != want.code || m["reason"] != want.reason || m["latency"] == nil {
			t.Errorf("line %d = %v", i, m)
		}
		if _, ok := m["error"]; ok != want.hasErr {
			t.Errorf("line %d error field present = %v, want %v", i, ok, want.hasErr)
		}
		if _, ok := m["args"]; ok {
			t.Errorf("line %d has args", i)
		}
	}
	if !strings.Contains(lines[2], "deadline exceeded") {
		t.Errorf("a 500 should log its cause: %s", lines[2])
	}
}

// A panicking handler becomes a 500 and a log line with the stack, without the request.
func TestRecoveryDoesNotLogTheRequest(t *testing.T) {
	var buf bytes.Buffer
	ctx := transport.NewServerContext(context.Background(), fakeTransport{op: "/org.v1.Accounts/ResetPassword"})
	req := &loginRequest{Username: "bob", Password: "Another-S3cret"}
	_, err := Recovery(NewLogger(&buf, "test"))(func(context.Context, any) (any, error) { panic("boom") })(ctx, req)
	if kerrors.Code(err) != 500 {
		t.Fatalf("err = %v, want 500", err)
	}
	out := buf.String()
	if strings.Contains(out, "Another-S3cret") || !strings.Contains(out, "boom") || !strings.Contains(out, "ResetPassword") {
		t.Fatalf("recovery log:\n%s", out)
	}
}

// headers is a transport header backed by a map, to see what the middleware sets.
type headers map[string]string

func (h headers) Get(k string) string      { return h[k] }
func (h headers) Set(k, v string)          { h[k] = v }
func (h headers) Add(k, v string)          { h[k] = v }
func (h headers) Keys() []string           { return nil }
func (h headers) Values(k string) []string { return []string{h[k]} }

type headerTransport struct {
	fakeTransport
	in, out headers
}

func (t headerTransport) RequestHeader() transport.Header { return t.in }
func (t headerTransport) ReplyHeader() transport.Header   { return t.out }

// Each line names the verified caller and the request id (the caller's, when it is plain, sent
// back either way); with SuccessEvery, successes are sampled and failures never.
func TestAccessLogCallerRequestIDAndSampling(t *testing.T) {
	var buf bytes.Buffer
	mw := AccessLog(NewLogger(&buf, "test"), AccessLogConfig{SuccessEvery: 3})
	call := func(rid string, err error) headers {
		tr := headerTransport{fakeTransport{op: "/quiz.v1.Quiz/SaveAnswer"}, headers{RequestIDHeader: rid}, headers{}}
		ctx := transport.NewServerContext(context.Background(), tr)
		_, _ = mw(func(ctx context.Context, _ any) (any, error) {
			SetCaller(ctx, 42, "")
			if got := RequestID(ctx); got == "" || got != tr.out[RequestIDHeader] {
				t.Errorf("RequestID in the context = %q, reply header %q", got, tr.out[RequestIDHeader])
			}
			return nil, err
		})(ctx, nil)
		return tr.out
	}
	if out := call("client-id-1", nil); out[RequestIDHeader] != "client-id-1" {
		t.Errorf("a plain request id was not kept: %v", out)
	}
	if out := call("bad id\nwith=stuff", nil); out[RequestIDHeader] == "" || strings.ContainsAny(out[RequestIDHeader], " \n=") {
		t.Errorf("a bad request id was not replaced: %v", out)
	}
	call("", nil) // the third success: logged
	for range 2 {
		call("", kerrors.Conflict("STALE_ANSWER", "x")) // failures: always logged
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("want 1 sampled success and 2 failures, got %d lines:\n%s", len(lines), buf.String())
	}
	for _, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatal(err)
		}
		if m["user_id"] != float64(42) || m["request_id"] == "" || m["request_id"] == nil {
			t.Errorf("line lacks the caller or the request id: %s", l)
		}
	}
	if !strings.Contains(lines[0], `"sampled_one_in":3`) {
		t.Errorf("a sampled success does not say so: %s", lines[0])
	}
}

// A client's X-Request-ID reaches the log only as a plain token of at most 64 characters:
// anything longer or carrying other bytes (spaces, quotes, newlines, non-ASCII, "=") is replaced,
// so the header cannot smuggle arbitrary text (a password, a forged log field) into a log line.
func TestAccessLogRefusesUnsafeRequestIDs(t *testing.T) {
	for _, rid := range []string{
		strings.Repeat("a", 65),
		"password=hunter2",
		`x","user_id":1`,
		"line\nbreak",
		"tab\there",
		"身份证11010519491231002X",
		"Bearer eyJhbGciOi.x y",
	} {
		var buf bytes.Buffer
		tr := headerTransport{fakeTransport{op: "/org.v1.Auth/Login"}, headers{RequestIDHeader: rid}, headers{}}
		ctx := transport.NewServerContext(context.Background(), tr)
		_, _ = AccessLog(NewLogger(&buf, "test"))(func(context.Context, any) (any, error) {
			return nil, nil
		})(ctx, nil)
		if got := tr.out[RequestIDHeader]; got == rid || !validRequestID(got) {
			t.Errorf("request id %q: replied %q, want a fresh plain id", rid, got)
		}
		if strings.Contains(buf.String(), rid) {
			t.Errorf("request id %q reached the log: %s", rid, buf.String())
		}
	}
	if !validRequestID(strings.Repeat("a", 64)) {
		t.Error("a 64-character plain id was refused")
	}
}
