// Package bizerr holds the domain errors every service's biz layer shares: bad input naming the
// field, a denial with a user-facing message, and a missing caller. Each service's service layer maps them to its
// own API error reasons.
package bizerr

import (
	"errors"
	"fmt"
)

// FieldError is bad input: Field names the request field, Reason says what is wrong (Chinese,
// user-facing).
type FieldError struct {
	Field  string
	Reason string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Reason }

// Invalid returns a FieldError; reason is a format string.
func Invalid(field, reason string, args ...any) error {
	return &FieldError{Field: field, Reason: fmt.Sprintf(reason, args...)}
}

// PermissionError is a denial; Msg is user-facing and reveals nothing the caller may not see.
type PermissionError struct{ Msg string }

func (e *PermissionError) Error() string { return "permission denied: " + e.Msg }

// Deny returns a PermissionError.
func Deny(msg string) error { return &PermissionError{Msg: msg} }

// ErrUnauthenticated is a request without a valid signed-in caller (401): no principal, or an
// account that no longer exists.
var ErrUnauthenticated = errors.New("unauthenticated")
