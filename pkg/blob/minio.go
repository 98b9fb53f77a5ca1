package blob

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
)

// MinIOConfig configures a MinIO store; any S3-compatible server works.
type MinIOConfig struct {
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

// MinIO is the production Store: objects in one bucket of a MinIO (or other S3) server, with
// uploads and downloads through S3 presigned URLs that the browser uses directly.
type MinIO struct {
	core   *minio.Core
	bucket string
	region string
}

var _ Store = (*MinIO)(nil)

// NewMinIO builds a client for cfg. It makes no request; call EnsureBucket at start-up.
func NewMinIO(cfg MinIOConfig) (*MinIO, error) {
	switch {
	case cfg.Endpoint == "":
		return nil, errors.New("blob.NewMinIO: Endpoint is empty")
	case strings.Contains(cfg.Endpoint, "://"):
		return nil, fmt.Errorf("blob.NewMinIO: Endpoint %q must be host:port without a scheme (use Secure for HTTPS)", cfg.Endpoint)
	case cfg.Bucket == "":
		return nil, errors.New("blob.NewMinIO: Bucket is empty")
	case cfg.AccessKey == "" || cfg.SecretKey == "":
		return nil, errors.New("blob.NewMinIO: AccessKey and SecretKey are required")
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
		return nil, fmt.Errorf("blob.NewMinIO: %w", err)
	}
	return &MinIO{core: core, bucket: cfg.Bucket, region: region}, nil
}

// EnsureBucket creates the bucket if it does not exist yet.
func (s *MinIO) EnsureBucket(ctx context.Context) error {
	ok, err := s.core.BucketExists(ctx, s.bucket)
	if err != nil {
		return fmt.Errorf("blob.MinIO.EnsureBucket %q: %w", s.bucket, err)
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
		return fmt.Errorf("blob.MinIO.EnsureBucket %q: %w", s.bucket, err)
	}
	return nil
}

// Put implements Store with minio-go's PutObject (one PUT, or a multipart upload for large or
// unsized bodies), then a Stat for the stored object's full Info.
func (s *MinIO) Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) (Info, error) {
	if err := ValidateKey(key); err != nil {
		return Info{}, err
	}
	_, err := s.core.Client.PutObject(ctx, s.bucket, key, r, size, minio.PutObjectOptions{ContentType: contentTypeOrDefault(contentType)})
	if err != nil {
		return Info{}, s.mapErr("Put", key, err)
	}
	return s.Stat(ctx, key)
}

// Stat implements Store.
func (s *MinIO) Stat(ctx context.Context, key string) (Info, error) {
	if err := ValidateKey(key); err != nil {
		return Info{}, err
	}
	oi, err := s.core.StatObject(ctx, s.bucket, key, minio.StatObjectOptions{})
	if err != nil {
		return Info{}, s.mapErr("Stat", key, err)
	}
	return Info{Key: key, Size: oi.Size, ContentType: oi.ContentType, ETag: bareETag(oi.ETag), ModTime: oi.LastModified}, nil
}

// GetRange implements Store. It uses Core.GetObject, which sends the request before returning,
// so a missing object or a bad range is reported here rather than on the first Read.
func (s *MinIO) GetRange(ctx context.Context, key string, offset, length int64) (io.ReadCloser, error) {
	if err := ValidateKey(key); err != nil {
		return nil, err
	}
	if offset < 0 {
		return nil, fmt.Errorf("%w: offset %d of %q", ErrInvalidRange, offset, key)
	}
	if length == 0 {
		// S3 has no empty range; check the offset against the object and return nothing.
		info, err := s.Stat(ctx, key)
		if err != nil {
			return nil, err
		}
		if offset >= info.Size && offset != 0 {
			return nil, fmt.Errorf("%w: offset %d of %q (%d bytes)", ErrInvalidRange, offset, key, info.Size)
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
		return nil, fmt.Errorf("blob.MinIO.GetRange %q: %w", key, err)
	}
	body, _, _, err := s.core.GetObject(ctx, s.bucket, key, opts)
	if err != nil {
		return nil, s.mapErr("GetRange", key, err)
	}
	return body, nil
}

// Delete implements Store.
func (s *MinIO) Delete(ctx context.Context, key string) error {
	if err := ValidateKey(key); err != nil {
		return err
	}
	if err := s.core.RemoveObject(ctx, s.bucket, key, minio.RemoveObjectOptions{}); err != nil {
		if errors.Is(s.mapErr("Delete", key, err), ErrNotFound) {
			return nil
		}
		return s.mapErr("Delete", key, err)
	}
	return nil
}

// PresignGet implements Store with an S3 presigned GET (ttl between 1 s and 7 days).
func (s *MinIO) PresignGet(ctx context.Context, key string, ttl time.Duration) (string, error) {
	if err := ValidateKey(key); err != nil {
		return "", err
	}
	u, err := s.core.PresignedGetObject(ctx, s.bucket, key, ttl, nil)
	if err != nil {
		return "", fmt.Errorf("blob.MinIO.PresignGet %q: %w", key, err)
	}
	return u.String(), nil
}

// CreateMultipart implements Store.
func (s *MinIO) CreateMultipart(ctx context.Context, key, contentType string) (string, error) {
	if err := ValidateKey(key); err != nil {
		return "", err
	}
	id, err := s.core.NewMultipartUpload(ctx, s.bucket, key, minio.PutObjectOptions{ContentType: contentTypeOrDefault(contentType)})
	if err != nil {
		return "", s.mapErr("CreateMultipart", key, err)
	}
	return id, nil
}

// PresignPart implements Store with an S3 presigned UploadPart (PUT ?partNumber=&uploadId=).
// It cannot tell whether the upload exists; a PUT to an unknown upload gets 404 NoSuchUpload.
func (s *MinIO) PresignPart(ctx context.Context, key, uploadID string, number int, ttl time.Duration) (string, error) {
	if err := ValidateKey(key); err != nil {
		return "", err
	}
	if number < 1 || number > MaxPartNumber {
		return "", fmt.Errorf("blob.MinIO.PresignPart: part number %d outside 1..%d", number, MaxPartNumber)
	}
	if uploadID == "" {
		return "", fmt.Errorf("%w: empty upload ID", ErrUploadNotFound)
	}
	q := url.Values{"partNumber": {strconv.Itoa(number)}, "uploadId": {uploadID}}
	u, err := s.core.Presign(ctx, "PUT", s.bucket, key, ttl, q)
	if err != nil {
		return "", fmt.Errorf("blob.MinIO.PresignPart %q: %w", key, err)
	}
	return u.String(), nil
}

// ListParts implements Store, following the listing's pages.
func (s *MinIO) ListParts(ctx context.Context, key, uploadID string) ([]Part, error) {
	if err := ValidateKey(key); err != nil {
		return nil, err
	}
	if uploadID == "" {
		return nil, fmt.Errorf("%w: empty upload ID", ErrUploadNotFound)
	}
	parts := []Part{}
	marker := 0
	for {
		res, err := s.core.ListObjectParts(ctx, s.bucket, key, uploadID, marker, 1000)
		if err != nil {
			return nil, s.mapErr("ListParts", key, err)
		}
		for _, p := range res.ObjectParts {
			parts = append(parts, Part{Number: p.PartNumber, ETag: bareETag(p.ETag), Size: p.Size})
		}
		if !res.IsTruncated || res.NextPartNumberMarker <= marker {
			break
		}
		marker = res.NextPartNumberMarker
	}
	sort.Slice(parts, func(i, j int) bool { return parts[i].Number < parts[j].Number })
	return parts, nil
}

// CompleteMultipart implements Store. The part list is checked before the request, so an empty or
// unordered list is ErrBadParts here as in the local store; the server reports the rest
// (InvalidPart, EntityTooSmall), also mapped to ErrBadParts.
func (s *MinIO) CompleteMultipart(ctx context.Context, key, uploadID string, parts []Part) (Info, error) {
	if err := ValidateKey(key); err != nil {
		return Info{}, err
	}
	if uploadID == "" {
		return Info{}, fmt.Errorf("%w: empty upload ID", ErrUploadNotFound)
	}
	if err := checkParts(parts); err != nil {
		return Info{}, err
	}
	complete := make([]minio.CompletePart, len(parts))
	for i, p := range parts {
		complete[i] = minio.CompletePart{PartNumber: p.Number, ETag: `"` + bareETag(p.ETag) + `"`}
	}
	if _, err := s.core.CompleteMultipartUpload(ctx, s.bucket, key, uploadID, complete, minio.PutObjectOptions{}); err != nil {
		return Info{}, s.mapErr("CompleteMultipart", key, err)
	}
	return s.Stat(ctx, key)
}

// AbortMultipart implements Store. MinIO answers 204 for an unknown upload; AWS answers
// NoSuchUpload, which is mapped to nil here so that both behave as the interface says.
func (s *MinIO) AbortMultipart(ctx context.Context, key, uploadID string) error {
	if err := ValidateKey(key); err != nil {
		return err
	}
	if uploadID == "" {
		return nil
	}
	if err := s.core.AbortMultipartUpload(ctx, s.bucket, key, uploadID); err != nil {
		if err := s.mapErr("AbortMultipart", key, err); !errors.Is(err, ErrUploadNotFound) {
			return err
		}
	}
	return nil
}

// ListUploads implements Store, oldest first. It lists the whole bucket and filters by prefix
// here: MinIO treats the prefix of ListMultipartUploads as an exact object name, and answers an
// empty prefix from memory, so after a MinIO restart the uploads started before it are not
// listed (MinIO removes stale uploads itself after api.stale_uploads_expiry, 24 h by default).
func (s *MinIO) ListUploads(ctx context.Context, prefix string, olderThan time.Time) ([]Upload, error) {
	var out []Upload
	keyMarker, idMarker := "", ""
	for {
		res, err := s.core.ListMultipartUploads(ctx, s.bucket, "", keyMarker, idMarker, "", 1000)
		if err != nil {
			return nil, s.mapErr("ListUploads", prefix, err)
		}
		for _, u := range res.Uploads {
			if strings.HasPrefix(u.Key, prefix) && u.Initiated.Before(olderThan) {
				out = append(out, Upload{Key: u.Key, UploadID: u.UploadID, Initiated: u.Initiated})
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

// mapErr turns S3 error codes into the package's sentinels and wraps anything else with the
// operation name. Only codes that mean exactly that are mapped: a NoSuchBucket or an access
// error stays an error of its own.
func (s *MinIO) mapErr(op, key string, err error) error {
	switch minio.ToErrorResponse(err).Code {
	case "NoSuchKey":
		return fmt.Errorf("%w: %q", ErrNotFound, key)
	case "NoSuchUpload":
		return fmt.Errorf("%w: %q", ErrUploadNotFound, key)
	case "InvalidPart", "InvalidPartOrder", "EntityTooSmall":
		return fmt.Errorf("%w: %q: %v", ErrBadParts, key, err)
	case "InvalidRange":
		return fmt.Errorf("%w: %q: %v", ErrInvalidRange, key, err)
	case "XMinioInvalidObjectName", "InvalidObjectName", "KeyTooLongError":
		return fmt.Errorf("%w: %q: %v", ErrInvalidKey, key, err)
	}
	return fmt.Errorf("blob.MinIO.%s %q: %w", op, key, err)
}
