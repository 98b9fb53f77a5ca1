package attach_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vanguard/vanguard/pkg/attach"
	"github.com/vanguard/vanguard/pkg/bizerr"
	"github.com/vanguard/vanguard/pkg/blob"
	"github.com/vanguard/vanguard/pkg/blob/minioblob"
	"github.com/vanguard/vanguard/pkg/blob/miniotest"
	"github.com/vanguard/vanguard/pkg/clock"
)

func TestMain(m *testing.M) { os.Exit(miniotest.Run(m)) }

var errNotFound = errors.New("not found")

// rows is the files' table in memory: the services keep theirs in their own databases (tested
// with their repositories); this test is about the flow over a real blob store.
type rows struct {
	mu   sync.Mutex
	next int64
	m    map[int64]attach.File
}

func (r *rows) CreateAttachment(_ context.Context, f *attach.File) (*attach.File, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.next++
	f.ID = r.next
	r.m[f.ID] = *f
	c := *f
	return &c, nil
}

func (r *rows) GetAttachment(_ context.Context, id int64) (*attach.File, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	f, ok := r.m[id]
	if !ok {
		return nil, errNotFound
	}
	return &f, nil
}

func (r *rows) SaveAttachment(_ context.Context, f *attach.File) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.m[f.ID] = *f
	return nil
}

func (r *rows) ExpirePending(_ context.Context, before time.Time, limit int) ([]*attach.File, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []*attach.File
	for id, f := range r.m {
		if f.Status == attach.Pending && f.CreatedAt.Before(before) && len(out) < limit {
			f.Status = attach.Expired
			r.m[id] = f
			out = append(out, &f)
		}
	}
	return out, nil
}

func (r *rows) ListAttachments(_ context.Context, purpose string, refIDs []int64) ([]*attach.File, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []*attach.File
	for id := int64(1); id <= r.next; id++ {
		f, ok := r.m[id]
		for _, ref := range refIDs {
			if ok && f.Purpose == purpose && f.RefID == ref && f.Status == attach.Ready {
				out = append(out, &f)
			}
		}
	}
	return out, nil
}

func newLocal(t *testing.T, clk clock.Clock) blob.Store {
	srv := httptest.NewUnstartedServer(nil)
	s, err := blob.NewLocal(blob.LocalConfig{Root: t.TempDir(), BaseURL: "http://" + srv.Listener.Addr().String() + "/blob",
		SigningKey: bytes.Repeat([]byte("k"), 32), Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/blob/", s.Handler())
	srv.Config.Handler = mux
	srv.Start()
	t.Cleanup(srv.Close)
	return s
}

func newMinIO(t *testing.T) blob.Store {
	endpoint, ak, sk := miniotest.Start(t)
	s, err := minioblob.New(minioblob.Config{Endpoint: endpoint, AccessKey: ak, SecretKey: sk, Bucket: miniotest.BucketName(t)})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.EnsureBucket(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestUploads runs the flow on the standalone's local store and on a real MinIO server.
func TestUploads(t *testing.T) {
	t.Run("local", func(t *testing.T) {
		clk := clock.NewFake(time.Now())
		run(t, newLocal(t, clk), clk)
	})
	t.Run("minio", func(t *testing.T) {
		clk := clock.NewFake(time.Now())
		run(t, newMinIO(t), clk)
	})
}

var pdf = []byte("%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n")

func put(t *testing.T, url string, data []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPut, url, bytes.NewReader(data))
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("PUT: %v %v", err, res)
	}
	res.Body.Close()
}

func field(err error) string {
	var fe *bizerr.FieldError
	if errors.As(err, &fe) {
		return fe.Field
	}
	return ""
}

func run(t *testing.T, store blob.Store, clk *clock.Fake) {
	ctx := context.Background()
	files := &rows{m: map[int64]attach.File{}}
	u := &attach.Uploads{Prefix: "test/", Blobs: store, Files: files, Clock: clk, NotFound: errNotFound}
	plan := func(name, ctype string, size int) (*attach.Plan, error) {
		return u.Start(ctx, &attach.File{Purpose: "step", RefID: 7, OrgPath: "/1/", UploadedBy: 3, FileName: name, Size: int64(size), ContentType: ctype})
	}

	for _, c := range []struct {
		name, ctype, field string
		size               int
	}{
		{"", "application/pdf", "file_name", 10},
		{strings.Repeat("名", attach.MaxFileName+1), "application/pdf", "file_name", 10},
		{"a.pdf", "application/pdf", "size", 0},
		{"a.pdf", "application/pdf", "size", attach.MaxSize + 1},
		{"a.exe", "application/x-msdownload", "content_type", 10},
	} {
		if _, err := plan(c.name, c.ctype, c.size); field(err) != c.field {
			t.Errorf("Start(%q, %q, %d) = %v, want a %s error", c.name, c.ctype, c.size, err, c.field)
		}
	}
	if len(files.m) != 0 {
		t.Fatalf("a refused plan wrote rows: %v", files.m)
	}

	// The happy path: planned, PUT, completed (twice: a retry), listed, downloaded.
	p, err := plan(" 申请书.pdf ", "Application/PDF; charset=binary", len(pdf))
	if err != nil {
		t.Fatal(err)
	}
	if p.File.FileName != "申请书.pdf" || p.File.ContentType != "application/pdf" || p.File.Status != attach.Pending || !strings.HasPrefix(p.File.ObjectKey, "test/step/") {
		t.Fatalf("planned %+v", p.File)
	}
	if _, err := u.Complete(ctx, 3, p.File.ID); field(err) != "id" {
		t.Errorf("completing before the PUT = %v, want an id error", err)
	}
	put(t, p.URL, pdf)
	if _, err := u.Complete(ctx, 4, p.File.ID); !errors.Is(err, errNotFound) {
		t.Errorf("another uploader completing = %v", err)
	}
	for range 2 {
		f, err := u.Complete(ctx, 3, p.File.ID)
		if err != nil || f.Status != attach.Ready || f.ContentType != "application/pdf" {
			t.Fatalf("Complete = %+v, %v", f, err)
		}
	}
	listed, err := u.ByRef(ctx, "step", []int64{7, 8})
	if err != nil || len(listed[7]) != 1 || len(listed[8]) != 0 {
		t.Fatalf("ByRef = %v, %v", listed, err)
	}
	url, err := u.URL(ctx, listed[7][0])
	if err != nil {
		t.Fatal(err)
	}
	res, err := http.Get(url)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("GET: %v %v", err, res)
	}
	got, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !bytes.Equal(got, pdf) {
		t.Fatalf("downloaded %q", got)
	}

	// A file whose bytes are not what it says is deleted and refused; a file of another size too.
	fake, _ := plan("fake.pdf", "application/pdf", 12)
	put(t, fake.URL, []byte("MZ not a pdf"))
	if _, err := u.Complete(ctx, 3, fake.File.ID); field(err) != "content_type" {
		t.Errorf("a fake PDF = %v", err)
	}
	if _, err := store.Stat(ctx, fake.File.ObjectKey); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("a fake PDF's bytes kept: %v", err)
	}
	short, _ := plan("short.pdf", "application/pdf", len(pdf)+5)
	put(t, short.URL, pdf)
	if _, err := u.Complete(ctx, 3, short.File.ID); field(err) != "size" {
		t.Errorf("another size = %v", err)
	}

	// Removed: the row says so, the bytes are gone, no URL any more; removing again is a no-op.
	f := listed[7][0]
	if err := u.Remove(ctx, f); err != nil {
		t.Fatal(err)
	}
	if err := u.Remove(ctx, f); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Stat(ctx, f.ObjectKey); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("removed bytes kept: %v", err)
	}
	if _, err := u.URL(ctx, f); !errors.Is(err, errNotFound) {
		t.Errorf("URL of a removed file = %v", err)
	}
	if l, _ := u.ByRef(ctx, "step", []int64{7}); len(l[7]) != 0 {
		t.Errorf("a removed file listed: %v", l[7])
	}
	if _, err := u.Complete(ctx, 3, f.ID); !errors.Is(err, errNotFound) {
		t.Errorf("completing a removed file = %v", err)
	}

	// Abandoned: the reconciler expires the row, aborts its upload, and sweeps an upload no row
	// accounts for; completing the expired one says it timed out.
	left, _ := plan("left.pdf", "application/pdf", len(pdf))
	orphanKey := "test/step/orphan"
	if _, err := store.CreateMultipart(ctx, orphanKey, "application/pdf"); err != nil {
		t.Fatal(err)
	}
	if err := u.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	if r, _ := files.GetAttachment(ctx, left.File.ID); r.Status != attach.Pending {
		t.Fatalf("a fresh upload expired: %+v", r)
	}
	clk.Advance(attach.TTL + 2*time.Hour)
	if err := u.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	if ups, err := store.ListUploads(ctx, "test/", clk.Now().Add(time.Hour)); err != nil || len(ups) != 0 {
		t.Errorf("uploads left after the reconciler: %v %v", ups, err)
	}
	if _, err := u.Complete(ctx, 3, left.File.ID); err == nil || !strings.Contains(err.Error(), "超时") {
		t.Errorf("completing an expired upload = %v", err)
	}
}
