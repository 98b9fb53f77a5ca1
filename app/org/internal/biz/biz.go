// Package biz holds the org service's domain: the organisation tree, accounts and member
// profiles, sign-in, and the audit log. It depends only on the standard library, pkg/auth,
// pkg/clock and the interfaces declared here; the data layer implements them.
package biz

import (
	"context"
	"errors"
	"fmt"
	"github.com/vanguard/vanguard/pkg/auth"
	"github.com/vanguard/vanguard/pkg/bizerr"
	"time"
)

// Domain errors. The service layer maps them to the API's error reasons.
var (
	ErrOrgNotFound          = errors.New("org not found")
	ErrAccountNotFound      = errors.New("account not found")
	ErrAlreadyExists        = errors.New("already exists")
	ErrOrgNotEmpty          = errors.New("org not empty")
	ErrInvalidCredentials   = errors.New("invalid credentials")
	ErrAccountDisabled      = errors.New("account disabled")
	ErrInvalidRefreshToken  = errors.New("invalid refresh token")
	ErrWrongPassword        = errors.New("wrong password")
	ErrRefreshTokenNotFound = errors.New("refresh token not found")
)

// FieldError is bad input naming the field (shared with every service).
type FieldError = bizerr.FieldError

// PermissionError is a denial with a user-facing message (shared with every service).
type PermissionError = bizerr.PermissionError

// Invalid returns a FieldError.
var Invalid = bizerr.Invalid

var deny = bizerr.Deny

// HierarchyError reports a tree rule broken by a create or import.
type HierarchyError struct{ Msg string }

func (e *HierarchyError) Error() string { return e.Msg }

// RateLimitError means too many failed sign-ins; RetryAfter says how long to wait.
type RateLimitError struct{ RetryAfter time.Duration }

func (e *RateLimitError) Error() string {
	return fmt.Sprintf("too many attempts, retry after %s", e.RetryAfter)
}

// Transaction runs fn in one database transaction carried by the context; repos called with that
// context take part in it. Nested calls join the outer transaction.
type Transaction interface {
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
}

// requireHome is auth.Require for the org service's own management: the staff of a temporary
// branch act on what is recorded in that branch (its meetings, its courses, its members list:
// see tempbranch.go), never on accounts, orgs, development records or transfers, so their
// temporary staff paths are dropped here.
func requireHome(ctx context.Context) (*auth.Principal, error) {
	p, err := auth.Require(ctx)
	if err != nil || len(p.TempStaffPaths) == 0 {
		return p, err
	}
	home := *p
	home.TempStaffPaths = nil
	return &home, nil
}
