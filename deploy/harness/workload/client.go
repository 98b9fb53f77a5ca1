package workload

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	orgv1 "github.com/vanguard/vanguard/api/org/v1"
)

// sharedHTTP is the one HTTP client every workload uses: thousands of members talk to one
// gateway, so it keeps plenty of idle connections to that host instead of Go's default two.
var sharedHTTP = &http.Client{
	Transport: &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        2048,
		MaxIdleConnsPerHost: 2048,
		IdleConnTimeout:     90 * time.Second,
		// A request that hangs (a killed upstream behind the gateway) must end so it can be
		// retried; the slowest legitimate call (an import of thousands of members) takes seconds.
		ResponseHeaderTimeout: 2 * time.Minute,
	},
}

// HTTPClient is the workloads' shared client, for a baseline that must reuse connections the
// same way (the bare net/http handler's).
func HTTPClient() *http.Client { return sharedHTTP }

// APIError is a reply that was not 200: its status and the error reason of the Kratos error
// body ("" when the body was not one, e.g. a gateway's 502). The message is kept out: errors end
// up in logs and reports, and messages may echo input.
type APIError struct {
	Method, Path string
	Status       int
	Reason       string
}

func (e *APIError) Error() string {
	if e.Reason == "" {
		return fmt.Sprintf("%s %s: HTTP %d", e.Method, e.Path, e.Status)
	}
	return fmt.Sprintf("%s %s: HTTP %d %s", e.Method, e.Path, e.Status, e.Reason)
}

// statusOf is the HTTP status of err (0: no reply at all, a network error or a timeout).
func statusOf(err error) int {
	if ae, ok := errors.AsType[*APIError](err); ok {
		return ae.Status
	}
	return 0
}

// retryable reports whether a request may be sent again as it was: no reply (network error,
// timeout) or a 5xx. Every request the workloads retry is idempotent on the server (submit,
// refresh excluded) or harmless to repeat.
func retryable(err error) bool {
	if err == nil {
		return false
	}
	s := statusOf(err)
	return s == 0 || s >= 500
}

// errorKey names an error for the "errors by status" tables: "HTTP 503", "HTTP 409
// EXAM_CLOSED", "timeout" (no reply in time), "network" or "canceled".
func errorKey(err error) string {
	if ae, ok := errors.AsType[*APIError](err); ok {
		if ae.Reason != "" {
			return fmt.Sprintf("HTTP %d %s", ae.Status, ae.Reason)
		}
		return fmt.Sprintf("HTTP %d", ae.Status)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "timeout"
	}
	if errors.Is(err, context.Canceled) {
		return "canceled"
	}
	return "network"
}

// api sends JSON requests to the gateway.
type api struct {
	base string
}

// call sends one request; in (a proto message or nil) is the JSON body, a 200 reply is decoded
// into out (nil: discarded).
func (a *api) call(ctx context.Context, method, path, token string, in, out proto.Message) error {
	var body io.Reader
	if in != nil {
		b, err := protojson.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	} else if method != http.MethodGet {
		body = strings.NewReader("{}")
	}
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, body)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := sharedHTTP.Do(req)
	if err != nil {
		// *url.Error repeats the URL with its query (what a member searched for); keep the cause.
		if ue, ok := errors.AsType[*url.Error](err); ok {
			err = ue.Err
		}
		return fmt.Errorf("%s %s: %w", method, pathOnly(path), err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return fmt.Errorf("%s %s: read reply: %w", method, pathOnly(path), err)
	}
	if res.StatusCode != http.StatusOK {
		var e struct {
			Reason string `json:"reason"`
		}
		_ = json.Unmarshal(raw, &e)
		return &APIError{Method: method, Path: pathOnly(path), Status: res.StatusCode, Reason: e.Reason}
	}
	if out != nil {
		if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(raw, out); err != nil {
			return fmt.Errorf("%s %s: decode reply: %w", method, pathOnly(path), err)
		}
	}
	return nil
}

// pathOnly drops the query string (it may hold what a member searched for).
func pathOnly(p string) string {
	if i := strings.IndexByte(p, '?'); i >= 0 {
		return p[:i]
	}
	return p
}

// session is one signed-in account: its access token, renewed with the refresh token before it
// expires (access tokens live 15 minutes; a 5,000-member run outlives them).
type session struct {
	api      *api
	ID       int64
	Username string
	password string

	mu      sync.Mutex
	access  string
	refresh string
	expires time.Time
}

// login signs in with username and password.
func login(ctx context.Context, a *api, username, password string) (*session, error) {
	s := &session{api: a, Username: username, password: password}
	var tp orgv1.TokenPair
	err := retry(ctx, 5, func() error {
		return a.call(ctx, http.MethodPost, "/v1/auth/login", "", &orgv1.LoginRequest{Username: username, Password: password}, &tp)
	})
	if err != nil {
		return nil, err
	}
	s.ID = tp.GetAccount().GetId()
	s.set(&tp)
	return s, nil
}

func (s *session) set(tp *orgv1.TokenPair) {
	s.access, s.refresh = tp.GetAccessToken(), tp.GetRefreshToken()
	s.expires = time.Now().Add(time.Duration(tp.GetExpiresIn()) * time.Second)
}

// token returns a valid access token, refreshing it when less than two minutes remain. A
// refresh that fails (a used refresh token after a crash mid-rotation) signs in again.
func (s *session) token(ctx context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if time.Until(s.expires) > 2*time.Minute {
		return s.access, nil
	}
	return s.renewLocked(ctx)
}

// renew forces a new access token (after a 401).
func (s *session) renew(ctx context.Context, stale string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.access != stale {
		return s.access, nil // renewed meanwhile by another request
	}
	return s.renewLocked(ctx)
}

func (s *session) renewLocked(ctx context.Context) (string, error) {
	var tp orgv1.TokenPair
	err := retry(ctx, 3, func() error {
		return s.api.call(ctx, http.MethodPost, "/v1/auth/refresh", "", &orgv1.RefreshRequest{RefreshToken: s.refresh}, &tp)
	})
	if err != nil {
		// A refresh whose reply was lost rotated the token on the server; the one held here is
		// now refused. Sign in again, as a user would.
		err = retry(ctx, 5, func() error {
			return s.api.call(ctx, http.MethodPost, "/v1/auth/login", "", &orgv1.LoginRequest{Username: s.Username, Password: s.password}, &tp)
		})
		if err != nil {
			return "", err
		}
	}
	s.set(&tp)
	return s.access, nil
}

// call is api.call with this session's token; a 401 (token expired or revoked meanwhile)
// renews the token and sends the request once more.
func (s *session) call(ctx context.Context, method, path string, in, out proto.Message) error {
	tok, err := s.token(ctx)
	if err != nil {
		return err
	}
	err = s.api.call(ctx, method, path, tok, in, out)
	if statusOf(err) != http.StatusUnauthorized {
		return err
	}
	if tok, err = s.renew(ctx, tok); err != nil {
		return err
	}
	return s.api.call(ctx, method, path, tok, in, out)
}

// retry runs fn up to attempts times while it fails with a retryable error, backing off from
// 100 ms to 2 s; it returns fn's last error, or ctx's.
func retry(ctx context.Context, attempts int, fn func() error) error {
	backoff := 100 * time.Millisecond
	var err error
	for i := 0; i < attempts; i++ {
		if err = fn(); !retryable(err) || ctx.Err() != nil {
			return err
		}
		if i == attempts-1 {
			break
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 2*time.Second)
	}
	return err
}
