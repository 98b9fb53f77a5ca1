// Package blobtest is the contract every blob.Store adapter must meet, written once and run
// against each of them (the local filesystem store and MinIO), so the standalone mode and
// production behave the same for the code above them. Presigned URLs are exercised over real
// HTTP with plain net/http, as a browser would use them.
package blobtest

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vanguard/vanguard/pkg/blob"
)

// MiB is a mebibyte; S3 parts other than the last must be at least 5 MiB.
const MiB = 1 << 20

// Option adapts Run to an adapter.
type Option func(*config)

type config struct {
	ttl      time.Duration
	expire   func(t *testing.T)
	sigParam string
	client   *http.Client
}

// WithExpiry says how to make presigned URLs expire: URLs presigned with ttl must be refused
// once expire has returned. A store on a fake clock advances it; the default, for servers on the
// wall clock such as MinIO, is a 3-second ttl and a 4-second sleep.
func WithExpiry(ttl time.Duration, expire func(t *testing.T)) Option {
	return func(c *config) { c.ttl, c.expire = ttl, expire }
}

// WithSignatureParam names the query parameter of presigned URLs that holds the signature, so
// the suite can forge one; the default is S3's "X-Amz-Signature".
func WithSignatureParam(name string) Option {
	return func(c *config) { c.sigParam = name }
}

// WithHTTPClient sets the client that fetches presigned URLs (default: one with a 2-minute
// timeout).
func WithHTTPClient(client *http.Client) Option {
	return func(c *config) { c.client = client }
}

// Run runs the contract against stores made by newStore, which is called once per subtest and
// must return an empty store (a fresh directory or bucket) that is cleaned up with t.
func Run(t *testing.T, newStore func(t *testing.T) blob.Store, opts ...Option) {
	c := &config{
		ttl:      3 * time.Second,
		expire:   func(*testing.T) { time.Sleep(4 * time.Second) },
		sigParam: "X-Amz-Signature",
		client:   &http.Client{Timeout: 2 * time.Minute},
	}
	for _, o := range opts {
		o(c)
	}
	tests := []struct {
		name string
		run  func(t *testing.T, c *config, s blob.Store)
	}{
		{"PutStatGetRange", testPutStatGetRange},
		{"PutEdgeCases", testPutEdgeCases},
		{"DeleteAndNotFound", testDeleteAndNotFound},
		{"InvalidKeys", testInvalidKeys},
		{"PresignedGet", testPresignedGet},
		{"PresignedGetForged", testPresignedGetForged},
		{"PresignedExpired", testPresignedExpired},
		{"Multipart", testMultipart},
		{"MultipartAbort", testMultipartAbort},
		{"ListUploads", testListUploads},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, c, newStore(t)) })
	}
}

func testPutStatGetRange(t *testing.T, _ *config, s blob.Store) {
	ctx := context.Background()
	data := Bytes(1, 1000)
	const key = "courses/7/lectures/3/handout.pdf"
	put, err := s.Put(ctx, key, bytes.NewReader(data), int64(len(data)), "application/pdf")
	if err != nil {
		t.Fatalf("Put: %v", err)
	}
	want := blob.Info{Key: key, Size: 1000, ContentType: "application/pdf", ETag: MD5Hex(data)}
	if diff := cmp.Diff(want, put, ignoreModTime); diff != "" {
		t.Errorf("Put info (-want +got):\n%s", diff)
	}
	if put.ModTime.IsZero() {
		t.Errorf("Put info has no ModTime")
	}
	stat, err := s.Stat(ctx, key)
	if err != nil {
		t.Fatalf("Stat: %v", err)
	}
	if diff := cmp.Diff(want, stat, ignoreModTime); diff != "" {
		t.Errorf("Stat info (-want +got):\n%s", diff)
	}
	if d := stat.ModTime.Sub(put.ModTime).Abs(); d > time.Second {
		t.Errorf("Stat ModTime %v differs from Put's %v", stat.ModTime, put.ModTime)
	}

	for _, tc := range []struct {
		name           string
		offset, length int64
		want           []byte
	}{
		{"first bytes", 0, 10, data[:10]},
		{"middle", 100, 50, data[100:150]},
		{"suffix to end", 990, -1, data[990:]},
		{"whole", 0, -1, data},
		{"length past the end is cut", 995, 100, data[995:]},
		{"last byte", 999, 1, data[999:]},
		{"empty", 500, 0, []byte{}},
	} {
		got, err := readRange(ctx, s, key, tc.offset, tc.length)
		if err != nil {
			t.Errorf("GetRange(%s, %d, %d): %v", tc.name, tc.offset, tc.length, err)
			continue
		}
		if !bytes.Equal(got, tc.want) {
			t.Errorf("GetRange(%s, %d, %d) = %d bytes, want %d bytes %s", tc.name, tc.offset, tc.length, len(got), len(tc.want), firstDiff(tc.want, got))
		}
	}
	for _, off := range []int64{-1, 1000, 5000} {
		if rc, err := s.GetRange(ctx, key, off, 10); !errors.Is(err, blob.ErrInvalidRange) {
			closeIf(rc)
			t.Errorf("GetRange(offset %d) of 1000 bytes: err = %v, want ErrInvalidRange", off, err)
		}
	}

	// Overwrite: the new bytes and content type replace the old.
	data2 := Bytes(2, 300)
	if _, err := s.Put(ctx, key, bytes.NewReader(data2), int64(len(data2)), "text/plain"); err != nil {
		t.Fatalf("Put (overwrite): %v", err)
	}
	stat, err = s.Stat(ctx, key)
	if err != nil {
		t.Fatalf("Stat after overwrite: %v", err)
	}
	want = blob.Info{Key: key, Size: 300, ContentType: "text/plain", ETag: MD5Hex(data2)}
	if diff := cmp.Diff(want, stat, ignoreModTime); diff != "" {
		t.Errorf("Stat after overwrite (-want +got):\n%s", diff)
	}
	if got, err := readRange(ctx, s, key, 0, -1); err != nil || !bytes.Equal(got, data2) {
		t.Errorf("GetRange after overwrite: %d bytes, err %v; want the new %d bytes", len(got), err, len(data2))
	}
}

func testPutEdgeCases(t *testing.T, _ *config, s blob.Store) {
	ctx := context.Background()

	// An empty object.
	info, err := s.Put(ctx, "empty", bytes.NewReader(nil), 0, "")
	if err != nil {
		t.Fatalf("Put empty: %v", err)
	}
	want := blob.Info{Key: "empty", Size: 0, ContentType: "application/octet-stream", ETag: MD5Hex(nil)}
	if diff := cmp.Diff(want, info, ignoreModTime); diff != "" {
		t.Errorf("Put empty (-want +got):\n%s", diff)
	}
	if got, err := readRange(ctx, s, "empty", 0, -1); err != nil || len(got) != 0 {
		t.Errorf("GetRange of empty object: %d bytes, err %v", len(got), err)
	}

	// Unknown size: read to EOF.
	data := Bytes(3, 70_000)
	info, err = s.Put(ctx, "unsized/blob.bin", io.MultiReader(bytes.NewReader(data)), -1, "application/octet-stream")
	if err != nil {
		t.Fatalf("Put size -1: %v", err)
	}
	if info.Size != int64(len(data)) {
		t.Errorf("Put size -1: Size = %d, want %d", info.Size, len(data))
	}
	if got, err := readRange(ctx, s, "unsized/blob.bin", 0, -1); err != nil || !bytes.Equal(got, data) {
		t.Errorf("GetRange after Put size -1: %d bytes, err %v", len(got), err)
	}

	// A body shorter than announced fails and leaves nothing behind.
	if _, err := s.Put(ctx, "short.bin", bytes.NewReader(data[:100]), 200, ""); err == nil {
		t.Errorf("Put with a body shorter than size succeeded")
	}
	if _, err := s.Stat(ctx, "short.bin"); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("Stat after a failed Put: err = %v, want ErrNotFound", err)
	}

	// Keys with characters that need escaping in URLs.
	const odd = "odd keys/名字 #1+%20?x=y&z.txt"
	if _, err := s.Put(ctx, odd, strings.NewReader("odd"), 3, "text/plain"); err != nil {
		t.Fatalf("Put %q: %v", odd, err)
	}
	if got, err := readRange(ctx, s, odd, 0, -1); err != nil || string(got) != "odd" {
		t.Errorf("GetRange %q = %q, %v", odd, got, err)
	}
}

func testDeleteAndNotFound(t *testing.T, _ *config, s blob.Store) {
	ctx := context.Background()
	if _, err := s.Stat(ctx, "missing"); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("Stat missing: err = %v, want ErrNotFound", err)
	}
	if rc, err := s.GetRange(ctx, "missing", 0, -1); !errors.Is(err, blob.ErrNotFound) {
		closeIf(rc)
		t.Errorf("GetRange missing: err = %v, want ErrNotFound", err)
	}
	if err := s.Delete(ctx, "missing"); err != nil {
		t.Errorf("Delete missing: %v, want nil (idempotent)", err)
	}
	if _, err := s.Put(ctx, "dir/doomed.txt", strings.NewReader("bye"), 3, "text/plain"); err != nil {
		t.Fatalf("Put: %v", err)
	}
	if err := s.Delete(ctx, "dir/doomed.txt"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := s.Stat(ctx, "dir/doomed.txt"); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("Stat after Delete: err = %v, want ErrNotFound", err)
	}
	if rc, err := s.GetRange(ctx, "dir/doomed.txt", 0, -1); !errors.Is(err, blob.ErrNotFound) {
		closeIf(rc)
		t.Errorf("GetRange after Delete: err = %v, want ErrNotFound", err)
	}
	if err := s.Delete(ctx, "dir/doomed.txt"); err != nil {
		t.Errorf("second Delete: %v", err)
	}
}

func testInvalidKeys(t *testing.T, _ *config, s blob.Store) {
	ctx := context.Background()
	for _, key := range []string{"", "/abs/olute", "../escape", "a/../../b", "a/./b", "a//b", "trailing/", `back\slash`, "nul\x00byte", "new\nline", strings.Repeat("k", blob.MaxKeyLen+1)} {
		if _, err := s.Put(ctx, key, strings.NewReader("x"), 1, ""); !errors.Is(err, blob.ErrInvalidKey) {
			t.Errorf("Put(%q): err = %v, want ErrInvalidKey", key, err)
		}
		if _, err := s.Stat(ctx, key); !errors.Is(err, blob.ErrInvalidKey) {
			t.Errorf("Stat(%q): err = %v, want ErrInvalidKey", key, err)
		}
		if _, err := s.PresignGet(ctx, key, time.Minute); !errors.Is(err, blob.ErrInvalidKey) {
			t.Errorf("PresignGet(%q): err = %v, want ErrInvalidKey", key, err)
		}
		if _, err := s.CreateMultipart(ctx, key, ""); !errors.Is(err, blob.ErrInvalidKey) {
			t.Errorf("CreateMultipart(%q): err = %v, want ErrInvalidKey", key, err)
		}
	}
}

func testPresignedGet(t *testing.T, c *config, s blob.Store) {
	ctx := context.Background()
	data := Bytes(4, 200*1024)
	const key = "media/clip.webm"
	info, err := s.Put(ctx, key, bytes.NewReader(data), int64(len(data)), "video/webm")
	if err != nil {
		t.Fatalf("Put: %v", err)
	}
	u, err := s.PresignGet(ctx, key, 15*time.Minute)
	if err != nil {
		t.Fatalf("PresignGet: %v", err)
	}

	resp := Do(t, c.client, http.MethodGet, u, nil, nil)
	if resp.Status != http.StatusOK || !bytes.Equal(resp.Body, data) {
		t.Fatalf("GET presigned: status %d, %d bytes (want 200, %d bytes) %s", resp.Status, len(resp.Body), len(data), resp.snippet())
	}
	if ct := resp.Header.Get("Content-Type"); ct != "video/webm" {
		t.Errorf("GET presigned: Content-Type %q, want video/webm", ct)
	}
	if et := resp.Header.Get("ETag"); strings.Trim(et, `"`) != info.ETag {
		t.Errorf("GET presigned: ETag %q, want %q (quoted or not)", et, info.ETag)
	}
	if ar := resp.Header.Get("Accept-Ranges"); ar != "bytes" {
		t.Errorf("GET presigned: Accept-Ranges %q, want bytes", ar)
	}

	size := len(data)
	for _, tc := range []struct {
		rng          string
		contentRange string
		want         []byte
	}{
		{"bytes=1000-1999", fmt.Sprintf("bytes 1000-1999/%d", size), data[1000:2000]},
		{"bytes=0-0", fmt.Sprintf("bytes 0-0/%d", size), data[:1]},
		{"bytes=-100", fmt.Sprintf("bytes %d-%d/%d", size-100, size-1, size), data[size-100:]},
		{"bytes=200000-", fmt.Sprintf("bytes 200000-%d/%d", size-1, size), data[200000:]},
		{"bytes=204000-999999", fmt.Sprintf("bytes 204000-%d/%d", size-1, size), data[204000:]},
	} {
		resp := Do(t, c.client, http.MethodGet, u, nil, http.Header{"Range": {tc.rng}})
		if resp.Status != http.StatusPartialContent {
			t.Errorf("Range %s: status %d, want 206 %s", tc.rng, resp.Status, resp.snippet())
			continue
		}
		if cr := resp.Header.Get("Content-Range"); cr != tc.contentRange {
			t.Errorf("Range %s: Content-Range %q, want %q", tc.rng, cr, tc.contentRange)
		}
		if !bytes.Equal(resp.Body, tc.want) {
			t.Errorf("Range %s: %d bytes, want %d %s", tc.rng, len(resp.Body), len(tc.want), firstDiff(tc.want, resp.Body))
		}
	}
	resp = Do(t, c.client, http.MethodGet, u, nil, http.Header{"Range": {fmt.Sprintf("bytes=%d-", size)}})
	if resp.Status != http.StatusRequestedRangeNotSatisfiable {
		t.Errorf("Range past the end: status %d, want 416", resp.Status)
	}

	// A URL for a key that does not exist is signed fine and answers 404.
	missing, err := s.PresignGet(ctx, "media/missing.webm", time.Minute)
	if err != nil {
		t.Fatalf("PresignGet missing: %v", err)
	}
	if resp := Do(t, c.client, http.MethodGet, missing, nil, nil); resp.Status != http.StatusNotFound {
		t.Errorf("GET presigned missing object: status %d, want 404", resp.Status)
	}
}

func testPresignedGetForged(t *testing.T, c *config, s blob.Store) {
	ctx := context.Background()
	for _, k := range []string{"forge/a.bin", "forge/b.bin"} {
		if _, err := s.Put(ctx, k, strings.NewReader("secret "+k), int64(len("secret "+k)), ""); err != nil {
			t.Fatalf("Put %s: %v", k, err)
		}
	}
	u, err := s.PresignGet(ctx, "forge/a.bin", 15*time.Minute)
	if err != nil {
		t.Fatalf("PresignGet: %v", err)
	}
	if resp := Do(t, c.client, http.MethodGet, u, nil, nil); resp.Status != http.StatusOK {
		t.Fatalf("GET genuine URL: status %d %s", resp.Status, resp.snippet())
	}

	forged := ChangeSignature(t, u, c.sigParam)
	if resp := Do(t, c.client, http.MethodGet, forged, nil, nil); resp.Status != http.StatusForbidden {
		t.Errorf("GET with one signature character changed: status %d, want 403 %s", resp.Status, resp.snippet())
	}
	other := strings.Replace(u, "/a.bin?", "/b.bin?", 1)
	if other == u {
		t.Fatalf("URL %q does not end the path with the key", u)
	}
	if resp := Do(t, c.client, http.MethodGet, other, nil, nil); resp.Status != http.StatusForbidden || strings.Contains(string(resp.Body), "secret") {
		t.Errorf("GET of another key with a's signature: status %d, want 403 %s", resp.Status, resp.snippet())
	}
	// S3 calls a presigned URL without its signature malformed (400) rather than forbidden.
	unsigned := DropParam(t, u, c.sigParam)
	if resp := Do(t, c.client, http.MethodGet, unsigned, nil, nil); resp.Status != http.StatusForbidden && resp.Status != http.StatusBadRequest {
		t.Errorf("GET without signature: status %d, want 403 or 400 %s", resp.Status, resp.snippet())
	}
}

func testPresignedExpired(t *testing.T, c *config, s blob.Store) {
	ctx := context.Background()
	if _, err := s.Put(ctx, "expiring.txt", strings.NewReader("soon gone"), 9, "text/plain"); err != nil {
		t.Fatalf("Put: %v", err)
	}
	id, err := s.CreateMultipart(ctx, "expiring-upload.bin", "")
	if err != nil {
		t.Fatalf("CreateMultipart: %v", err)
	}
	t.Cleanup(func() { _ = s.AbortMultipart(context.Background(), "expiring-upload.bin", id) })

	getURL, err := s.PresignGet(ctx, "expiring.txt", c.ttl)
	if err != nil {
		t.Fatalf("PresignGet: %v", err)
	}
	partURL, err := s.PresignPart(ctx, "expiring-upload.bin", id, 1, c.ttl)
	if err != nil {
		t.Fatalf("PresignPart: %v", err)
	}
	// Valid before expiry (the part URL is left unused so the upload stays empty).
	if resp := Do(t, c.client, http.MethodGet, getURL, nil, nil); resp.Status != http.StatusOK || string(resp.Body) != "soon gone" {
		t.Fatalf("GET before expiry: status %d %s", resp.Status, resp.snippet())
	}
	c.expire(t)
	if resp := Do(t, c.client, http.MethodGet, getURL, nil, nil); resp.Status != http.StatusForbidden {
		t.Errorf("GET after expiry: status %d, want 403 %s", resp.Status, resp.snippet())
	}
	if resp := Do(t, c.client, http.MethodPut, partURL, []byte("late part"), nil); resp.Status != http.StatusForbidden {
		t.Errorf("PUT part after expiry: status %d, want 403 %s", resp.Status, resp.snippet())
	}
	parts, err := s.ListParts(ctx, "expiring-upload.bin", id)
	if err != nil || len(parts) != 0 {
		t.Errorf("ListParts after a refused PUT: %v, %v; want none", parts, err)
	}
}

func testMultipart(t *testing.T, c *config, s blob.Store) {
	ctx := context.Background()
	const key = "media/lecture-01.mp4"
	chunks := [][]byte{Bytes(10, 5*MiB), Bytes(11, 5*MiB), Bytes(12, MiB+123)}
	whole := bytes.Join(chunks, nil)

	id, err := s.CreateMultipart(ctx, key, "video/mp4")
	if err != nil {
		t.Fatalf("CreateMultipart: %v", err)
	}
	if parts, err := s.ListParts(ctx, key, id); err != nil || len(parts) != 0 {
		t.Fatalf("ListParts of a new upload = %v, %v; want none", parts, err)
	}
	// Part 2 first gets wrong bytes and is then uploaded again: the last PUT wins.
	if etag := PutPart(t, c.client, s, key, id, 2, Bytes(99, 5*MiB)); etag != MD5Hex(Bytes(99, 5*MiB)) {
		t.Errorf("first PUT of part 2: ETag %q", etag)
	}
	var want []blob.Part
	for i, chunk := range chunks {
		etag := PutPart(t, c.client, s, key, id, i+1, chunk)
		if etag != MD5Hex(chunk) {
			t.Errorf("PUT part %d: ETag %q, want the hex MD5 %q", i+1, etag, MD5Hex(chunk))
		}
		want = append(want, blob.Part{Number: i + 1, ETag: MD5Hex(chunk), Size: int64(len(chunk))})
	}
	parts, err := s.ListParts(ctx, key, id)
	if err != nil {
		t.Fatalf("ListParts: %v", err)
	}
	if diff := cmp.Diff(want, parts); diff != "" {
		t.Fatalf("ListParts (-want +got):\n%s", diff)
	}
	if _, err := s.ListParts(ctx, "media/other.mp4", id); !errors.Is(err, blob.ErrUploadNotFound) {
		t.Errorf("ListParts with another key: err = %v, want ErrUploadNotFound", err)
	}

	// Bad part lists are refused and leave the upload as it was.
	wrongETag := append([]blob.Part(nil), parts...)
	wrongETag[1].ETag = MD5Hex([]byte("not this"))
	for _, tc := range []struct {
		name  string
		parts []blob.Part
	}{
		{"none", nil},
		{"descending", []blob.Part{parts[1], parts[0], parts[2]}},
		{"repeated", []blob.Part{parts[0], parts[0], parts[2]}},
		{"wrong ETag", wrongETag},
		{"never uploaded", append(append([]blob.Part(nil), parts...), blob.Part{Number: 4, ETag: MD5Hex([]byte("x")), Size: 1})},
	} {
		if _, err := s.CompleteMultipart(ctx, key, id, tc.parts); !errors.Is(err, blob.ErrBadParts) {
			t.Errorf("CompleteMultipart(%s): err = %v, want ErrBadParts", tc.name, err)
		}
	}
	if _, err := s.Stat(ctx, key); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("Stat after refused completes: err = %v, want ErrNotFound", err)
	}
	if again, err := s.ListParts(ctx, key, id); err != nil || !cmp.Equal(want, again) {
		t.Fatalf("ListParts after refused completes = %v, %v; want the 3 parts", again, err)
	}

	// Complete with quoted ETags, as a browser reads them from the PUT responses.
	quoted := append([]blob.Part(nil), parts...)
	for i := range quoted {
		quoted[i].ETag = `"` + quoted[i].ETag + `"`
	}
	info, err := s.CompleteMultipart(ctx, key, id, quoted)
	if err != nil {
		t.Fatalf("CompleteMultipart: %v", err)
	}
	wantInfo := blob.Info{Key: key, Size: int64(len(whole)), ContentType: "video/mp4", ETag: MultipartETag(chunks...)}
	if diff := cmp.Diff(wantInfo, info, ignoreModTime); diff != "" {
		t.Errorf("CompleteMultipart info (-want +got):\n%s", diff)
	}
	got, err := readRange(ctx, s, key, 0, -1)
	if err != nil {
		t.Fatalf("GetRange of the assembled object: %v", err)
	}
	if !bytes.Equal(got, whole) {
		t.Fatalf("assembled object: %d bytes, want the %d-byte concatenation of the parts %s", len(got), len(whole), firstDiff(whole, got))
	}
	if _, err := s.ListParts(ctx, key, id); !errors.Is(err, blob.ErrUploadNotFound) {
		t.Errorf("ListParts after Complete: err = %v, want ErrUploadNotFound", err)
	}
	if _, err := s.CompleteMultipart(ctx, key, id, parts); !errors.Is(err, blob.ErrUploadNotFound) {
		t.Errorf("second CompleteMultipart: err = %v, want ErrUploadNotFound", err)
	}

	// A range across the first part boundary, through a presigned URL.
	u, err := s.PresignGet(ctx, key, 15*time.Minute)
	if err != nil {
		t.Fatalf("PresignGet: %v", err)
	}
	from, to := 5*MiB-10, 5*MiB+9
	resp := Do(t, c.client, http.MethodGet, u, nil, http.Header{"Range": {fmt.Sprintf("bytes=%d-%d", from, to)}})
	wantCR := fmt.Sprintf("bytes %d-%d/%d", from, to, len(whole))
	if resp.Status != http.StatusPartialContent || resp.Header.Get("Content-Range") != wantCR || !bytes.Equal(resp.Body, whole[from:to+1]) {
		t.Errorf("Range across parts: status %d, Content-Range %q (want 206, %q), %d bytes %s",
			resp.Status, resp.Header.Get("Content-Range"), wantCR, len(resp.Body), firstDiff(whole[from:to+1], resp.Body))
	}
	if ct := resp.Header.Get("Content-Type"); ct != "video/mp4" {
		t.Errorf("assembled object served as %q, want video/mp4", ct)
	}
}

func testMultipartAbort(t *testing.T, c *config, s blob.Store) {
	ctx := context.Background()
	const key = "media/abandoned.mp4"
	id, err := s.CreateMultipart(ctx, key, "video/mp4")
	if err != nil {
		t.Fatalf("CreateMultipart: %v", err)
	}
	PutPart(t, c.client, s, key, id, 1, Bytes(20, 4096))
	late, err := s.PresignPart(ctx, key, id, 2, 15*time.Minute)
	if err != nil {
		t.Fatalf("PresignPart: %v", err)
	}
	// Aborting with another key is a no-op: the upload survives.
	if err := s.AbortMultipart(ctx, "media/other.mp4", id); err != nil {
		t.Errorf("AbortMultipart with another key: %v, want nil", err)
	}
	if parts, err := s.ListParts(ctx, key, id); err != nil || len(parts) != 1 {
		t.Fatalf("ListParts after an abort with another key = %v, %v; want the upload intact", parts, err)
	}
	if err := s.AbortMultipart(ctx, key, id); err != nil {
		t.Fatalf("AbortMultipart: %v", err)
	}
	if _, err := s.ListParts(ctx, key, id); !errors.Is(err, blob.ErrUploadNotFound) {
		t.Errorf("ListParts after Abort: err = %v, want ErrUploadNotFound", err)
	}
	if err := s.AbortMultipart(ctx, key, id); err != nil {
		t.Errorf("second AbortMultipart: %v, want nil (idempotent)", err)
	}
	if _, err := s.CompleteMultipart(ctx, key, id, []blob.Part{{Number: 1, ETag: MD5Hex(Bytes(20, 4096))}}); !errors.Is(err, blob.ErrUploadNotFound) {
		t.Errorf("CompleteMultipart after Abort: err = %v, want ErrUploadNotFound", err)
	}
	if resp := Do(t, c.client, http.MethodPut, late, []byte("too late"), nil); resp.Status != http.StatusNotFound {
		t.Errorf("PUT part after Abort: status %d, want 404 %s", resp.Status, resp.snippet())
	}
	if _, err := s.Stat(ctx, key); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("Stat after Abort: err = %v, want ErrNotFound", err)
	}
	if _, err := s.ListParts(ctx, key, "no-such-upload"); !errors.Is(err, blob.ErrUploadNotFound) {
		t.Errorf("ListParts of a made-up upload ID: err = %v, want ErrUploadNotFound", err)
	}
}

func testListUploads(t *testing.T, c *config, s blob.Store) {
	ctx := context.Background()
	farFuture := time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)
	if ups, err := s.ListUploads(ctx, "", farFuture); err != nil || len(ups) != 0 {
		t.Fatalf("ListUploads of an empty store = %v, %v", ups, err)
	}
	abandoned, err := s.CreateMultipart(ctx, "uploads/abandoned.mp4", "video/mp4")
	if err != nil {
		t.Fatalf("CreateMultipart: %v", err)
	}
	PutPart(t, c.client, s, "uploads/abandoned.mp4", abandoned, 1, Bytes(30, 1000))
	other, err := s.CreateMultipart(ctx, "elsewhere/b.mp4", "video/mp4")
	if err != nil {
		t.Fatalf("CreateMultipart: %v", err)
	}
	done, err := s.CreateMultipart(ctx, "uploads/done.bin", "")
	if err != nil {
		t.Fatalf("CreateMultipart: %v", err)
	}
	if err := s.AbortMultipart(ctx, "uploads/done.bin", done); err != nil {
		t.Fatalf("AbortMultipart: %v", err)
	}

	ups, err := s.ListUploads(ctx, "uploads/", farFuture)
	if err != nil {
		t.Fatalf("ListUploads: %v", err)
	}
	if len(ups) != 1 || ups[0].Key != "uploads/abandoned.mp4" || ups[0].UploadID != abandoned || ups[0].Initiated.IsZero() {
		t.Fatalf(`ListUploads("uploads/") = %+v, want just the abandoned upload`, ups)
	}
	started := ups[0].Initiated
	if ups, err := s.ListUploads(ctx, "uploads/", started); err != nil || len(ups) != 0 {
		t.Errorf("ListUploads(olderThan = its start) = %+v, %v; want none (strictly older only)", ups, err)
	}
	if ups, err := s.ListUploads(ctx, "uploads/", started.Add(time.Second)); err != nil || len(ups) != 1 || ups[0].UploadID != abandoned {
		t.Errorf("ListUploads(olderThan = start + 1s) = %+v, %v; want the abandoned upload", ups, err)
	}
	all, err := s.ListUploads(ctx, "", farFuture)
	if err != nil || len(all) != 2 || !hasUpload(all, abandoned) || !hasUpload(all, other) {
		t.Errorf(`ListUploads("") = %+v, %v; want the abandoned and the elsewhere/ upload`, all, err)
	}
	for _, u := range all {
		if err := s.AbortMultipart(ctx, u.Key, u.UploadID); err != nil {
			t.Errorf("AbortMultipart(%s): %v", u.Key, err)
		}
	}
	if ups, err := s.ListUploads(ctx, "", farFuture); err != nil || len(ups) != 0 {
		t.Errorf("ListUploads after aborting all = %+v, %v", ups, err)
	}
}

// ---- helpers, exported for adapter-specific tests ----

var ignoreModTime = cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".ModTime" }, cmp.Ignore())

// Bytes returns n pseudo-random bytes, the same for the same seed.
func Bytes(seed uint64, n int) []byte {
	r := rand.New(rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8), byte(seed >> 16), byte(seed >> 24)}))
	b := make([]byte, n)
	for i := 0; i < n; i += 8 {
		v := r.Uint64()
		for j := 0; j < 8 && i+j < n; j++ {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	return b
}

// MD5Hex is the hex MD5 of b: the ETag of a single-PUT object or of a part.
func MD5Hex(b []byte) string {
	sum := md5.Sum(b)
	return hex.EncodeToString(sum[:])
}

// MultipartETag is S3's ETag of an object assembled from parts with these bytes.
func MultipartETag(parts ...[]byte) string {
	h := md5.New()
	for _, p := range parts {
		sum := md5.Sum(p)
		h.Write(sum[:])
	}
	return fmt.Sprintf("%s-%d", hex.EncodeToString(h.Sum(nil)), len(parts))
}

// Response is what Do read.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r Response) snippet() string {
	if r.Status < 300 {
		return ""
	}
	b := r.Body
	if len(b) > 300 {
		b = b[:300]
	}
	return fmt.Sprintf("(body %q)", b)
}

// Do sends one plain HTTP request, as a browser would, and reads the whole response.
func Do(t testing.TB, client *http.Client, method, u string, body []byte, header http.Header) Response {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading body: %v", method, u, err)
	}
	return Response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// PutPart uploads one part through a presigned part URL with a plain HTTP PUT and returns the
// ETag from the response, without quotes.
func PutPart(t testing.TB, client *http.Client, s blob.Store, key, uploadID string, number int, data []byte) string {
	t.Helper()
	u, err := s.PresignPart(context.Background(), key, uploadID, number, 15*time.Minute)
	if err != nil {
		t.Fatalf("PresignPart(%d): %v", number, err)
	}
	resp := Do(t, client, http.MethodPut, u, data, nil)
	if resp.Status != http.StatusOK {
		t.Fatalf("PUT part %d: status %d %s", number, resp.Status, resp.snippet())
	}
	etag := resp.Header.Get("ETag")
	if etag == "" {
		t.Fatalf("PUT part %d: no ETag header", number)
	}
	return strings.Trim(etag, `"`)
}

// ChangeSignature returns u with one character of the signature parameter's value changed to
// another hex digit; nothing else in the URL changes.
func ChangeSignature(t testing.TB, u, param string) string {
	t.Helper()
	base, query, i, j := findParam(t, u, param)
	k := i + (j-i)/2
	repl := "0"
	if query[k] == '0' {
		repl = "1"
	}
	return base + "?" + query[:k] + repl + query[k+1:]
}

// DropParam returns u without the query parameter; nothing else in the URL changes.
func DropParam(t testing.TB, u, param string) string {
	t.Helper()
	base, query, i, j := findParam(t, u, param)
	start := i - len(param) - 1 // back to the parameter's name
	rest := strings.TrimPrefix(query[j:], "&")
	head := strings.TrimSuffix(query[:start], "&")
	if head != "" && rest != "" {
		head += "&"
	}
	return base + "?" + head + rest
}

// findParam splits u at "?" and returns where the value of param starts and ends in the query.
func findParam(t testing.TB, u, param string) (base, query string, start, end int) {
	t.Helper()
	base, query, ok := strings.Cut(u, "?")
	if ok {
		for off := 0; off < len(query); {
			pair := query[off:]
			if n := strings.IndexByte(pair, '&'); n >= 0 {
				pair = pair[:n]
			}
			if name, value, _ := strings.Cut(pair, "="); name == param && value != "" {
				start = off + len(name) + 1
				return base, query, start, start + len(value)
			}
			off += len(pair) + 1
		}
	}
	t.Fatalf("URL %q has no %s parameter", u, param)
	return "", "", 0, 0
}

func hasUpload(ups []blob.Upload, id string) bool {
	for _, u := range ups {
		if u.UploadID == id {
			return true
		}
	}
	return false
}

func readRange(ctx context.Context, s blob.Store, key string, offset, length int64) ([]byte, error) {
	rc, err := s.GetRange(ctx, key, offset, length)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

func closeIf(rc io.ReadCloser) {
	if rc != nil {
		rc.Close()
	}
}

// firstDiff describes where two byte slices first differ, for failure messages.
func firstDiff(want, got []byte) string {
	for i := 0; i < len(want) && i < len(got); i++ {
		if want[i] != got[i] {
			return fmt.Sprintf("(first difference at byte %d)", i)
		}
	}
	if len(want) != len(got) {
		return fmt.Sprintf("(equal for the first %d bytes)", min(len(want), len(got)))
	}
	return ""
}
