package kit

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/vanguard/vanguard/pkg/blob"
	"github.com/vanguard/vanguard/pkg/blob/minioblob"
)

// MinIOLink is the `minio` section of a service that keeps objects in MinIO (or any S3).
type MinIOLink struct {
	Endpoint  string `json:"endpoint"`
	AccessKey string `json:"access_key"`
	SecretKey string `json:"secret_key"`
	Bucket    string `json:"bucket"`
	Secure    bool   `json:"secure"`
}

// Validate checks the section's shape (the keys are checked when the store opens: migrating needs
// none).
func (m *MinIOLink) Validate() error {
	var errs []error
	if m.Endpoint == "" || strings.Contains(m.Endpoint, "/") {
		errs = append(errs, fmt.Errorf("minio.endpoint: want host:port, got %q", m.Endpoint))
	}
	if m.Bucket == "" {
		errs = append(errs, errors.New("minio.bucket: required"))
	}
	return errors.Join(errs...)
}

// Open connects to the store and makes sure its bucket exists.
func (m *MinIOLink) Open(ctx context.Context) (blob.Store, error) {
	if m.AccessKey == "" || m.SecretKey == "" {
		return nil, errors.New("set VANGUARD_MINIO_ACCESS_KEY and VANGUARD_MINIO_SECRET_KEY")
	}
	store, err := minioblob.New(minioblob.Config{Endpoint: m.Endpoint, AccessKey: m.AccessKey, SecretKey: m.SecretKey, Bucket: m.Bucket, Secure: m.Secure})
	if err != nil {
		return nil, err
	}
	if err := store.EnsureBucket(ctx); err != nil {
		return nil, err
	}
	return store, nil
}
