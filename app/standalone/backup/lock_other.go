//go:build !unix

package backup

import (
	"errors"
	"os"
)

var errWouldBlock = errors.New("would block")

// lockFile is a no-op where flock(2) does not exist: the standalone binary is built for Unix
// systems; elsewhere nothing guards the data directory.
func lockFile(*os.File) error { return nil }
