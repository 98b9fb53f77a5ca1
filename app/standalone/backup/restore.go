package backup

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"
)

// Errors Restore returns (wrapped, with the details) when it refuses; in each case it has
// changed nothing.
var (
	// ErrNotEmpty: the target data directory holds files and Force was not given.
	ErrNotEmpty = errors.New("data directory not empty")
	// ErrInvalidArchive: the archive is damaged, was altered, or is not a Vanguard backup.
	ErrInvalidArchive = errors.New("invalid backup archive")
	// ErrUnsupportedFormat: the archive is a Vanguard backup of a format version this binary
	// does not read.
	ErrUnsupportedFormat = errors.New("unsupported backup format")
)

// maxManifestBytes bounds the manifest read into memory.
const maxManifestBytes = 64 << 20

// RestoreOptions tune Restore.
type RestoreOptions struct {
	// Force restores over a data directory that holds files: it is first renamed to
	// <dir>.before-restore-<time> (never deleted).
	Force bool
	// Now names the moved-aside directory (nil: the wall clock).
	Now func() time.Time
}

// RestoreResult describes a finished restore.
type RestoreResult struct {
	// DataDir is the restored directory's absolute path; MovedAside where the directory that
	// was there went ("" if it was empty or missing).
	DataDir    string
	MovedAside string
	Manifest   Manifest
}

// Restore puts the backup in archive into dataDir. Before writing anything it refuses a data
// directory locked by a running process (ErrInUse) or holding files without opts.Force
// (ErrNotEmpty), and reads the whole archive to check it: only regular files with clean
// relative names (no "..", no absolute path, no link), a known format version, and every file's
// size and SHA-256 as the manifest lists them (ErrInvalidArchive, ErrUnsupportedFormat). It
// then extracts into a new directory beside dataDir, checking everything again as it writes and
// each database's integrity, and renames that directory into place, so dataDir is either left
// as it was or is the complete backup. It holds the data directory's lock throughout, so a
// process started meanwhile refuses to run.
func Restore(ctx context.Context, archive, dataDir string, opts RestoreOptions) (*RestoreResult, error) {
	target, err := filepath.Abs(dataDir)
	if err != nil {
		return nil, err
	}
	if real, err := filepath.EvalSymlinks(target); err == nil {
		target = real // a data dir that is a link to another disk is restored on that disk
	}
	exists, nonEmpty := false, false
	switch fi, err := os.Stat(target); {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("data dir: %w", err)
	case !fi.IsDir():
		return nil, fmt.Errorf("data dir %s is not a directory", target)
	default:
		exists = true
	}
	var old *DirLock
	if exists {
		if old, err = lockExisting(target); err != nil {
			return nil, err
		}
		defer old.Unlock()
		entries, err := os.ReadDir(target)
		if err != nil {
			return nil, fmt.Errorf("data dir: %w", err)
		}
		for _, e := range entries {
			if e.Name() != LockFile {
				nonEmpty = true
			}
		}
		if nonEmpty && !opts.Force {
			return nil, fmt.Errorf("%w: %s holds files; restore into a new or empty directory, or force it (the directory is then moved to %s.before-restore-<time>)", ErrNotEmpty, target, target)
		}
	}

	// First pass: check everything, write nothing.
	m, err := readArchive(ctx, archive, nil)
	if err != nil {
		return nil, err
	}

	// Second pass: extract beside the target, checking again.
	parent, base := filepath.Split(target)
	if err := os.MkdirAll(parent, 0o700); err != nil {
		return nil, fmt.Errorf("restore: %w", err)
	}
	stage, err := os.MkdirTemp(parent, "."+base+".restore-*")
	if err != nil {
		return nil, fmt.Errorf("restore: %w", err)
	}
	placed := false
	defer func() {
		if !placed {
			os.RemoveAll(stage)
		}
	}()
	// The staging directory carries the lock it will have in place: a process that starts on
	// the target right after the rename waits for us to finish.
	lock, err := LockDataDir(stage)
	if err != nil {
		return nil, err
	}
	defer lock.Unlock()
	if _, err := readArchive(ctx, archive, newExtraction(stage, m)); err != nil {
		return nil, err
	}
	for _, db := range m.Databases {
		if err := checkDatabase(ctx, filepath.Join(stage, filepath.FromSlash(strings.TrimPrefix(db, dataPrefix))), false); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrInvalidArchive, err)
		}
	}

	res := &RestoreResult{DataDir: target, Manifest: *m}
	if exists && nonEmpty {
		now := time.Now
		if opts.Now != nil {
			now = opts.Now
		}
		aside := target + ".before-restore-" + now().Format("20060102-150405")
		for i := 2; ; i++ {
			if _, err := os.Lstat(aside); errors.Is(err, os.ErrNotExist) {
				break
			}
			aside = fmt.Sprintf("%s.before-restore-%s-%d", target, now().Format("20060102-150405"), i)
		}
		if err := os.Rename(target, aside); err != nil {
			return nil, fmt.Errorf("restore: move the old data dir aside: %w", err)
		}
		res.MovedAside = aside
	} else if exists {
		_ = os.Remove(filepath.Join(target, LockFile))
		if err := os.Remove(target); err != nil { // only an empty directory goes
			return nil, fmt.Errorf("restore: %w", err)
		}
	}
	if err := os.Rename(stage, target); err != nil {
		if res.MovedAside != "" {
			if berr := os.Rename(res.MovedAside, target); berr != nil {
				return nil, fmt.Errorf("restore: %w (and the old data dir stays at %s: %v)", err, res.MovedAside, berr)
			}
		}
		return nil, fmt.Errorf("restore: %w", err)
	}
	placed = true
	syncDir(parent)
	return res, nil
}

// extraction is readArchive's second pass: where to write and what the first pass found.
type extraction struct {
	dir  string
	want map[string]File
}

func newExtraction(dir string, m *Manifest) *extraction {
	x := &extraction{dir: dir, want: make(map[string]File, len(m.Files))}
	for _, f := range m.Files {
		x.want[f.Path] = f
	}
	return x
}

// readArchive reads the archive at name from end to end and checks it: entry types and names,
// the manifest's format, and every file against the manifest. With x it also writes each data
// file under x.dir and checks it against x.want (the archive may not change between passes).
func readArchive(ctx context.Context, name string, x *extraction) (*Manifest, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("open archive: %w", err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrInvalidArchive, name, err)
	}
	tr := tar.NewReader(gz)
	invalid := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s: %s", ErrInvalidArchive, name, fmt.Sprintf(format, args...))
	}
	got := map[string]File{}
	var m *Manifest
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, invalid("%v", err)
		}
		if err := checkEntry(h); err != nil {
			return nil, invalid("%v", err)
		}
		if m != nil {
			return nil, invalid("entry %q after the manifest", h.Name)
		}
		if h.Name == ManifestName {
			if h.Size > maxManifestBytes {
				return nil, invalid("manifest of %d bytes", h.Size)
			}
			body, err := io.ReadAll(tr)
			if err != nil {
				return nil, invalid("%v", err)
			}
			m = &Manifest{}
			if err := json.Unmarshal(body, m); err != nil {
				return nil, invalid("manifest: %v", err)
			}
			continue
		}
		if _, dup := got[h.Name]; dup {
			return nil, invalid("%q appears twice", h.Name)
		}
		var w io.Writer = io.Discard
		var out *os.File
		if x != nil {
			want, ok := x.want[h.Name]
			if !ok || want.Size != h.Size {
				return nil, invalid("%q is not what the first reading found", h.Name)
			}
			dst := filepath.Join(x.dir, filepath.FromSlash(strings.TrimPrefix(h.Name, dataPrefix)))
			if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
				return nil, fmt.Errorf("restore: %w", err)
			}
			if out, err = os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600); err != nil {
				return nil, fmt.Errorf("restore: %w", err)
			}
			w = out
		}
		sum := sha256.New()
		n, err := io.Copy(io.MultiWriter(w, sum), tr)
		if out != nil {
			if err == nil {
				err = out.Sync()
			}
			if cerr := out.Close(); err == nil {
				err = cerr
			}
		}
		if err != nil {
			if out != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
				return nil, fmt.Errorf("restore: %s: %w", h.Name, err)
			}
			return nil, invalid("%s: %v", h.Name, err)
		}
		got[h.Name] = File{Path: h.Name, Size: n, SHA256: hex.EncodeToString(sum.Sum(nil))}
	}
	// Read to the end of the compressed stream: its checksum covers everything.
	if _, err := io.Copy(io.Discard, gz); err != nil {
		return nil, invalid("%v", err)
	}
	if m == nil {
		return nil, invalid("no %s: not a Vanguard backup", ManifestName)
	}
	if m.Format != Format {
		return nil, invalid("format %q is not %q", m.Format, Format)
	}
	if m.FormatVersion != FormatVersion {
		return nil, fmt.Errorf("%w: %s is format version %d; this Vanguard reads version %d only", ErrUnsupportedFormat, name, m.FormatVersion, FormatVersion)
	}
	if len(m.Files) != len(got) {
		return nil, invalid("the manifest lists %d files, the archive holds %d", len(m.Files), len(got))
	}
	listed := map[string]bool{}
	for _, want := range m.Files {
		if listed[want.Path] {
			return nil, invalid("the manifest lists %q twice", want.Path)
		}
		listed[want.Path] = true
		have, ok := got[want.Path]
		switch {
		case !ok:
			return nil, invalid("%q is in the manifest but not in the archive", want.Path)
		case have.Size != want.Size:
			return nil, invalid("%q has %d bytes, the manifest says %d", want.Path, have.Size, want.Size)
		case have.SHA256 != want.SHA256:
			return nil, invalid("%q does not match its SHA-256 in the manifest (the archive is damaged or was altered)", want.Path)
		}
	}
	for _, db := range m.Databases {
		if !listed[db] {
			return nil, invalid("database %q is not in the archive", db)
		}
	}
	if x != nil {
		if len(got) != len(x.want) {
			return nil, invalid("the archive changed while it was restored")
		}
		for name, want := range x.want {
			if got[name] != want {
				return nil, invalid("the archive changed while it was restored (%q)", name)
			}
		}
	}
	return m, nil
}

// checkEntry accepts regular files named manifest.json or data/<clean relative path>: no
// absolute path, no "." or ".." element, no backslash or NUL, no link or device.
func checkEntry(h *tar.Header) error {
	if h.Typeflag != tar.TypeReg {
		return fmt.Errorf("entry %q is not a regular file (type %q); a backup holds regular files only", h.Name, h.Typeflag)
	}
	if h.Size < 0 {
		return fmt.Errorf("entry %q has a negative size", h.Name)
	}
	if h.Name == ManifestName {
		return nil
	}
	rel, ok := strings.CutPrefix(h.Name, dataPrefix)
	if !ok || rel == "" || strings.ContainsAny(h.Name, "\\\x00") || path.IsAbs(h.Name) || path.Clean(h.Name) != h.Name || !filepath.IsLocal(filepath.FromSlash(rel)) {
		return fmt.Errorf("entry %q is outside the data directory", h.Name)
	}
	for _, el := range strings.Split(rel, "/") {
		if el == "" || el == "." || el == ".." {
			return fmt.Errorf("entry %q is outside the data directory", h.Name)
		}
	}
	if rel == LockFile {
		return fmt.Errorf("entry %q is the lock file", h.Name)
	}
	return nil
}
