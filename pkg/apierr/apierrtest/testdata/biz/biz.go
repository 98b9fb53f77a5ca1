// Package biz is a stand-in biz package for ExportedErrors' test.
package biz

import (
	"errors"
	"fmt"

	"github.com/vanguard/vanguard/pkg/bizerr"
	sh "github.com/vanguard/vanguard/pkg/sheet"
)

var (
	ErrGone     = errors.New("gone")
	ErrWrapped  = fmt.Errorf("wrapped: %w", ErrGone)
	NotFoundish = errors.New("named without Err but built as an error")
	errHidden   = errors.New("unexported")
	Invalid     = bizerr.Invalid // a function, not an error
	MaxLen      = 10
)

type FieldError = bizerr.FieldError

type ImportError = sh.ImportError

type RowError = sh.RowError // not an error

type Local = StateError

type StateError struct{ Msg string }

func (e *StateError) Error() string { return e.Msg }

type Plain struct{}

func (Plain) String() string { return "" }

type Weird struct{}

func (Weird) Error(code int) string { return "" } // not error's method

type valueError struct{}

func (valueError) Error() string { return "" }
