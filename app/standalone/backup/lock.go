package backup

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// LockFile is the name of the lock file in a data directory. The standalone process holds an
// exclusive lock on it while it runs; restore takes the same lock, so it never writes under a
// running process and a process never starts on a directory being restored.
const LockFile = "vanguard.lock"

// ErrInUse means another process (or another holder in this process) has locked the data
// directory.
var ErrInUse = errors.New("data directory in use")

// DirLock is a held lock on a data directory.
type DirLock struct {
	f *os.File
}

// LockDataDir takes the exclusive lock of data directory dir (which must exist), creating its
// lock file if needed, and writes this process's id into it. It does not wait: a directory
// locked elsewhere gives an error wrapping ErrInUse that names the holder's process id.
func LockDataDir(dir string) (*DirLock, error) {
	path := filepath.Join(dir, LockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock data dir: %w", err)
	}
	if err := lockFile(f); err != nil {
		f.Close()
		return nil, inUse(dir, path, err)
	}
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &DirLock{f: f}, nil
}

// lockExisting takes the lock of dir only if its lock file exists (a directory no process of
// this version ever ran on has none, and restore must not create files in a target it refuses).
// It returns nil, nil when there is no lock file.
func lockExisting(dir string) (*DirLock, error) {
	path := filepath.Join(dir, LockFile)
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("lock data dir: %w", err)
	}
	if err := lockFile(f); err != nil {
		f.Close()
		return nil, inUse(dir, path, err)
	}
	return &DirLock{f: f}, nil
}

func inUse(dir, path string, err error) error {
	if !errors.Is(err, errWouldBlock) {
		return fmt.Errorf("lock data dir: %w", err)
	}
	holder := ""
	if b, rerr := os.ReadFile(path); rerr == nil {
		if pid := strings.TrimSpace(string(b)); pid != "" {
			holder = " (process " + pid + ")"
		}
	}
	return fmt.Errorf("%w: %s is locked by a running Vanguard process%s; stop it first", ErrInUse, dir, holder)
}

// Unlock releases the lock (the lock file stays). It is safe to call on a nil lock and twice.
func (l *DirLock) Unlock() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := l.f.Close() // closing the descriptor releases the lock
	l.f = nil
	return err
}
