package biz

import (
	"context"
	"errors"
	"time"
)

// Errors of the growth service's use cases and repositories.
var (
	ErrNotFound      = errors.New("not found")
	ErrAlreadyExists = errors.New("already exists")
	// ErrStale means the file moved on meanwhile: another compile stored a newer version, or the
	// version reviewed is no longer the latest.
	ErrStale = errors.New("the file has a newer version")
	// ErrLocked means the version was approved: its review is final.
	ErrLocked = errors.New("the approved version is locked")
)

// Review is staff's decision on a version of a member's file.
type Review struct {
	ID           int64
	MemberID     int64
	VersionNo    int
	Decision     string // StatusApproved or StatusReturned
	Comment      string
	ReviewerID   int64
	ReviewerName string
	CreatedAt    time.Time
}

// FileFilter selects files: those under a path prefix, of a status ("" any), after a keyset
// cursor (the update time and member of the last file seen), oldest update first.
type FileFilter struct {
	PathPrefix  string
	Status      string
	AfterUpdate time.Time
	AfterMember int64
	Limit       int
}

// Transaction runs fn in a database transaction carried by ctx.
type Transaction interface {
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
}

// FileRepo keeps members' files, their immutable versions and their reviews.
type FileRepo interface {
	// GetFile returns a member's file; ErrNotFound if never compiled.
	GetFile(ctx context.Context, memberID int64) (*File, error)
	// PutVersion stores v and the file f pointing at it, provided the file's latest version is
	// still prevLatest (0: no file yet); else ErrStale and nothing is stored.
	PutVersion(ctx context.Context, f *File, v *Version, prevLatest int) error
	// GetVersion returns a version with its content; ErrNotFound if missing.
	GetVersion(ctx context.Context, memberID int64, no int) (*Version, error)
	// ListVersions lists a member's versions newest first, without their content.
	ListVersions(ctx context.Context, memberID int64) ([]*Version, error)
	// AddReview stores a review of the file's latest version and sets the file's status (and, when
	// approved, its approved version), provided r.VersionNo is still the latest; else ErrStale.
	AddReview(ctx context.Context, r *Review, now time.Time) error
	// ListReviews lists a member's reviews newest first.
	ListReviews(ctx context.Context, memberID int64) ([]*Review, error)
	// ListFiles lists files by the filter.
	ListFiles(ctx context.Context, f FileFilter) ([]*File, error)
}
