// Package biz holds the course service's domain: courses with chapters and lessons, lecture
// media uploads and processing, assignments to orgs, study plans and "my courses". It depends on
// the standard library, pkg/auth, pkg/blob (the object store interface), pkg/htmlsafe (article
// HTML), pkg/media (sniffing and probing files) and its own interfaces: no SDK.
package biz

import (
	"context"
	"errors"
	"github.com/vanguard/vanguard/pkg/bizerr"
	"strings"
	"time"
)

// Domain errors; the service layer maps them to API reasons.
var (
	ErrCourseNotFound = errors.New("course not found")
	ErrUploadNotFound = errors.New("upload not found")
	ErrOrgNotFound    = errors.New("org not found")
	ErrAlreadyExists  = errors.New("already exists")
	ErrMediaNotReady  = errors.New("media not ready")
	ErrTopicNotFound  = errors.New("topic not found")
	ErrPlanNotFound   = errors.New("study plan not found")
	// ErrTopicInUse is a topic some course still has.
	ErrTopicInUse = errors.New("topic in use")
	// ErrMediaChanged means a conditional lesson update found another media object in place.
	ErrMediaChanged = errors.New("media changed")
)

// FieldError is bad input naming the field (shared with every service).
type FieldError = bizerr.FieldError

// PermissionError is a denial with a user-facing message (shared with every service).
type PermissionError = bizerr.PermissionError

// Invalid returns a FieldError.
var Invalid = bizerr.Invalid

var deny = bizerr.Deny

// StateError is an action that does not fit the course's status.
type StateError struct{ Msg string }

func (e *StateError) Error() string { return e.Msg }

// RejectedError is an upload whose bytes are not what it declared; the object was deleted.
type RejectedError struct{ Msg string }

func (e *RejectedError) Error() string { return e.Msg }

// Transaction runs fn in one database transaction carried by the context.
type Transaction interface {
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
}

// OrgInfo is what the course service needs of an organisation.
type OrgInfo struct {
	ID   int64
	Path string
	Name string
}

// OrgDirectory looks organisations up in the org service (over its gRPC API, as the caller, so
// the org service applies its own scope rules too). Unknown or invisible orgs are ErrOrgNotFound.
type OrgDirectory interface {
	GetOrg(ctx context.Context, id int64) (*OrgInfo, error)
}

// TaskQueue enqueues the course service's background work. Enqueueing the same work twice is
// harmless (task ids dedupe).
type TaskQueue interface {
	// EnqueueProbe queues media:probe for the lesson's current media object.
	EnqueueProbe(ctx context.Context, lessonID int64, mediaKey string) error
}

// validDate checks YYYY-MM-DD.
func validDate(s string) bool {
	if len(s) != 10 {
		return false
	}
	_, err := time.Parse("2006-01-02", s)
	return err == nil
}

func trim(s string) string { return strings.TrimSpace(s) }
