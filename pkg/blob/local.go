package blob

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/vanguard/vanguard/pkg/clock"
)

// DefaultMaxPartBytes caps the body of one presigned part PUT on the local store unless
// LocalConfig.MaxPartBytes says otherwise; it is S3's largest part.
const DefaultMaxPartBytes int64 = 5 << 30

// Query parameters of the local store's presigned URLs.
const (
	localParamExpires   = "exp"        // Unix seconds after which the URL is refused
	localParamSignature = "sig"        // hex HMAC-SHA256, see (*Local).sign
	localParamUploadID  = "uploadId"   // part URLs only
	localParamPart      = "partNumber" // part URLs only
)

// LocalSignatureParam names the query parameter that carries the local store's URL signature
// (the counterpart of S3's X-Amz-Signature); tests use it to forge URLs.
const LocalSignatureParam = localParamSignature

// Layout under LocalConfig.Root. Objects live in their own tree so that no key can collide with
// the store's bookkeeping; temporary files share the root's filesystem so renames are atomic.
const (
	localObjectsDir = "objects"  // objects/<key>: a blob file (header + bytes)
	localUploadsDir = ".uploads" // .uploads/<uploadID>/upload.json and 00001.part …
	localTmpDir     = ".tmp"     // files being written, uploads being completed or aborted
	localUploadMeta = "upload.json"
	localStaleTmp   = 24 * time.Hour // NewLocal clears temporary files older than this
)

// LocalConfig configures a Local store.
type LocalConfig struct {
	// Root is the directory holding objects, incomplete uploads and temporary files. It is
	// created if missing.
	Root string
	// BaseURL is the absolute URL at which Handler is mounted, e.g. "http://127.0.0.1:8000/blob";
	// presigned URLs are BaseURL + "/" + escaped key + "?" + signed query.
	BaseURL string
	// SigningKey is the secret HMAC-SHA256 key (at least 32 bytes) that signs URLs. Keep it
	// stable across restarts, or URLs handed out before a restart stop working early.
	SigningKey []byte
	// Clock tells the time for URL expiry and upload start times; nil means the wall clock.
	Clock clock.Clock
	// MaxPartBytes caps the body of one part PUT; 0 means DefaultMaxPartBytes.
	MaxPartBytes int64
}

// Local is the standalone-mode Store: objects are files under a root directory and presigned
// URLs are served by the application itself through Handler. Every write goes to a temporary
// file that is renamed into place, so readers see either the old object or the new one, never a
// torn one; the content type and ETag are kept in a fixed-size header inside the same file for
// the same reason.
//
// Keys map to paths, so a key cannot be both an object and a "directory" of other objects
// ("a" and "a/b"); the second Put fails. S3 allows it; our key scheme never needs it.
type Local struct {
	objects, uploads, tmp string
	base                  string // BaseURL without a trailing slash
	basePath              string // its path, which Handler strips
	signingKey            []byte
	clock                 clock.Clock
	maxPart               int64
}

var _ Store = (*Local)(nil)

// NewLocal checks cfg, creates the directory layout under cfg.Root and clears temporary files a
// crash may have left behind.
func NewLocal(cfg LocalConfig) (*Local, error) {
	if cfg.Root == "" {
		return nil, errors.New("blob.NewLocal: Root is empty")
	}
	if len(cfg.SigningKey) < 32 {
		return nil, fmt.Errorf("blob.NewLocal: SigningKey has %d bytes, need at least 32", len(cfg.SigningKey))
	}
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("blob.NewLocal: BaseURL %q is not an absolute http(s) URL without query", cfg.BaseURL)
	}
	if cfg.MaxPartBytes < 0 {
		return nil, fmt.Errorf("blob.NewLocal: MaxPartBytes %d is negative", cfg.MaxPartBytes)
	}
	root, err := filepath.Abs(cfg.Root)
	if err != nil {
		return nil, fmt.Errorf("blob.NewLocal: %w", err)
	}
	s := &Local{
		objects:    filepath.Join(root, localObjectsDir),
		uploads:    filepath.Join(root, localUploadsDir),
		tmp:        filepath.Join(root, localTmpDir),
		base:       strings.TrimRight(cfg.BaseURL, "/"),
		basePath:   strings.TrimRight(u.Path, "/"),
		signingKey: append([]byte(nil), cfg.SigningKey...),
		clock:      cfg.Clock,
		maxPart:    cfg.MaxPartBytes,
	}
	if s.clock == nil {
		s.clock = clock.Real{}
	}
	if s.maxPart == 0 {
		s.maxPart = DefaultMaxPartBytes
	}
	for _, dir := range []string{s.objects, s.uploads, s.tmp} {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("blob.NewLocal: %w", err)
		}
	}
	s.clearStaleTmp()
	return s, nil
}

// clearStaleTmp removes temporary files and claimed uploads older than localStaleTmp: the
// leftovers of a crash in the middle of a write. Younger ones may belong to a running request.
func (s *Local) clearStaleTmp() {
	entries, err := os.ReadDir(s.tmp)
	if err != nil {
		return
	}
	cutoff := time.Now().Add(-localStaleTmp)
	for _, e := range entries {
		if fi, err := e.Info(); err == nil && fi.ModTime().Before(cutoff) {
			_ = os.RemoveAll(filepath.Join(s.tmp, e.Name()))
		}
	}
}

// ---- objects ----

// Put implements Store.
func (s *Local) Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) (Info, error) {
	if err := ValidateKey(key); err != nil {
		return Info{}, err
	}
	if err := checkContentType(contentType); err != nil {
		return Info{}, err
	}
	src := io.Reader(ctxReader{ctx, r})
	if size >= 0 {
		src = io.LimitReader(src, size)
	}
	tb, err := s.newTempBlob()
	if err != nil {
		return Info{}, fmt.Errorf("blob.Local.Put: %w", err)
	}
	defer tb.discard()
	h := md5.New()
	n, err := io.Copy(io.MultiWriter(tb, h), src)
	if err != nil {
		return Info{}, fmt.Errorf("blob.Local.Put %q: %w", key, err)
	}
	if size >= 0 && n != size {
		return Info{}, fmt.Errorf("blob.Local.Put %q: read %d of %d bytes: %w", key, n, size, io.ErrUnexpectedEOF)
	}
	hdr := blobHeader{ContentType: ContentTypeOrDefault(contentType), ETag: hex.EncodeToString(h.Sum(nil))}
	modTime, err := tb.commit(s.objectPath(key), hdr, true)
	if err != nil {
		return Info{}, fmt.Errorf("blob.Local.Put %q: %w", key, err)
	}
	return Info{Key: key, Size: n, ContentType: hdr.ContentType, ETag: hdr.ETag, ModTime: modTime}, nil
}

// Stat implements Store.
func (s *Local) Stat(_ context.Context, key string) (Info, error) {
	if err := ValidateKey(key); err != nil {
		return Info{}, err
	}
	b, err := openBlob(s.objectPath(key))
	if err != nil {
		return Info{}, s.objectErr("Stat", key, err)
	}
	defer b.f.Close()
	return b.info(key), nil
}

// GetRange implements Store.
func (s *Local) GetRange(_ context.Context, key string, offset, length int64) (io.ReadCloser, error) {
	if err := ValidateKey(key); err != nil {
		return nil, err
	}
	b, err := openBlob(s.objectPath(key))
	if err != nil {
		return nil, s.objectErr("GetRange", key, err)
	}
	if offset < 0 || (offset >= b.size && offset != 0) {
		b.f.Close()
		return nil, fmt.Errorf("%w: offset %d of %q (%d bytes)", ErrInvalidRange, offset, key, b.size)
	}
	n := b.size - offset
	if length >= 0 && length < n {
		n = length
	}
	return struct {
		io.Reader
		io.Closer
	}{io.NewSectionReader(b.f, blobHeaderSize+offset, n), b.f}, nil
}

// Delete implements Store.
func (s *Local) Delete(_ context.Context, key string) error {
	if err := ValidateKey(key); err != nil {
		return err
	}
	p := s.objectPath(key)
	if fi, err := os.Stat(p); err == nil && fi.IsDir() {
		return nil // a "directory" of other keys, not an object
	}
	if err := os.Remove(p); err != nil && !isNotExist(err) {
		return fmt.Errorf("blob.Local.Delete %q: %w", key, err)
	}
	return nil
}

// PresignGet implements Store: the URL is served by Handler until ttl passes on the store's clock.
func (s *Local) PresignGet(_ context.Context, key string, ttl time.Duration) (string, error) {
	if err := ValidateKey(key); err != nil {
		return "", err
	}
	if ttl <= 0 {
		return "", fmt.Errorf("blob.Local.PresignGet: ttl %v is not positive", ttl)
	}
	return s.signedURL(http.MethodGet, key, s.clock.Now().Add(ttl).Unix(), "", 0), nil
}

func (s *Local) objectPath(key string) string {
	return filepath.Join(s.objects, filepath.FromSlash(key))
}

// objectErr maps a missing file (or a directory where the object would be) to ErrNotFound.
func (s *Local) objectErr(op, key string, err error) error {
	if isNotExist(err) {
		return fmt.Errorf("%w: %q", ErrNotFound, key)
	}
	return fmt.Errorf("blob.Local.%s %q: %w", op, key, err)
}

// ---- multipart uploads ----

// uploadMeta is .uploads/<id>/upload.json.
type uploadMeta struct {
	Key         string    `json:"key"`
	ContentType string    `json:"contentType"`
	Initiated   time.Time `json:"initiated"`
}

// CreateMultipart implements Store. The upload directory is prepared under the temporary
// directory and renamed into place, so ListUploads never sees a half-created upload.
func (s *Local) CreateMultipart(_ context.Context, key, contentType string) (string, error) {
	if err := ValidateKey(key); err != nil {
		return "", err
	}
	if err := checkContentType(contentType); err != nil {
		return "", err
	}
	var raw [16]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", fmt.Errorf("blob.Local.CreateMultipart: %w", err)
	}
	id := hex.EncodeToString(raw[:])
	meta, err := json.Marshal(uploadMeta{Key: key, ContentType: ContentTypeOrDefault(contentType), Initiated: s.clock.Now().UTC()})
	if err != nil {
		return "", fmt.Errorf("blob.Local.CreateMultipart: %w", err)
	}
	staging, err := os.MkdirTemp(s.tmp, "create-")
	if err != nil {
		return "", fmt.Errorf("blob.Local.CreateMultipart: %w", err)
	}
	if err := os.WriteFile(filepath.Join(staging, localUploadMeta), meta, 0o640); err != nil {
		os.RemoveAll(staging)
		return "", fmt.Errorf("blob.Local.CreateMultipart: %w", err)
	}
	if err := os.Rename(staging, s.uploadDir(id)); err != nil {
		os.RemoveAll(staging)
		return "", fmt.Errorf("blob.Local.CreateMultipart: %w", err)
	}
	return id, nil
}

// PresignPart implements Store: the URL accepts a PUT through Handler until ttl passes.
func (s *Local) PresignPart(_ context.Context, key, uploadID string, number int, ttl time.Duration) (string, error) {
	if err := ValidateKey(key); err != nil {
		return "", err
	}
	if number < 1 || number > MaxPartNumber {
		return "", fmt.Errorf("blob.Local.PresignPart: part number %d outside 1..%d", number, MaxPartNumber)
	}
	if ttl <= 0 {
		return "", fmt.Errorf("blob.Local.PresignPart: ttl %v is not positive", ttl)
	}
	if _, err := s.readUpload(key, uploadID); err != nil {
		return "", err
	}
	return s.signedURL(http.MethodPut, key, s.clock.Now().Add(ttl).Unix(), uploadID, number), nil
}

// ListParts implements Store.
func (s *Local) ListParts(_ context.Context, key, uploadID string) ([]Part, error) {
	if err := ValidateKey(key); err != nil {
		return nil, err
	}
	if _, err := s.readUpload(key, uploadID); err != nil {
		return nil, err
	}
	parts, err := listPartFiles(s.uploadDir(uploadID))
	if err != nil {
		if isNotExist(err) { // completed or aborted meanwhile
			return nil, fmt.Errorf("%w: %q", ErrUploadNotFound, uploadID)
		}
		return nil, fmt.Errorf("blob.Local.ListParts: %w", err)
	}
	return parts, nil
}

// CompleteMultipart implements Store. It first claims the upload by renaming its directory
// away, so a concurrent Complete or Abort of the same upload finds nothing and part PUTs arriving
// meanwhile are refused; if the parts do not check out the upload is put back untouched.
func (s *Local) CompleteMultipart(ctx context.Context, key, uploadID string, parts []Part) (Info, error) {
	if err := ValidateKey(key); err != nil {
		return Info{}, err
	}
	if err := CheckParts(parts); err != nil {
		return Info{}, err
	}
	meta, err := s.readUpload(key, uploadID)
	if err != nil {
		return Info{}, err
	}
	claimed, err := s.claimUpload(uploadID, "complete")
	if err != nil {
		return Info{}, err
	}
	info, err := s.assemble(ctx, key, meta, claimed, parts)
	if err != nil {
		if rerr := os.Rename(claimed, s.uploadDir(uploadID)); rerr != nil {
			return Info{}, fmt.Errorf("blob.Local.CompleteMultipart %q: %w (and restoring the upload: %v)", key, err, rerr)
		}
		return Info{}, err
	}
	if err := os.RemoveAll(claimed); err != nil {
		return Info{}, fmt.Errorf("blob.Local.CompleteMultipart %q: object written, removing the upload: %w", key, err)
	}
	return info, nil
}

// assemble checks the listed parts against the claimed upload directory and concatenates them
// into the object.
func (s *Local) assemble(ctx context.Context, key string, meta uploadMeta, dir string, parts []Part) (Info, error) {
	files := make([]*blobFile, 0, len(parts))
	defer func() {
		for _, b := range files {
			b.f.Close()
		}
	}()
	etags := make([]string, 0, len(parts))
	for _, p := range parts {
		b, err := openBlob(filepath.Join(dir, partFileName(p.Number)))
		if err != nil {
			if isNotExist(err) {
				return Info{}, fmt.Errorf("%w: part %d was not uploaded", ErrBadParts, p.Number)
			}
			return Info{}, fmt.Errorf("blob.Local.CompleteMultipart: %w", err)
		}
		files = append(files, b)
		if BareETag(p.ETag) != b.hdr.ETag {
			return Info{}, fmt.Errorf("%w: part %d has ETag %q, not %q", ErrBadParts, p.Number, b.hdr.ETag, p.ETag)
		}
		etags = append(etags, b.hdr.ETag)
	}
	etag, err := multipartETag(etags)
	if err != nil {
		return Info{}, err
	}
	tb, err := s.newTempBlob()
	if err != nil {
		return Info{}, fmt.Errorf("blob.Local.CompleteMultipart: %w", err)
	}
	defer tb.discard()
	var size int64
	for _, b := range files {
		n, err := io.Copy(tb, ctxReader{ctx, b.section()})
		if err != nil {
			return Info{}, fmt.Errorf("blob.Local.CompleteMultipart %q: %w", key, err)
		}
		size += n
	}
	hdr := blobHeader{ContentType: meta.ContentType, ETag: etag}
	modTime, err := tb.commit(s.objectPath(key), hdr, true)
	if err != nil {
		return Info{}, fmt.Errorf("blob.Local.CompleteMultipart %q: %w", key, err)
	}
	return Info{Key: key, Size: size, ContentType: hdr.ContentType, ETag: etag, ModTime: modTime}, nil
}

// AbortMultipart implements Store.
func (s *Local) AbortMultipart(_ context.Context, key, uploadID string) error {
	if err := ValidateKey(key); err != nil {
		return err
	}
	if _, err := s.readUpload(key, uploadID); err != nil {
		if errors.Is(err, ErrUploadNotFound) {
			return nil
		}
		return err
	}
	claimed, err := s.claimUpload(uploadID, "abort")
	if err != nil {
		if errors.Is(err, ErrUploadNotFound) {
			return nil // completed or aborted meanwhile
		}
		return err
	}
	if err := os.RemoveAll(claimed); err != nil {
		return fmt.Errorf("blob.Local.AbortMultipart: %w", err)
	}
	return nil
}

// ListUploads implements Store, oldest first.
func (s *Local) ListUploads(_ context.Context, prefix string, olderThan time.Time) ([]Upload, error) {
	entries, err := os.ReadDir(s.uploads)
	if err != nil {
		return nil, fmt.Errorf("blob.Local.ListUploads: %w", err)
	}
	var out []Upload
	for _, e := range entries {
		id := e.Name()
		if !e.IsDir() || !validUploadID(id) {
			continue
		}
		meta, err := readUploadMeta(s.uploadDir(id))
		if err != nil {
			if isNotExist(err) {
				continue // completed or aborted while we listed
			}
			return nil, fmt.Errorf("blob.Local.ListUploads: upload %s: %w", id, err)
		}
		if strings.HasPrefix(meta.Key, prefix) && meta.Initiated.Before(olderThan) {
			out = append(out, Upload{Key: meta.Key, UploadID: id, Initiated: meta.Initiated})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Initiated.Equal(out[j].Initiated) {
			return out[i].Initiated.Before(out[j].Initiated)
		}
		return out[i].UploadID < out[j].UploadID
	})
	return out, nil
}

func (s *Local) uploadDir(id string) string { return filepath.Join(s.uploads, id) }

func partFileName(number int) string { return fmt.Sprintf("%05d.part", number) }

// validUploadID accepts exactly what CreateMultipart hands out (32 lower-case hex digits), so an
// upload ID can never name a path outside the uploads directory.
func validUploadID(id string) bool {
	if len(id) != 32 {
		return false
	}
	for _, c := range id {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// readUpload returns the upload's metadata, or ErrUploadNotFound when there is no such upload
// for this key (S3 answers NoSuchUpload for an upload ID used with another key, too).
func (s *Local) readUpload(key, uploadID string) (uploadMeta, error) {
	notFound := fmt.Errorf("%w: %q for %q", ErrUploadNotFound, uploadID, key)
	if !validUploadID(uploadID) {
		return uploadMeta{}, notFound
	}
	meta, err := readUploadMeta(s.uploadDir(uploadID))
	if err != nil {
		if isNotExist(err) {
			return uploadMeta{}, notFound
		}
		return uploadMeta{}, fmt.Errorf("blob.Local: upload %s: %w", uploadID, err)
	}
	if meta.Key != key {
		return uploadMeta{}, notFound
	}
	return meta, nil
}

func readUploadMeta(dir string) (uploadMeta, error) {
	raw, err := os.ReadFile(filepath.Join(dir, localUploadMeta))
	if err != nil {
		return uploadMeta{}, err
	}
	var m uploadMeta
	if err := json.Unmarshal(raw, &m); err != nil {
		return uploadMeta{}, fmt.Errorf("corrupt %s: %w", localUploadMeta, err)
	}
	return m, nil
}

// claimUpload renames the upload's directory into the temporary directory and returns its new
// path; whoever wins the rename owns the upload.
func (s *Local) claimUpload(uploadID, why string) (string, error) {
	var raw [8]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", err
	}
	claimed := filepath.Join(s.tmp, why+"-"+uploadID+"-"+hex.EncodeToString(raw[:]))
	if err := os.Rename(s.uploadDir(uploadID), claimed); err != nil {
		if isNotExist(err) {
			return "", fmt.Errorf("%w: %q", ErrUploadNotFound, uploadID)
		}
		return "", fmt.Errorf("blob.Local: claiming upload %s: %w", uploadID, err)
	}
	return claimed, nil
}

// listPartFiles reads the part headers in an upload directory, by ascending number.
func listPartFiles(dir string) ([]Part, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	parts := []Part{}
	for _, e := range entries {
		num, ok := strings.CutSuffix(e.Name(), ".part")
		if !ok || e.IsDir() {
			continue
		}
		n, err := strconv.Atoi(num)
		if err != nil || n < 1 || n > MaxPartNumber || e.Name() != partFileName(n) {
			continue
		}
		b, err := openBlob(filepath.Join(dir, e.Name()))
		if err != nil {
			if isNotExist(err) {
				continue
			}
			return nil, err
		}
		parts = append(parts, Part{Number: n, ETag: b.hdr.ETag, Size: b.size})
		b.f.Close()
	}
	sort.Slice(parts, func(i, j int) bool { return parts[i].Number < parts[j].Number })
	return parts, nil
}

// ---- presigned URLs ----

// sign returns the hex HMAC-SHA256 of a request's method, key, expiry and, for part URLs, upload
// ID and part number. Fields are NUL-separated; none can contain NUL (keys are validated, the
// rest are numbers and hex).
func (s *Local) sign(method, key string, expires int64, uploadID string, part int) string {
	m := hmac.New(sha256.New, s.signingKey)
	fmt.Fprintf(m, "vanguard-blob-v1\x00%s\x00%s\x00%d\x00%s\x00%d", method, key, expires, uploadID, part)
	return hex.EncodeToString(m.Sum(nil))
}

func (s *Local) signedURL(method, key string, expires int64, uploadID string, part int) string {
	q := url.Values{}
	q.Set(localParamExpires, strconv.FormatInt(expires, 10))
	if uploadID != "" {
		q.Set(localParamUploadID, uploadID)
		q.Set(localParamPart, strconv.Itoa(part))
	}
	q.Set(localParamSignature, s.sign(method, key, expires, uploadID, part))
	return s.base + "/" + escapeKey(key) + "?" + q.Encode()
}

// escapeKey escapes each segment of a key for a URL path, keeping the slashes.
func escapeKey(key string) string {
	segs := strings.Split(key, "/")
	for i, seg := range segs {
		segs[i] = url.PathEscape(seg)
	}
	return strings.Join(segs, "/")
}

// Handler serves the store's presigned URLs. Mount it at BaseURL's path, which it strips itself,
// e.g. mux.Handle("/blob/", store.Handler()) for BaseURL "http://host/blob". GET and HEAD of a
// signed GET URL serve the object through http.ServeContent (Range → 206, If-None-Match and
// If-Modified-Since → 304); PUT of a signed part URL stores one part and answers with its
// quoted ETag. A forged, altered or expired signature gets 403, as S3 does.
func (s *Local) Handler() http.Handler { return http.HandlerFunc(s.serveHTTP) }

func (s *Local) serveHTTP(w http.ResponseWriter, r *http.Request) {
	key, ok := strings.CutPrefix(r.URL.Path, s.basePath+"/")
	if !ok || ValidateKey(key) != nil {
		http.Error(w, "no such object", http.StatusNotFound)
		return
	}
	q := r.URL.Query()
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		if !s.verify(w, q, http.MethodGet, key, "", 0) {
			return
		}
		s.serveObject(w, r, key)
	case http.MethodPut:
		uploadID := q.Get(localParamUploadID)
		part, err := strconv.Atoi(q.Get(localParamPart))
		if err != nil || part < 1 || part > MaxPartNumber || uploadID == "" {
			http.Error(w, fmt.Sprintf("a part URL needs %s and %s in 1..%d", localParamUploadID, localParamPart, MaxPartNumber), http.StatusBadRequest)
			return
		}
		if !s.verify(w, q, http.MethodPut, key, uploadID, part) {
			return
		}
		s.servePart(w, r, key, uploadID, part)
	default:
		w.Header().Set("Allow", "GET, HEAD, PUT")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}

// verify checks the signature (in constant time) and then the expiry, answering 403 itself when
// either fails.
func (s *Local) verify(w http.ResponseWriter, q url.Values, method, key, uploadID string, part int) bool {
	expires, err := strconv.ParseInt(q.Get(localParamExpires), 10, 64)
	if err != nil {
		http.Error(w, "missing or malformed expiry", http.StatusForbidden)
		return false
	}
	want := s.sign(method, key, expires, uploadID, part)
	if subtle.ConstantTimeCompare([]byte(want), []byte(q.Get(localParamSignature))) != 1 {
		http.Error(w, "signature does not match", http.StatusForbidden)
		return false
	}
	if s.clock.Now().Unix() > expires {
		http.Error(w, "request has expired", http.StatusForbidden)
		return false
	}
	return true
}

func (s *Local) serveObject(w http.ResponseWriter, r *http.Request, key string) {
	b, err := openBlob(s.objectPath(key))
	if err != nil {
		if isNotExist(err) {
			http.Error(w, "no such object", http.StatusNotFound)
			return
		}
		http.Error(w, "cannot read the object", http.StatusInternalServerError)
		return
	}
	defer b.f.Close()
	h := w.Header()
	h.Set("Content-Type", b.hdr.ContentType)
	h.Set("ETag", `"`+b.hdr.ETag+`"`)
	h.Set("Cache-Control", "private")
	http.ServeContent(w, r, "", b.modTime, b.section())
}

func (s *Local) servePart(w http.ResponseWriter, r *http.Request, key, uploadID string, part int) {
	if r.ContentLength > s.maxPart {
		http.Error(w, fmt.Sprintf("a part may not exceed %d bytes", s.maxPart), http.StatusRequestEntityTooLarge)
		return
	}
	if _, err := s.readUpload(key, uploadID); err != nil {
		status := http.StatusNotFound
		if !errors.Is(err, ErrUploadNotFound) {
			status = http.StatusInternalServerError
		}
		http.Error(w, "no such upload", status)
		return
	}
	tb, err := s.newTempBlob()
	if err != nil {
		http.Error(w, "cannot store the part", http.StatusInternalServerError)
		return
	}
	defer tb.discard()
	h := md5.New()
	_, err = io.Copy(io.MultiWriter(tb, h), http.MaxBytesReader(w, r.Body, s.maxPart))
	if err != nil {
		if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
			http.Error(w, fmt.Sprintf("a part may not exceed %d bytes", s.maxPart), http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "reading the part failed", http.StatusBadRequest)
		return
	}
	etag := hex.EncodeToString(h.Sum(nil))
	// No MkdirAll here: if the upload was completed or aborted meanwhile its directory is gone
	// and the rename fails, instead of resurrecting it.
	if _, err := tb.commit(filepath.Join(s.uploadDir(uploadID), partFileName(part)), blobHeader{ETag: etag}, false); err != nil {
		if isNotExist(err) {
			http.Error(w, "no such upload", http.StatusNotFound)
			return
		}
		http.Error(w, "cannot store the part", http.StatusInternalServerError)
		return
	}
	w.Header().Set("ETag", `"`+etag+`"`)
	w.WriteHeader(http.StatusOK)
}

// ---- blob files ----

// A blob file is a fixed-size header followed by the bytes. The header is blobMagic, then JSON
// (blobHeader) padded with spaces to blobHeaderSize; being fixed-size, it can be written after
// the bytes have streamed through the MD5, and object and metadata change in one rename.
const blobHeaderSize = 1024

var blobMagic = []byte("VGBLOB1\n")

// maxContentType keeps the JSON header within blobHeaderSize even if every byte needs escaping.
const maxContentType = 150

type blobHeader struct {
	ContentType string `json:"contentType,omitempty"`
	ETag        string `json:"etag"`
}

func checkContentType(ct string) error {
	if len(ct) > maxContentType {
		return fmt.Errorf("blob.Local: content type of %d bytes is longer than %d", len(ct), maxContentType)
	}
	return nil
}

// tempBlob is a blob file being written in the temporary directory.
type tempBlob struct {
	f         *os.File
	committed bool
}

func (s *Local) newTempBlob() (*tempBlob, error) {
	f, err := os.CreateTemp(s.tmp, "blob-")
	if err != nil {
		return nil, err
	}
	if _, err := f.Write(make([]byte, blobHeaderSize)); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, err
	}
	return &tempBlob{f: f}, nil
}

// Write appends object bytes after the header.
func (t *tempBlob) Write(p []byte) (int, error) { return t.f.Write(p) }

// commit writes the header, syncs and renames the file to path (creating its directory when
// mkdir is set) and returns the file's modification time.
func (t *tempBlob) commit(path string, hdr blobHeader, mkdir bool) (time.Time, error) {
	raw, err := json.Marshal(hdr)
	if err != nil {
		return time.Time{}, err
	}
	if len(blobMagic)+len(raw) > blobHeaderSize {
		return time.Time{}, fmt.Errorf("blob header of %d bytes does not fit", len(raw))
	}
	head := bytes.Repeat([]byte{' '}, blobHeaderSize)
	copy(head, blobMagic)
	copy(head[len(blobMagic):], raw)
	if _, err := t.f.WriteAt(head, 0); err != nil {
		return time.Time{}, err
	}
	if err := t.f.Sync(); err != nil {
		return time.Time{}, err
	}
	fi, err := t.f.Stat()
	if err != nil {
		return time.Time{}, err
	}
	if err := t.f.Close(); err != nil {
		return time.Time{}, err
	}
	if mkdir {
		if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
			return time.Time{}, err
		}
	}
	if err := os.Rename(t.f.Name(), path); err != nil {
		return time.Time{}, err
	}
	t.committed = true
	return fi.ModTime(), nil
}

// discard removes the temporary file unless it was committed; safe to defer.
func (t *tempBlob) discard() {
	if !t.committed {
		t.f.Close()
		os.Remove(t.f.Name())
	}
}

// blobFile is an open blob file.
type blobFile struct {
	f       *os.File
	hdr     blobHeader
	size    int64 // of the object bytes, without the header
	modTime time.Time
}

// openBlob opens a blob file and reads its header. A directory in its place counts as missing.
func openBlob(path string) (*blobFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if fi.IsDir() {
		f.Close()
		return nil, fs.ErrNotExist
	}
	head := make([]byte, blobHeaderSize)
	if _, err := io.ReadFull(f, head); err != nil || !bytes.HasPrefix(head, blobMagic) {
		f.Close()
		return nil, fmt.Errorf("%s is not a blob file", path)
	}
	var hdr blobHeader
	if err := json.Unmarshal(bytes.TrimRight(head[len(blobMagic):], " "), &hdr); err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: corrupt header: %w", path, err)
	}
	return &blobFile{f: f, hdr: hdr, size: fi.Size() - blobHeaderSize, modTime: fi.ModTime()}, nil
}

func (b *blobFile) section() *io.SectionReader {
	return io.NewSectionReader(b.f, blobHeaderSize, b.size)
}

func (b *blobFile) info(key string) Info {
	return Info{Key: key, Size: b.size, ContentType: b.hdr.ContentType, ETag: b.hdr.ETag, ModTime: b.modTime}
}

// isNotExist also treats ENOTDIR as missing: "a/b" when "a" is an object.
func isNotExist(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR)
}

// ctxReader stops a long copy when the context is cancelled.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

// Read fails with the context's error once it is done, else reads from the wrapped reader.
func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
