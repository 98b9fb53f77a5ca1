package blob_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vanguard/vanguard/pkg/blob"
	"github.com/vanguard/vanguard/pkg/blob/blobtest"
	"github.com/vanguard/vanguard/pkg/clock"
)

var testSigningKey = bytes.Repeat([]byte("k"), 32)

// newLocal returns a Local store in a temporary directory whose URLs are served by a real HTTP
// server, mounted under /blob/ the way the standalone app mounts it.
func newLocal(t testing.TB, clk clock.Clock, mutate ...func(*blob.LocalConfig)) (*blob.Local, string) {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	base := "http://" + srv.Listener.Addr().String() + "/blob"
	cfg := blob.LocalConfig{Root: t.TempDir(), BaseURL: base, SigningKey: testSigningKey, Clock: clk}
	for _, m := range mutate {
		m(&cfg)
	}
	s, err := blob.NewLocal(cfg)
	if err != nil {
		t.Fatalf("NewLocal: %v", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/blob/", s.Handler())
	srv.Config.Handler = mux
	srv.Start()
	t.Cleanup(srv.Close)
	return s, base
}

func TestLocalContract(t *testing.T) {
	// One fake clock for the sequential subtests: expiring URLs advances it.
	clk := clock.NewFake(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	blobtest.Run(t, func(t *testing.T) blob.Store {
		s, _ := newLocal(t, clk)
		return s
	},
		blobtest.WithExpiry(time.Minute, func(*testing.T) { clk.Advance(time.Minute + time.Second) }),
		blobtest.WithSignatureParam(blob.LocalSignatureParam),
	)
}

func TestNewLocalRejectsBadConfig(t *testing.T) {
	good := blob.LocalConfig{Root: t.TempDir(), BaseURL: "http://127.0.0.1:8000/blob", SigningKey: testSigningKey}
	for name, mutate := range map[string]func(*blob.LocalConfig){
		"no root":           func(c *blob.LocalConfig) { c.Root = "" },
		"short key":         func(c *blob.LocalConfig) { c.SigningKey = []byte("short") },
		"relative base":     func(c *blob.LocalConfig) { c.BaseURL = "/blob" },
		"base with query":   func(c *blob.LocalConfig) { c.BaseURL = "http://h/blob?x=1" },
		"ftp base":          func(c *blob.LocalConfig) { c.BaseURL = "ftp://h/blob" },
		"negative max part": func(c *blob.LocalConfig) { c.MaxPartBytes = -1 },
	} {
		cfg := good
		mutate(&cfg)
		if _, err := blob.NewLocal(cfg); err == nil {
			t.Errorf("%s: NewLocal accepted %+v", name, cfg)
		}
	}
	if _, err := blob.NewLocal(good); err != nil {
		t.Errorf("NewLocal(good): %v", err)
	}
}

func TestValidateKey(t *testing.T) {
	for _, tc := range []struct {
		key string
		ok  bool
	}{
		{"courses/1/lectures/2/video.mp4", true},
		{"a..b/c...d", true}, // dots inside a name are fine
		{".hidden/file", true},
		{"名字/文件.pdf", true},
		{"../etc/passwd", false},
		{"a/../../etc/passwd", false},
		{"a/..", false},
		{"..", false},
		{".", false},
		{"./a", false},
		{"/etc/passwd", false},
		{`..\..\windows`, false},
		{`a\b`, false},
		{"a\x00b", false},
		{"a\nb", false},
		{"a//b", false},
		{"a/", false},
		{"", false},
		{"\xff\xfe", false},
		{strings.Repeat("x", blob.MaxKeyLen), true},
		{strings.Repeat("x", blob.MaxKeyLen+1), false},
	} {
		err := blob.ValidateKey(tc.key)
		if (err == nil) != tc.ok {
			t.Errorf("ValidateKey(%q) = %v, want ok=%v", tc.key, err, tc.ok)
		}
		if err != nil && !errors.Is(err, blob.ErrInvalidKey) {
			t.Errorf("ValidateKey(%q) = %v, not ErrInvalidKey", tc.key, err)
		}
	}
}

// Traversal through the HTTP handler: the path is checked before the signature, and nothing
// outside the objects directory is ever opened.
func TestLocalHandlerRejectsTraversal(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	s, base := newLocal(t, clk)
	ctx := context.Background()
	if _, err := s.Put(ctx, "a/ok.txt", strings.NewReader("ok"), 2, "text/plain"); err != nil {
		t.Fatal(err)
	}
	u, err := s.PresignGet(ctx, "a/ok.txt", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	_, query, _ := strings.Cut(u, "?")
	client := &http.Client{}
	for _, p := range []string{"/a/%2e%2e/%2e%2e/%2e%2e/etc/passwd", "/..%2f..%2fetc%2fpasswd", "/a%5c..%5c..%5cx", "/%2fetc%2fpasswd", "/a/ok.txt%00"} {
		resp := blobtest.Do(t, client, http.MethodGet, base+p+"?"+query, nil, nil)
		if resp.Status != http.StatusNotFound {
			t.Errorf("GET %s: status %d, want 404 (body %q)", p, resp.Status, resp.Body)
		}
	}
	// Outside the mount point.
	if resp := blobtest.Do(t, client, http.MethodGet, strings.TrimSuffix(base, "/blob")+"/other/a/ok.txt?"+query, nil, nil); resp.Status != http.StatusNotFound {
		t.Errorf("GET outside /blob/: status %d, want 404", resp.Status)
	}
}

// A signature binds method, key, expiry, upload and part number: changing any one is refused.
func TestLocalSignatureBindsEverything(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	s, base := newLocal(t, clk)
	ctx := context.Background()
	client := &http.Client{}
	for _, k := range []string{"a.txt", "b.txt"} {
		if _, err := s.Put(ctx, k, strings.NewReader(k), int64(len(k)), "text/plain"); err != nil {
			t.Fatal(err)
		}
	}
	getA, err := s.PresignGet(ctx, "a.txt", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	id, err := s.CreateMultipart(ctx, "up.bin", "")
	if err != nil {
		t.Fatal(err)
	}
	id2, err := s.CreateMultipart(ctx, "up.bin", "")
	if err != nil {
		t.Fatal(err)
	}
	part1, err := s.PresignPart(ctx, "up.bin", id, 1, time.Minute)
	if err != nil {
		t.Fatal(err)
	}

	expiry := func(u string) string { // the exp value
		_, q, _ := strings.Cut(u, "exp=")
		v, _, _ := strings.Cut(q, "&")
		return v
	}
	for _, tc := range []struct {
		name, method, url string
	}{
		{"GET of another key", http.MethodGet, strings.Replace(getA, "/a.txt?", "/b.txt?", 1)},
		{"GET with a later expiry", http.MethodGet, strings.Replace(getA, "exp="+expiry(getA), "exp=9"+expiry(getA), 1)},
		{"part URL for another part number", http.MethodPut, strings.Replace(part1, "partNumber=1", "partNumber=2", 1)},
		{"part URL for another upload", http.MethodPut, strings.Replace(part1, "uploadId="+id, "uploadId="+id2, 1)},
		{"part URL for another key", http.MethodPut, strings.Replace(part1, "/up.bin?", "/a.txt?", 1)},
		{"GET URL used to PUT a part", http.MethodPut, getA + "&uploadId=" + id + "&partNumber=1"},
		{"part URL used to GET", http.MethodGet, strings.Replace(part1, "/up.bin?", "/a.txt?", 1)},
		{"signature with an extra character", http.MethodGet, strings.Replace(getA, "sig=", "sig=0", 1)},
	} {
		resp := blobtest.Do(t, client, tc.method, tc.url, []byte("data"), nil)
		if resp.Status != http.StatusForbidden {
			t.Errorf("%s: status %d, want 403 (body %q)", tc.name, resp.Status, resp.Body)
		}
	}
	if parts, err := s.ListParts(ctx, "up.bin", id2); err != nil || len(parts) != 0 {
		t.Errorf("upload 2 got parts %v, %v", parts, err)
	}
	if resp := blobtest.Do(t, client, http.MethodDelete, getA, nil, nil); resp.Status != http.StatusMethodNotAllowed {
		t.Errorf("DELETE: status %d, want 405", resp.Status)
	}
	_ = base
}

// URLs work through their expiry second and are refused after it, on the injected clock.
func TestLocalExpiryBoundary(t *testing.T) {
	start := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	clk := clock.NewFake(start)
	s, _ := newLocal(t, clk)
	ctx := context.Background()
	if _, err := s.Put(ctx, "x", strings.NewReader("x"), 1, ""); err != nil {
		t.Fatal(err)
	}
	u, err := s.PresignGet(ctx, "x", 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{}
	clk.Set(start.Add(10*time.Second + 999*time.Millisecond))
	if resp := blobtest.Do(t, client, http.MethodGet, u, nil, nil); resp.Status != http.StatusOK {
		t.Errorf("GET at the expiry second: status %d, want 200", resp.Status)
	}
	clk.Set(start.Add(11 * time.Second))
	resp := blobtest.Do(t, client, http.MethodGet, u, nil, nil)
	if resp.Status != http.StatusForbidden || !strings.Contains(string(resp.Body), "expired") {
		t.Errorf("GET after expiry: status %d %q, want 403 expired", resp.Status, resp.Body)
	}
}

func TestLocalHeadAndConditional(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	s, _ := newLocal(t, clk)
	ctx := context.Background()
	data := blobtest.Bytes(5, 4096)
	info, err := s.Put(ctx, "slides/deck.pdf", bytes.NewReader(data), int64(len(data)), "application/pdf")
	if err != nil {
		t.Fatal(err)
	}
	u, err := s.PresignGet(ctx, "slides/deck.pdf", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{}

	head := blobtest.Do(t, client, http.MethodHead, u, nil, nil)
	if head.Status != http.StatusOK || len(head.Body) != 0 {
		t.Errorf("HEAD: status %d, %d body bytes; want 200 and no body", head.Status, len(head.Body))
	}
	for k, want := range map[string]string{
		"Content-Length": "4096",
		"Content-Type":   "application/pdf",
		"ETag":           `"` + info.ETag + `"`,
		"Accept-Ranges":  "bytes",
		"Last-Modified":  info.ModTime.UTC().Format(http.TimeFormat),
	} {
		if got := head.Header.Get(k); got != want {
			t.Errorf("HEAD %s = %q, want %q", k, got, want)
		}
	}
	if resp := blobtest.Do(t, client, http.MethodHead, u, nil, http.Header{"Range": {"bytes=10-19"}}); resp.Status != http.StatusPartialContent || resp.Header.Get("Content-Range") != "bytes 10-19/4096" {
		t.Errorf("HEAD with Range: status %d, Content-Range %q", resp.Status, resp.Header.Get("Content-Range"))
	}

	notModified := blobtest.Do(t, client, http.MethodGet, u, nil, http.Header{"If-None-Match": {`"` + info.ETag + `"`}})
	if notModified.Status != http.StatusNotModified || len(notModified.Body) != 0 {
		t.Errorf("If-None-Match with the ETag: status %d, %d bytes; want 304", notModified.Status, len(notModified.Body))
	}
	if resp := blobtest.Do(t, client, http.MethodGet, u, nil, http.Header{"If-None-Match": {`"other"`}}); resp.Status != http.StatusOK || !bytes.Equal(resp.Body, data) {
		t.Errorf("If-None-Match with another ETag: status %d, want 200 and the bytes", resp.Status)
	}
	// If-Range with a stale ETag sends the whole (changed) object instead of a range of it.
	if resp := blobtest.Do(t, client, http.MethodGet, u, nil, http.Header{"Range": {"bytes=0-9"}, "If-Range": {`"stale"`}}); resp.Status != http.StatusOK || len(resp.Body) != len(data) {
		t.Errorf("If-Range with a stale ETag: status %d, %d bytes; want 200 and all", resp.Status, len(resp.Body))
	}
	// A forged URL must not leak even the headers.
	if resp := blobtest.Do(t, client, http.MethodHead, blobtest.ChangeSignature(t, u, blob.LocalSignatureParam), nil, nil); resp.Status != http.StatusForbidden || resp.Header.Get("ETag") != "" {
		t.Errorf("HEAD forged: status %d, ETag %q", resp.Status, resp.Header.Get("ETag"))
	}
}

func TestLocalPartLimits(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	s, _ := newLocal(t, clk, func(c *blob.LocalConfig) { c.MaxPartBytes = 1024 })
	ctx := context.Background()
	client := &http.Client{}
	id, err := s.CreateMultipart(ctx, "big.bin", "")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{0, -1, blob.MaxPartNumber + 1} {
		if _, err := s.PresignPart(ctx, "big.bin", id, n, time.Minute); err == nil {
			t.Errorf("PresignPart(%d) succeeded", n)
		}
	}
	if _, err := s.PresignPart(ctx, "big.bin", id, blob.MaxPartNumber, time.Minute); err != nil {
		t.Errorf("PresignPart(%d): %v", blob.MaxPartNumber, err)
	}
	if _, err := s.PresignPart(ctx, "big.bin", "0123456789abcdef0123456789abcdef", 1, time.Minute); !errors.Is(err, blob.ErrUploadNotFound) {
		t.Errorf("PresignPart for an unknown upload: %v, want ErrUploadNotFound", err)
	}
	u, err := s.PresignPart(ctx, "big.bin", id, 1, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if resp := blobtest.Do(t, client, http.MethodPut, u, make([]byte, 1025), nil); resp.Status != http.StatusRequestEntityTooLarge {
		t.Errorf("PUT 1025 bytes with a 1024 cap: status %d, want 413", resp.Status)
	}
	// Without a Content-Length (chunked) the cap is enforced while reading.
	req, _ := http.NewRequest(http.MethodPut, u, io.MultiReader(bytes.NewReader(make([]byte, 2000))))
	req.ContentLength = -1
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("chunked PUT of 2000 bytes with a 1024 cap: status %d, want 413", resp.StatusCode)
	}
	if parts, err := s.ListParts(ctx, "big.bin", id); err != nil || len(parts) != 0 {
		t.Errorf("ListParts after refused PUTs = %v, %v; want none", parts, err)
	}
	if resp := blobtest.Do(t, client, http.MethodPut, u, make([]byte, 1024), nil); resp.Status != http.StatusOK {
		t.Errorf("PUT exactly 1024 bytes: status %d, want 200", resp.Status)
	}
	bad := strings.Replace(u, "partNumber=1", "partNumber=10001", 1)
	if resp := blobtest.Do(t, client, http.MethodPut, bad, []byte("x"), nil); resp.Status != http.StatusBadRequest {
		t.Errorf("PUT part 10001: status %d, want 400", resp.Status)
	}
}

// A Put that fails half-way leaves the previous object as it was and no temporary file behind.
func TestLocalFailedPutIsAtomic(t *testing.T) {
	root := t.TempDir()
	s, _ := newLocal(t, nil, func(c *blob.LocalConfig) { c.Root = root })
	ctx := context.Background()
	if _, err := s.Put(ctx, "doc.txt", strings.NewReader("version 1"), 9, "text/plain"); err != nil {
		t.Fatal(err)
	}
	broken := io.MultiReader(strings.NewReader("version 2 (partial"), errReader{errors.New("connection reset")})
	if _, err := s.Put(ctx, "doc.txt", broken, 100, "text/plain"); err == nil {
		t.Fatal("Put from a failing reader succeeded")
	}
	rc, err := s.GetRange(ctx, "doc.txt", 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	if string(got) != "version 1" {
		t.Errorf("after a failed Put the object reads %q, want the old %q", got, "version 1")
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.Put(cancelled, "doc.txt", strings.NewReader("version 3"), 9, ""); !errors.Is(err, context.Canceled) {
		t.Errorf("Put with a cancelled context: %v", err)
	}
	if entries, _ := os.ReadDir(filepath.Join(root, ".tmp")); len(entries) != 0 {
		t.Errorf("temporary files left behind: %v", entries)
	}
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// Two Completes of one upload race: exactly one wins, the other finds no upload.
func TestLocalConcurrentComplete(t *testing.T) {
	s, _ := newLocal(t, nil)
	ctx := context.Background()
	client := &http.Client{}
	for round := range 5 {
		key := fmt.Sprintf("race/%d.bin", round)
		id, err := s.CreateMultipart(ctx, key, "")
		if err != nil {
			t.Fatal(err)
		}
		blobtest.PutPart(t, client, s, key, id, 1, []byte("part one"))
		blobtest.PutPart(t, client, s, key, id, 2, []byte("part two"))
		parts, err := s.ListParts(ctx, key, id)
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		errs := make([]error, 4)
		for i := range errs {
			wg.Go(func() { _, errs[i] = s.CompleteMultipart(ctx, key, id, parts) })
		}
		wg.Wait()
		won := 0
		for _, err := range errs {
			switch {
			case err == nil:
				won++
			case !errors.Is(err, blob.ErrUploadNotFound):
				t.Errorf("round %d: losing Complete: %v, want ErrUploadNotFound", round, err)
			}
		}
		if won != 1 {
			t.Errorf("round %d: %d Completes succeeded, want 1 (%v)", round, won, errs)
		}
		rc, err := s.GetRange(ctx, key, 0, -1)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(rc)
		rc.Close()
		if string(got) != "part onepart two" {
			t.Errorf("round %d: object %q", round, got)
		}
	}
}

// Uploads record their start on the injected clock, which is what ListUploads compares.
func TestLocalListUploadsUsesClock(t *testing.T) {
	start := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	clk := clock.NewFake(start)
	s, _ := newLocal(t, clk)
	ctx := context.Background()
	old, err := s.CreateMultipart(ctx, "v/old.mp4", "video/mp4")
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(48 * time.Hour)
	if _, err := s.CreateMultipart(ctx, "v/new.mp4", "video/mp4"); err != nil {
		t.Fatal(err)
	}
	ups, err := s.ListUploads(ctx, "v/", clk.Now().Add(-24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	want := []blob.Upload{{Key: "v/old.mp4", UploadID: old, Initiated: start}}
	if len(ups) != 1 || ups[0].Key != want[0].Key || ups[0].UploadID != old || !ups[0].Initiated.Equal(start) {
		t.Errorf("ListUploads(older than a day) = %+v, want %+v", ups, want)
	}
}
