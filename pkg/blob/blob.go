// Package blob is the object store behind lecture media: one interface with two adapters, MinIO
// (or any S3) for production, in package blob/minioblob, and a local filesystem store for
// standalone mode, here. Browsers upload and download directly through short-lived presigned
// URLs; the API never proxies media bytes. This package uses the standard library only, so
// domain code can depend on the interface without linking an S3 client.
package blob

import (
	"context"
	"errors"
	"io"
	"time"
)

// Errors every adapter returns (possibly wrapped: test with errors.Is).
var (
	// ErrNotFound: no object under the key.
	ErrNotFound = errors.New("blob: object not found")
	// ErrUploadNotFound: no such multipart upload for the key (never started, completed or aborted).
	ErrUploadNotFound = errors.New("blob: multipart upload not found")
	// ErrBadParts: CompleteMultipart got an empty or unordered list, a part that was never
	// uploaded, or an ETag that does not match the stored part.
	ErrBadParts = errors.New("blob: parts missing or mismatched")
	// ErrInvalidKey: the key is not a clean relative slash path (see ValidateKey).
	ErrInvalidKey = errors.New("blob: invalid key")
	// ErrInvalidRange: GetRange was asked to start before the object or past its end.
	ErrInvalidRange = errors.New("blob: invalid range")
)

// Info describes a stored object. ETag is bare (no surrounding quotes): the hex MD5 of the bytes
// for a single PUT, "<hex>-<parts>" for an object assembled from a multipart upload.
type Info struct {
	Key         string
	Size        int64
	ContentType string
	ETag        string
	ModTime     time.Time
}

// Part is one uploaded part of a multipart upload (numbers 1..10000). ETag is the part's hex MD5;
// adapters accept it with or without the quotes an HTTP ETag header carries.
type Part struct {
	Number int
	ETag   string
	Size   int64
}

// Upload is an incomplete multipart upload.
type Upload struct {
	Key       string
	UploadID  string
	Initiated time.Time
}

// Store is an object store. Keys are slash-separated paths without a leading slash; both
// adapters reject keys that ValidateKey refuses, so a key that works in standalone mode works
// on MinIO too.
type Store interface {
	// Put stores size bytes from r (size < 0: until EOF) under key, replacing any object there.
	// An empty contentType is stored as application/octet-stream.
	Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) (Info, error)
	// Stat describes the object under key, or returns ErrNotFound.
	Stat(ctx context.Context, key string) (Info, error)
	// GetRange reads length bytes from offset (length < 0: to the end; a range past the end is
	// cut short). An offset outside the object (other than 0 on an empty one) is ErrInvalidRange.
	GetRange(ctx context.Context, key string, offset, length int64) (io.ReadCloser, error)
	// Delete removes the object; deleting a missing key is not an error (as in S3).
	Delete(ctx context.Context, key string) error
	// PresignGet returns a URL that serves the object, with HTTP Range support, until ttl passes.
	PresignGet(ctx context.Context, key string, ttl time.Duration) (string, error)

	// CreateMultipart starts a multipart upload; the object gets contentType when completed.
	CreateMultipart(ctx context.Context, key, contentType string) (uploadID string, err error)
	// PresignPart returns a URL that accepts an HTTP PUT of one part's bytes until ttl passes;
	// the response carries the part's ETag header.
	PresignPart(ctx context.Context, key, uploadID string, number int, ttl time.Duration) (string, error)
	// ListParts lists the parts uploaded so far, by ascending number.
	ListParts(ctx context.Context, key, uploadID string) ([]Part, error)
	// CompleteMultipart assembles the listed parts (as reported by ListParts) into the object.
	CompleteMultipart(ctx context.Context, key, uploadID string, parts []Part) (Info, error)
	// AbortMultipart discards an upload and its parts. Aborting an upload that does not exist
	// (finished, aborted, never started, or started for another key) is not an error and changes
	// nothing: MinIO answers so, and it lets clean-up jobs race safely.
	AbortMultipart(ctx context.Context, key, uploadID string) error
	// ListUploads lists incomplete multipart uploads under prefix started before olderThan.
	ListUploads(ctx context.Context, prefix string, olderThan time.Time) ([]Upload, error)
}
