// Package minioblob is the production blob.Store: objects in one bucket of a MinIO (or any other
// S3-compatible) server, with uploads and downloads through S3 presigned URLs that the browser
// uses directly. It is the only package that links the MinIO client SDK; code above the store
// depends on package blob alone.
package minioblob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/vanguard/vanguard/pkg/blob"
)

// Config configures a MinIO store; any S3-compatible server works.
type Config struct {
	// Endpoint is host[:port] without a scheme, e.g. "127.0.0.1:9000". Presigned URLs point at
	// it, so browsers must be able to reach it under this name.
	Endpoint string
	// AccessKey and SecretKey are the credentials (MINIO_ROOT_USER/PASSWORD or a service account).
	AccessKey, SecretKey string
	// Bucket holds every object of this store.
	Bucket string
	// Secure selects HTTPS.
	Secure bool
	// Region is the bucket's region; empty means "us-east-1" (MinIO's default). Setting it saves
	// a bucket-location request before presigning.
	Region string
}

// Store is the production blob.Store: objects in one bucket of a MinIO (or other S3) server,
// with uploads and downloads through S3 presigned URLs that the browser uses directly.
type Store struct {
	core   *minio.Core
	bucket string
	region string
}

var _ blob.Store = (*Store)(nil)

// New builds a client for cfg. It makes no request; call EnsureBucket at start-up.
func New(cfg Config) (*Store, error) {
	switch {
	case cfg.Endpoint == "":
		return nil, errors.New("minioblob.New: Endpoint is empty")
	case strings.Contains(cfg.Endpoint, "://"):
		return nil, fmt.Errorf("minioblob.New: Endpoint %q must be host:port without a scheme (use Secure for HTTPS)", cfg.Endpoint)
	case cfg.Bucket == "":
		return nil, errors.New("minioblob.New: Bucket is empty")
	case cfg.AccessKey == "" || cfg.SecretKey == "":
		return nil, errors.New("minioblob.New: AccessKey and SecretKey are required")
	}
	region := cfg.Region
	if region == "" {
		region = "us-east-1"
	}
	core, err := minio.NewCore(cfg.Endpoint, &minio.Options{
		Creds:  credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure: cfg.Secure,
		Region: region,
	})
	if err != nil {
		return nil, fmt.Errorf("minioblob.New: %w", err)
	}
	return &Store{core: core, bucket: cfg.Bucket, region: region}, nil
}

// EnsureBucket creates the bucket if it does not exist yet.
func (s *Store) EnsureBucket(ctx context.Context) error {
	ok, err := s.core.BucketExists(ctx, s.bucket)
	if err != nil {
		return fmt.Errorf("minioblob.Store.EnsureBucket %q: %w", s.bucket, err)
	}
	if ok {
		return nil
	}
	err = s.core.MakeBucket(ctx, s.bucket, minio.MakeBucketOptions{Region: s.region})
	if err != nil {
		switch minio.ToErrorResponse(err).Code {
		case "BucketAlreadyOwnedByYou", "BucketAlreadyExists": // created concurrently
			return nil
		}
		return fmt.Errorf("minioblob.Store.EnsureBucket %q: %w", s.bucket, err)
	}
	return nil
}

// Put implements blob.Store with minio-go's PutObject (one PUT, or a multipart upload for large
// or unsized bodies), then a Stat for the stored object's full Info.
func (s *Store) Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) (blob.Info, error) {
	if err := blob.ValidateKey(key); err != nil {
		return blob.Info{}, err
	}
	_, err := s.core.Client.PutObject(ctx, s.bucket, key, r, size, minio.PutObjectOptions{ContentType: blob.ContentTypeOrDefault(contentType)})
	if err != nil {
		return blob.Info{}, s.mapErr("Put", key, err)
	}
	return s.Stat(ctx, key)
}

// Stat implements blob.Store.
func (s *Store) Stat(ctx context.Context, key string) (blob.Info, error) {
	if err := blob.ValidateKey(key); err != nil {
		return blob.Info{}, err
	}
	oi, err := s.core.StatObject(ctx, s.bucket, key, minio.StatObjectOptions{})
	if err != nil {
		return blob.Info{}, s.mapErr("Stat", key, err)
	}
	return blob.Info{Key: key, Size: oi.Size, ContentType: oi.ContentType, ETag: blob.BareETag(oi.ETag), ModTime: oi.LastModified}, nil
}

// GetRange implements blob.Store. It uses Core.GetObject, which sends the request before
// returning, so a missing object or a bad range is reported here rather than on the first Read.
func (s *Store) GetRange(ctx context.Context, key string, offset, length int64) (io.ReadCloser, error) {
	if err := blob.ValidateKey(key); err != nil {
		return nil, err
	}
	if offset < 0 {
		return nil, fmt.Errorf("%w: offset %d of %q", blob.ErrInvalidRange, offset, key)
	}
	if length == 0 {
		// S3 has no empty range; check the offset against the object and return nothing.
		info, err := s.Stat(ctx, key)
		if err != nil {
			return nil, err
		}
		if offset >= info.Size && offset != 0 {
			return nil, fmt.Errorf("%w: offset %d of %q (%d bytes)", blob.ErrInvalidRange, offset, key, info.Size)
		}
		return io.NopCloser(strings.NewReader("")), nil
	}
	opts := minio.GetObjectOptions{}
	var err error
	switch {
	case length > 0:
		err = opts.SetRange(offset, offset+length-1)
	case offset > 0:
		err = opts.SetRange(offset, 0) // bytes=offset-
	}
	if err != nil {
		return nil, fmt.Errorf("minioblob.Store.GetRange %q: %w", key, err)
	}
	body, _, _, err := s.core.GetObject(ctx, s.bucket, key, opts)
	if err != nil {
		return nil, s.mapErr("GetRange", key, err)
	}
	return body, nil
}

// Delete implements blob.Store.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := blob.ValidateKey(key); err != nil {
		return err
	}
	if err := s.core.RemoveObject(ctx, s.bucket, key, minio.RemoveObjectOptions{}); err != nil {
		if errors.Is(s.mapErr("Delete", key, err), blob.ErrNotFound) {
			return nil
		}
		return s.mapErr("Delete", key, err)
	}
	return nil
}

// PresignGet implements blob.Store with an S3 presigned GET (ttl between 1 s and 7 days).
func (s *Store) PresignGet(ctx context.Context, key string, ttl time.Duration) (string, error) {
	if err := blob.ValidateKey(key); err != nil {
		return "", err
	}
	u, err := s.core.PresignedGetObject(ctx, s.bucket, key, ttl, nil)
	if err != nil {
		return "", fmt.Errorf("minioblob.Store.PresignGet %q: %w", key, err)
	}
	return u.String(), nil
}

// CreateMultipart implements blob.Store.
func (s *Store) CreateMultipart(ctx context.Context, key, contentType string) (string, error) {
	if err := blob.ValidateKey(key); err != nil {
		return "", err
	}
	id, err := s.core.NewMultipartUpload(ctx, s.bucket, key, minio.PutObjectOptions{ContentType: blob.ContentTypeOrDefault(contentType)})
	if err != nil {
		return "", s.mapErr("CreateMultipart", key, err)
	}
	return id, nil
}

// PresignPart implements blob.Store with an S3 presigned UploadPart (PUT ?partNumber=&uploadId=).
// It cannot tell whether the upload exists; a PUT to an unknown upload gets 404 NoSuchUpload.
func (s *Store) PresignPart(ctx context.Context, key, uploadID string, number int, ttl time.Duration) (string, error) {
	if err := blob.ValidateKey(key); err != nil {
		return "", err
	}
	if number < 1 || number > blob.MaxPartNumber {
		return "", fmt.Errorf("minioblob.Store.PresignPart: part number %d outside 1..%d", number, blob.MaxPartNumber)
	}
	if uploadID == "" {
		return "", fmt.Errorf("%w: empty upload ID", blob.ErrUploadNotFound)
	}
	q := url.Values{"partNumber": {strconv.Itoa(number)}, "uploadId": {uploadID}}
	u, err := s.core.Presign(ctx, "PUT", s.bucket, key, ttl, q)
	if err != nil {
		return "", fmt.Errorf("minioblob.Store.PresignPart %q: %w", key, err)
	}
	return u.String(), nil
}

// ListParts implements blob.Store, following the listing's pages.
func (s *Store) ListParts(ctx context.Context, key, uploadID string) ([]blob.Part, error) {
	if err := blob.ValidateKey(key); err != nil {
		return nil, err
	}
	if uploadID == "" {
		return nil, fmt.Errorf("%w: empty upload ID", blob.ErrUploadNotFound)
	}
	parts := []blob.Part{}
	marker := 0
	for {
		res, err := s.core.ListObjectParts(ctx, s.bucket, key, uploadID, marker, 1000)
		if err != nil {
			return nil, s.mapErr("ListParts", key, err)
		}
		for _, p := range res.ObjectParts {
			parts = append(parts, blob.Part{Number: p.PartNumber, ETag: blob.BareETag(p.ETag), Size: p.Size})
		}
		if !res.IsTruncated || res.NextPartNumberMarker <= marker {
			break
		}
		marker = res.NextPartNumberMarker
	}
	sort.Slice(parts, func(i, j int) bool { return parts[i].Number < parts[j].Number })
	return parts, nil
}

// CompleteMultipart implements blob.Store. The part list is checked before the request (by
// blob.CheckParts), so an empty or unordered list is blob.ErrBadParts here as in the local store;
// the server reports the rest (InvalidPart, EntityTooSmall), also mapped to blob.ErrBadParts.
func (s *Store) CompleteMultipart(ctx context.Context, key, uploadID string, parts []blob.Part) (blob.Info, error) {
	if err := blob.ValidateKey(key); err != nil {
		return blob.Info{}, err
	}
	if uploadID == "" {
		return blob.Info{}, fmt.Errorf("%w: empty upload ID", blob.ErrUploadNotFound)
	}
	if err := blob.CheckParts(parts); err != nil {
		return blob.Info{}, err
	}
	complete := make([]minio.CompletePart, len(parts))
	for i, p := range parts {
		complete[i] = minio.CompletePart{PartNumber: p.Number, ETag: `"` + blob.BareETag(p.ETag) + `"`}
	}
	if _, err := s.core.CompleteMultipartUpload(ctx, s.bucket, key, uploadID, complete, minio.PutObjectOptions{}); err != nil {
		return blob.Info{}, s.mapErr("CompleteMultipart", key, err)
	}
	return s.Stat(ctx, key)
}

// AbortMultipart implements blob.Store. MinIO answers 204 for an unknown upload; AWS answers
// NoSuchUpload, which is mapped to nil here so that both behave as the interface says.
func (s *Store) AbortMultipart(ctx context.Context, key, uploadID string) error {
	if err := blob.ValidateKey(key); err != nil {
		return err
	}
	if uploadID == "" {
		return nil
	}
	if err := s.core.AbortMultipartUpload(ctx, s.bucket, key, uploadID); err != nil {
		if err := s.mapErr("AbortMultipart", key, err); !errors.Is(err, blob.ErrUploadNotFound) {
			return err
		}
	}
	return nil
}

// ListUploads implements blob.Store, oldest first. It lists the whole bucket and filters by
// prefix here: MinIO treats the prefix of ListMultipartUploads as an exact object name, and
// answers an empty prefix from memory, so after a MinIO restart the uploads started before it are
// not listed (MinIO removes stale uploads itself after api.stale_uploads_expiry, 24 h by default).
func (s *Store) ListUploads(ctx context.Context, prefix string, olderThan time.Time) ([]blob.Upload, error) {
	var out []blob.Upload
	keyMarker, idMarker := "", ""
	for {
		res, err := s.core.ListMultipartUploads(ctx, s.bucket, "", keyMarker, idMarker, "", 1000)
		if err != nil {
			return nil, s.mapErr("ListUploads", prefix, err)
		}
		for _, u := range res.Uploads {
			if strings.HasPrefix(u.Key, prefix) && u.Initiated.Before(olderThan) {
				out = append(out, blob.Upload{Key: u.Key, UploadID: u.UploadID, Initiated: u.Initiated})
			}
		}
		if !res.IsTruncated || (res.NextKeyMarker == keyMarker && res.NextUploadIDMarker == idMarker) {
			break
		}
		keyMarker, idMarker = res.NextKeyMarker, res.NextUploadIDMarker
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Initiated.Equal(out[j].Initiated) {
			return out[i].Initiated.Before(out[j].Initiated)
		}
		return out[i].UploadID < out[j].UploadID
	})
	return out, nil
}

// mapErr turns S3 error codes into package blob's sentinels and wraps anything else with the
// operation name. Only codes that mean exactly that are mapped: a NoSuchBucket or an access
// error stays an error of its own.
func (s *Store) mapErr(op, key string, err error) error {
	switch minio.ToErrorResponse(err).Code {
	case "NoSuchKey":
		return fmt.Errorf("%w: %q", blob.ErrNotFound, key)
	case "NoSuchUpload":
		return fmt.Errorf("%w: %q", blob.ErrUploadNotFound, key)
	case "InvalidPart", "InvalidPartOrder", "EntityTooSmall":
		return fmt.Errorf("%w: %q: %v", blob.ErrBadParts, key, err)
	case "InvalidRange":
		return fmt.Errorf("%w: %q: %v", blob.ErrInvalidRange, key, err)
	case "XMinioInvalidObjectName", "InvalidObjectName", "KeyTooLongError":
		return fmt.Errorf("%w: %q: %v", blob.ErrInvalidKey, key, err)
	}
	return fmt.Errorf("minioblob.Store.%s %q: %w", op, key, err)
}
