// Package attach is the upload flow of files that belong to a service's records (a meeting's
// minutes, an offline study record's evidence, a development step's papers): the browser PUTs
// the bytes straight to the blob store through a presigned URL, the server checks the real
// (sniffed) type on completion, hands out short-lived download URLs, and a reconciler aborts
// uploads never completed. Who may upload or read a file is the owning service's decision; this
// package keeps the files' rows and bytes consistent.
package attach

import (
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vanguard/vanguard/pkg/bizerr"
	"github.com/vanguard/vanguard/pkg/blob"
	"github.com/vanguard/vanguard/pkg/clock"
	"github.com/vanguard/vanguard/pkg/media"
)

// File statuses.
const (
	Pending = "pending"
	Ready   = "ready"
	// Expired: planned but never completed within TTL; its upload is aborted.
	Expired = "expired"
	// Removed: taken off its record by staff; its bytes are deleted.
	Removed = "removed"
)

// Limits.
const (
	MaxSize     = 20 << 20
	MaxFileName = 200
	urlTTL      = 10 * time.Minute
	putTTL      = time.Hour
	// TTL is how long a planned upload may stay unfinished before the reconciler aborts it (well
	// past its presigned URL's hour).
	TTL = 24 * time.Hour
)

// Types are the files accepted, by their real (sniffed) type.
var Types = []string{"application/pdf", "image/jpeg", "image/png",
	"application/vnd.openxmlformats-officedocument.wordprocessingml.document"}

// File is a file in the blob store belonging to a record of the owning service.
type File struct {
	ID          int64
	Purpose     string
	RefID       int64 // the record; 0 while a file waits for a record not yet filed
	OrgPath     string
	UploadedBy  int64
	FileName    string
	Size        int64
	ContentType string
	ObjectKey   string
	UploadID    string
	Status      string
	CreatedAt   time.Time
}

// Store keeps the files' rows.
type Store interface {
	CreateAttachment(ctx context.Context, f *File) (*File, error)
	// GetAttachment returns a file; the service's not-found error if missing.
	GetAttachment(ctx context.Context, id int64) (*File, error)
	// SaveAttachment writes status, content type and reference.
	SaveAttachment(ctx context.Context, f *File) error
	// ExpirePending marks files still pending that were planned before the time expired, and
	// returns them.
	ExpirePending(ctx context.Context, before time.Time, limit int) ([]*File, error)
	// ListAttachments lists the ready files of purpose for the references, oldest first.
	ListAttachments(ctx context.Context, purpose string, refIDs []int64) ([]*File, error)
}

// Uploads runs the flow for one service: its rows in Files, its bytes under Prefix in Blobs.
type Uploads struct {
	// Prefix starts every object key ("studyhour/"); the reconciler sweeps unfinished uploads
	// under it.
	Prefix string
	Blobs  blob.Store
	Files  Store
	Clock  clock.Clock
	// NotFound is the service's not-found error, returned for another uploader's file.
	NotFound error
}

// Plan is where the browser PUTs the file's bytes.
type Plan struct {
	File *File
	URL  string
}

// Check validates a planned file's name, size and declared type, returning the name trimmed and
// the type lower-cased without parameters.
func Check(fileName string, size int64, contentType string) (string, string, error) {
	fileName = strings.TrimSpace(fileName)
	contentType = strings.ToLower(strings.TrimSpace(strings.SplitN(contentType, ";", 2)[0]))
	switch {
	case fileName == "" || utf8.RuneCountInString(fileName) > MaxFileName:
		return "", "", bizerr.Invalid("file_name", "文件名不能为空，最长200字")
	case size <= 0 || size > MaxSize:
		return "", "", bizerr.Invalid("size", "文件大小应在 20 MiB 以内")
	case !slices.Contains(Types, contentType):
		return "", "", bizerr.Invalid("content_type", "只接受 PDF、JPG、PNG 或 Word（.docx）文件")
	}
	return fileName, contentType, nil
}

// Start plans the upload of f (Purpose, RefID, OrgPath and UploadedBy set by the caller, who has
// decided the uploader may add it): it checks the name, size and type, opens the upload, writes
// the pending row and presigns the PUT.
func (u *Uploads) Start(ctx context.Context, f *File) (*Plan, error) {
	if u.Blobs == nil {
		return nil, errors.New("attach: no blob store")
	}
	name, ctype, err := Check(f.FileName, f.Size, f.ContentType)
	if err != nil {
		return nil, err
	}
	f.FileName, f.ContentType, f.Status, f.CreatedAt = name, ctype, Pending, u.Clock.Now().UTC()
	f.ObjectKey = blob.NewKey(u.Prefix+f.Purpose, name, "file")
	if f.UploadID, err = u.Blobs.CreateMultipart(ctx, f.ObjectKey, ctype); err != nil {
		return nil, err
	}
	if f, err = u.Files.CreateAttachment(ctx, f); err != nil {
		return nil, err
	}
	url, err := u.Blobs.PresignPart(ctx, f.ObjectKey, f.UploadID, 1, putTTL)
	if err != nil {
		return nil, err
	}
	return &Plan{File: f, URL: url}, nil
}

// Complete assembles the uploader's file and checks its real type; a file of another type is
// deleted and refused. Safe to retry.
func (u *Uploads) Complete(ctx context.Context, uploader, id int64) (*File, error) {
	f, err := u.Files.GetAttachment(ctx, id)
	if err != nil {
		return nil, err
	}
	if f.UploadedBy != uploader {
		return nil, u.NotFound
	}
	switch f.Status {
	case Ready:
		return f, nil
	case Expired:
		return nil, bizerr.Invalid("id", "上传已超时，请重新上传")
	case Removed:
		return nil, u.NotFound
	}
	parts, err := u.Blobs.ListParts(ctx, f.ObjectKey, f.UploadID)
	if errors.Is(err, blob.ErrUploadNotFound) {
		parts = nil
	} else if err != nil {
		return nil, err
	}
	if len(parts) == 1 {
		if parts[0].Size != f.Size {
			return nil, bizerr.Invalid("size", "上传的文件大小与声明的不一致")
		}
		if _, err := u.Blobs.CompleteMultipart(ctx, f.ObjectKey, f.UploadID, parts); err != nil {
			return nil, err
		}
	} else if _, err := u.Blobs.Stat(ctx, f.ObjectKey); err != nil { // completed by a retry that failed later
		if errors.Is(err, blob.ErrNotFound) {
			return nil, bizerr.Invalid("id", "文件尚未上传")
		}
		return nil, err
	}
	rc, err := u.Blobs.GetRange(ctx, f.ObjectKey, 0, media.SniffLen)
	if err != nil {
		return nil, err
	}
	head, err := io.ReadAll(io.LimitReader(rc, media.SniffLen))
	rc.Close()
	if err != nil {
		return nil, err
	}
	real := media.Sniff(head)
	if !slices.Contains(Types, real) {
		_ = u.Blobs.Delete(ctx, f.ObjectKey)
		return nil, bizerr.Invalid("content_type", "文件内容不是 PDF、JPG、PNG 或 Word（.docx）文件")
	}
	f.ContentType, f.Status = real, Ready
	if err := u.Files.SaveAttachment(ctx, f); err != nil {
		return nil, err
	}
	return f, nil
}

// URL returns a short-lived download URL of a ready file (the caller has decided who may read
// it); a file not ready is the service's not-found error.
func (u *Uploads) URL(ctx context.Context, f *File) (string, error) {
	if f.Status != Ready {
		return "", u.NotFound
	}
	return u.Blobs.PresignGet(ctx, f.ObjectKey, urlTTL)
}

// Remove takes a ready file off its record: the row first (the database is the truth), then the
// bytes (a failure there leaves an object no row points at, which costs space, not safety).
func (u *Uploads) Remove(ctx context.Context, f *File) error {
	if f.Status == Removed {
		return nil
	}
	f.Status = Removed
	if err := u.Files.SaveAttachment(ctx, f); err != nil {
		return err
	}
	if err := u.Blobs.Delete(ctx, f.ObjectKey); err != nil && !errors.Is(err, blob.ErrNotFound) {
		return err
	}
	return nil
}

// ByRef lists the ready files of purpose for the references, by reference.
func (u *Uploads) ByRef(ctx context.Context, purpose string, ids []int64) (map[int64][]*File, error) {
	out := map[int64][]*File{}
	if len(ids) == 0 {
		return out, nil
	}
	fs, err := u.Files.ListAttachments(ctx, purpose, ids)
	if err != nil {
		return nil, err
	}
	for _, f := range fs {
		out[f.RefID] = append(out[f.RefID], f)
	}
	return out, nil
}

// Reconcile aborts the uploads of files planned more than TTL ago and never completed: the row
// first (the database is the truth: completing now answers that the upload timed out), then the
// store; and sweeps the store's unfinished uploads under Prefix that no row accounts for any more
// (a crash between the two).
func (u *Uploads) Reconcile(ctx context.Context) error {
	if u.Blobs == nil {
		return nil
	}
	now := u.Clock.Now()
	expired, err := u.Files.ExpirePending(ctx, now.Add(-TTL), 500)
	if err != nil {
		return err
	}
	for _, f := range expired {
		if err := u.Blobs.AbortMultipart(ctx, f.ObjectKey, f.UploadID); err != nil {
			return err
		}
	}
	stale, err := u.Blobs.ListUploads(ctx, u.Prefix, now.Add(-TTL-time.Hour))
	if err != nil {
		return err
	}
	for _, up := range stale {
		if err := u.Blobs.AbortMultipart(ctx, up.Key, up.UploadID); err != nil && !errors.Is(err, blob.ErrUploadNotFound) {
			return err
		}
	}
	return nil
}
