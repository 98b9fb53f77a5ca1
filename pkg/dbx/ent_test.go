package dbx_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/vanguard/vanguard/pkg/dbx"
)

var (
	errNotFound    = errors.New("ent: not found")
	errConstraint  = errors.New("ent: constraint failed")
	errValidation  = errors.New("ent: validator failed for field \"title\"")
	errBizNotFound = errors.New("course not found")
	errBizExists   = errors.New("already exists")
)

type invalidArg struct{ field string }

func (e *invalidArg) Error() string { return "invalid " + e.field }

var kinds = dbx.EntErrors{
	IsNotFound:   func(err error) bool { return errors.Is(err, errNotFound) },
	IsConstraint: func(err error) bool { return errors.Is(err, errConstraint) },
	Invalid: func(err error) (string, bool) {
		if errors.Is(err, errValidation) {
			return "title", true
		}
		return "", false
	},
	AlreadyExists:   errBizExists,
	InvalidArgument: func(field string, _ error) error { return &invalidArg{field} },
}

// The shared mapping: not found only where the caller names a not-found error (an unexpected
// error never becomes not found), constraints become already-exists, failed validators the
// invalid-argument error naming the field, and everything keeps the operation name.
func TestMapErr(t *testing.T) {
	if err := kinds.MapErr("op", nil, errBizNotFound); err != nil {
		t.Fatalf("nil → %v", err)
	}
	if err := kinds.MapErr("op", errNotFound, errBizNotFound); err != errBizNotFound {
		t.Fatalf("not found → %v", err)
	}
	if err := kinds.MapErr("op", errNotFound, nil); errors.Is(err, errBizNotFound) || !errors.Is(err, errNotFound) {
		t.Fatalf("not found without a mapping → %v, want the original error", err)
	}
	if err := kinds.MapErr("repo.Create", errConstraint, errBizNotFound); !errors.Is(err, errBizExists) || !strings.HasPrefix(err.Error(), "repo.Create: ") {
		t.Fatalf("constraint → %v", err)
	}
	var ia *invalidArg
	if err := kinds.MapErr("op", errValidation, nil); !errors.As(err, &ia) || ia.field != "title" {
		t.Fatalf("validation → %v", err)
	}
	boom := errors.New("connection reset")
	if err := kinds.MapErr("op", boom, errBizNotFound); !errors.Is(err, boom) || errors.Is(err, errBizNotFound) {
		t.Fatalf("unexpected error → %v", err)
	}
}
