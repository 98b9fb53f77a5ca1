package minioblob_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/vanguard/vanguard/pkg/blob"
	"github.com/vanguard/vanguard/pkg/blob/blobtest"
	"github.com/vanguard/vanguard/pkg/blob/minioblob"
	"github.com/vanguard/vanguard/pkg/blob/miniotest"
)

// One MinIO server for the whole test binary (started by the first test that needs it).
func TestMain(m *testing.M) { os.Exit(miniotest.Run(m)) }

// newMinIO returns a MinIO store on a fresh bucket of the shared test server.
func newMinIO(t testing.TB) (*minioblob.Store, minioblob.Config) {
	t.Helper()
	endpoint, ak, sk := miniotest.Start(t)
	cfg := minioblob.Config{Endpoint: endpoint, AccessKey: ak, SecretKey: sk, Bucket: miniotest.BucketName(t)}
	s, err := minioblob.New(cfg)
	if err != nil {
		t.Fatalf("minioblob.New: %v", err)
	}
	if err := s.EnsureBucket(context.Background()); err != nil {
		t.Fatalf("EnsureBucket: %v", err)
	}
	return s, cfg
}

func TestMinIOContract(t *testing.T) {
	miniotest.Start(t) // skip (or fail) once here rather than in every subtest
	// MinIO runs on the wall clock: the suite's default expiry (3 s ttl, then a 4 s sleep).
	blobtest.Run(t, func(t *testing.T) blob.Store {
		s, _ := newMinIO(t)
		return s
	})
}

func TestNewRejectsBadConfig(t *testing.T) {
	good := minioblob.Config{Endpoint: "127.0.0.1:9000", AccessKey: "a", SecretKey: "b", Bucket: "media"}
	for name, mutate := range map[string]func(*minioblob.Config){
		"no endpoint":        func(c *minioblob.Config) { c.Endpoint = "" },
		"endpoint with http": func(c *minioblob.Config) { c.Endpoint = "http://127.0.0.1:9000" },
		"no bucket":          func(c *minioblob.Config) { c.Bucket = "" },
		"no secret":          func(c *minioblob.Config) { c.SecretKey = "" },
	} {
		cfg := good
		mutate(&cfg)
		if _, err := minioblob.New(cfg); err == nil {
			t.Errorf("%s: New accepted %+v", name, cfg)
		}
	}
}

func TestMinIOEnsureBucketIsIdempotent(t *testing.T) {
	s, _ := newMinIO(t)
	if err := s.EnsureBucket(context.Background()); err != nil {
		t.Errorf("second EnsureBucket: %v", err)
	}
}

// A 50 MB video uploaded the way the browser does it: ten 5 MiB parts PUT to presigned URLs,
// three at a time, then completed; the stored object must hash like the source.
func TestMinIOLargeMultipartUpload(t *testing.T) {
	if testing.Short() {
		t.Skip("50 MB upload skipped in -short mode")
	}
	s, _ := newMinIO(t)
	ctx := context.Background()
	const key, partSize, nParts = "courses/1/lectures/1/video.mp4", 5 * blobtest.MiB, 10
	payload := blobtest.Bytes(50, nParts*partSize)
	want := sha256.Sum256(payload)

	id, err := s.CreateMultipart(ctx, key, "video/mp4")
	if err != nil {
		t.Fatal(err)
	}
	parts, err := uploadParts(ctx, s, key, id, payload, partSize, 3)
	if err != nil {
		t.Fatal(err)
	}
	listed, err := s.ListParts(ctx, key, id)
	if err != nil || len(listed) != nParts {
		t.Fatalf("ListParts = %d parts, %v; want %d", len(listed), err, nParts)
	}
	for i, p := range listed {
		if p.ETag != strings.Trim(parts[i].ETag, `"`) || p.Size != partSize {
			t.Errorf("part %d listed as %+v, uploaded as %+v", i+1, p, parts[i])
		}
	}
	info, err := s.CompleteMultipart(ctx, key, id, parts)
	if err != nil {
		t.Fatal(err)
	}
	if info.Size != int64(len(payload)) || info.ContentType != "video/mp4" || !strings.HasSuffix(info.ETag, "-10") {
		t.Errorf("Complete info = %+v", info)
	}

	rc, err := s.GetRange(ctx, key, 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	n, err := io.Copy(h, rc)
	rc.Close()
	if err != nil || n != int64(len(payload)) || !bytes.Equal(h.Sum(nil), want[:]) {
		t.Errorf("stored object: %d bytes, err %v, sha256 %x; want %d bytes, sha256 %x", n, err, h.Sum(nil), len(payload), want)
	}

	u, err := s.PresignGet(ctx, key, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	h.Reset()
	n, err = io.Copy(h, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || err != nil || !bytes.Equal(h.Sum(nil), want[:]) {
		t.Errorf("presigned download: status %d, %d bytes, err %v, sha256 %x; want sha256 %x", resp.StatusCode, n, err, h.Sum(nil), want)
	}
}

// uploadParts PUTs payload in parts of partSize to presigned part URLs, concurrency at a time,
// with plain net/http, and returns the parts with the ETags the responses carried.
func uploadParts(ctx context.Context, s blob.Store, key, uploadID string, payload []byte, partSize, concurrency int) ([]blob.Part, error) {
	n := (len(payload) + partSize - 1) / partSize
	parts := make([]blob.Part, n)
	errs := make([]error, n)
	sem := make(chan struct{}, concurrency)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			chunk := payload[i*partSize : min((i+1)*partSize, len(payload))]
			u, err := s.PresignPart(ctx, key, uploadID, i+1, 15*time.Minute)
			if err != nil {
				errs[i] = err
				return
			}
			req, err := http.NewRequestWithContext(ctx, http.MethodPut, u, bytes.NewReader(chunk))
			if err != nil {
				errs[i] = err
				return
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				errs[i] = err
				return
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				errs[i] = fmt.Errorf("PUT part %d: status %d: %s", i+1, resp.StatusCode, body)
				return
			}
			parts[i] = blob.Part{Number: i + 1, ETag: resp.Header.Get("ETag"), Size: int64(len(chunk))}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return parts, nil
}

// BenchmarkUploadPresignedVsPut uploads the same 64 MiB payload to the same MinIO, in the same
// iteration, (a) as the browser will, through presigned part URLs (8 MiB parts, 2 PUTs at a
// time, then Complete), and (b) with minio-go's PutObject (its defaults: 16 MiB parts, 4 at a
// time, payload hashed for signing). It reports MB/s for both and their ratio; ns/op is the sum.
func BenchmarkUploadPresignedVsPut(b *testing.B) {
	s, cfg := newMinIO(b)
	client, err := minio.New(cfg.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""), Region: "us-east-1"})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	const size, partSize = 64 * blobtest.MiB, 8 * blobtest.MiB
	payload := blobtest.Bytes(64, size)

	presigned := func() error {
		id, err := s.CreateMultipart(ctx, "bench/presigned.bin", "application/octet-stream")
		if err != nil {
			return err
		}
		parts, err := uploadParts(ctx, s, "bench/presigned.bin", id, payload, partSize, 2)
		if err != nil {
			return err
		}
		_, err = s.CompleteMultipart(ctx, "bench/presigned.bin", id, parts)
		return err
	}
	put := func() error {
		_, err := client.PutObject(ctx, cfg.Bucket, "bench/put.bin", bytes.NewReader(payload), size, minio.PutObjectOptions{ContentType: "application/octet-stream"})
		return err
	}
	// Warm up connections and MinIO's caches once for each path.
	if err := presigned(); err != nil {
		b.Fatal(err)
	}
	if err := put(); err != nil {
		b.Fatal(err)
	}

	var presignedTime, putTime time.Duration
	i := 0
	for b.Loop() {
		// Alternate the order so neither path always runs on a freshly flushed disk.
		steps := []struct {
			run func() error
			d   *time.Duration
		}{{presigned, &presignedTime}, {put, &putTime}}
		if i%2 == 1 {
			steps[0], steps[1] = steps[1], steps[0]
		}
		for _, st := range steps {
			start := time.Now()
			if err := st.run(); err != nil {
				b.Fatal(err)
			}
			*st.d += time.Since(start)
		}
		i++
	}
	mb := float64(size) / 1e6 * float64(i)
	presignedRate, putRate := mb/presignedTime.Seconds(), mb/putTime.Seconds()
	b.ReportMetric(presignedRate, "presigned-MB/s")
	b.ReportMetric(putRate, "put-MB/s")
	b.ReportMetric(presignedRate/putRate, "presigned/put")
}
