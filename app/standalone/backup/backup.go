// Package backup writes the standalone binary's data directory to one archive and restores it:
// a consistent copy of every SQLite database (taken while the process keeps running, the
// snapshots of all of them back to back), the media store's files and the secrets (keys), with
// a manifest of every file's size and SHA-256. It also owns the data directory's lock, which
// the running process holds and restore checks.
//
// The archive is a gzip-compressed tar of regular files only: data/<path in the data dir> for
// each file and manifest.json last (it lists what came before it). It holds the keys that sign
// tokens and decrypt national ID numbers, so it is created 0600 and must be kept as carefully as
// the data directory itself.
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
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"time"
)

// Format names the archive format in the manifest; FormatVersion is the only version this code
// reads and writes.
const (
	Format        = "vanguard-standalone-backup"
	FormatVersion = 1
	// ManifestName is the manifest's name in the archive.
	ManifestName = "manifest.json"
	// dataPrefix is where the data directory's files sit in the archive.
	dataPrefix = "data/"
)

// Layout says what of a data directory a backup holds; paths are slash-separated and relative
// to the data directory.
type Layout struct {
	// Databases are the SQLite files, all copied as of one instant.
	Databases []string
	// Dirs are directories whose regular files are copied as they are (keys, the media store).
	Dirs []string
	// Skip are paths under Dirs left out with everything below them (temporary files).
	Skip []string
	// Derived describes, for the manifest and the operator, what is left out because the
	// process rebuilds it by itself.
	Derived []string
}

// Manifest is the archive's table of contents (manifest.json).
type Manifest struct {
	Format          string `json:"format"`
	FormatVersion   int    `json:"formatVersion"`
	VanguardVersion string `json:"vanguardVersion"`
	// Commit is the VCS revision the binary was built from, when the build recorded it.
	Commit string `json:"commit,omitempty"`
	// CreatedAt is when the databases' snapshots were taken; SnapshotSpreadMicros how far
	// apart the first and the last were (they are taken back to back, before any is copied).
	CreatedAt            time.Time `json:"createdAt"`
	SnapshotSpreadMicros int64     `json:"snapshotSpreadMicros"`
	// Databases are the archive paths of the SQLite files.
	Databases []string `json:"databases"`
	// Derived is what the backup left out because the process rebuilds it.
	Derived []string `json:"derived,omitempty"`
	// Files are every file of the archive but the manifest, in archive order.
	Files []File `json:"files"`
}

// File is one file of the archive.
type File struct {
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// Summary describes a written archive.
type Summary struct {
	// Path is the archive's absolute path; Bytes its size.
	Path     string
	Bytes    int64
	Manifest Manifest
}

// Create writes a backup of dataDir to out. The process may be running on dataDir meanwhile.
// The archive is written to a temporary file (mode 0600) beside out and renamed to out only
// when complete, so a failed backup never leaves a partial file named out; an existing out is
// replaced only by a complete archive.
func Create(ctx context.Context, dataDir, out string, layout Layout) (*Summary, error) {
	data, err := filepath.Abs(dataDir)
	if err != nil {
		return nil, err
	}
	if fi, err := os.Stat(data); err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	} else if !fi.IsDir() {
		return nil, fmt.Errorf("data dir %s is not a directory", data)
	}
	if out == "" {
		return nil, errors.New("no output file given")
	}
	dst, err := filepath.Abs(out)
	if err != nil {
		return nil, err
	}
	if within(data, dst) {
		return nil, fmt.Errorf("the archive %s must not be written inside the data dir %s", dst, data)
	}
	if fi, err := os.Stat(dst); err == nil && fi.IsDir() {
		return nil, fmt.Errorf("%s is a directory", dst)
	}

	dir, base := filepath.Split(dst)
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("create archive: %w", err)
	}
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(0o600); err != nil {
		return nil, fmt.Errorf("create archive: %w", err)
	}
	stage, err := os.MkdirTemp(dir, "."+base+".db-*")
	if err != nil {
		return nil, fmt.Errorf("create archive: %w", err)
	}
	defer os.RemoveAll(stage)

	// The databases: snapshots taken back to back, then copied.
	srcs := make([]string, len(layout.Databases))
	snaps := make([]string, len(layout.Databases))
	for i, db := range layout.Databases {
		srcs[i] = filepath.Join(data, filepath.FromSlash(db))
		snaps[i] = filepath.Join(stage, fmt.Sprintf("%02d.db", i))
	}
	at, spread, err := snapshotDatabases(ctx, srcs, snaps)
	if err != nil {
		return nil, fmt.Errorf("copy databases: %w", err)
	}
	m := Manifest{Format: Format, FormatVersion: FormatVersion, CreatedAt: at.UTC(), SnapshotSpreadMicros: spread.Microseconds(), Derived: layout.Derived}
	m.VanguardVersion, m.Commit = buildVersion()

	// The files of the directories, after the databases (an object a database row names was
	// stored before the row): hard links taken now, so objects the process deletes or
	// replaces while the archive is being written are still copied as they were.
	files, cleanup, err := linkFiles(data, layout)
	if cleanup != nil {
		defer cleanup()
	}
	if err != nil {
		return nil, err
	}

	gz, err := gzip.NewWriterLevel(tmp, gzip.BestSpeed) // media hardly compresses; the databases do at any level
	if err != nil {
		return nil, err
	}
	tw := tar.NewWriter(gz)
	for i, db := range layout.Databases {
		f, err := addFile(ctx, tw, dataPrefix+db, snaps[i], m.CreatedAt)
		if err != nil {
			return nil, err
		}
		m.Files = append(m.Files, f)
		m.Databases = append(m.Databases, dataPrefix+db)
	}
	for _, f := range files {
		entry, err := addFile(ctx, tw, dataPrefix+f.rel, f.path, f.mtime)
		if errors.Is(err, fs.ErrNotExist) && f.fallback {
			continue // deleted meanwhile, and no link kept it: it is no longer part of the data
		}
		if err != nil {
			return nil, err
		}
		m.Files = append(m.Files, entry)
	}
	body, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := tw.WriteHeader(&tar.Header{Name: ManifestName, Mode: 0o600, Size: int64(len(body)), ModTime: m.CreatedAt, Typeflag: tar.TypeReg}); err != nil {
		return nil, fmt.Errorf("write archive: %w", err)
	}
	if _, err := tw.Write(body); err != nil {
		return nil, fmt.Errorf("write archive: %w", err)
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("write archive: %w", err)
	}
	if err := gz.Close(); err != nil {
		return nil, fmt.Errorf("write archive: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		return nil, fmt.Errorf("write archive: %w", err)
	}
	st, err := tmp.Stat()
	if err != nil {
		return nil, err
	}
	if err := tmp.Close(); err != nil {
		return nil, fmt.Errorf("write archive: %w", err)
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return nil, fmt.Errorf("write archive: %w", err)
	}
	done = true
	syncDir(dir)
	return &Summary{Path: dst, Bytes: st.Size(), Manifest: m}, nil
}

// addFile copies the file at src into the archive as name and returns its manifest entry. The
// size is taken from the open file: the files copied are never rewritten in place (database
// snapshots are ours, the media store and the keys replace files by renaming), so a file that
// changes size while copied is an error, not a torn copy.
func addFile(ctx context.Context, tw *tar.Writer, name, src string, mtime time.Time) (File, error) {
	if err := ctx.Err(); err != nil {
		return File{}, err
	}
	f, err := os.Open(src)
	if err != nil {
		return File{}, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return File{}, err
	}
	if !fi.Mode().IsRegular() {
		return File{}, fmt.Errorf("%s is not a regular file", src)
	}
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o600, Size: fi.Size(), ModTime: mtime, Typeflag: tar.TypeReg}); err != nil {
		return File{}, fmt.Errorf("write archive: %w", err)
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tw, h), io.LimitReader(f, fi.Size()))
	if err != nil {
		return File{}, fmt.Errorf("write archive: %s: %w", name, err)
	}
	if n != fi.Size() {
		return File{}, fmt.Errorf("write archive: %s shrank while being copied", src)
	}
	return File{Path: name, Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// dirFile is one file of the layout's directories to archive.
type dirFile struct {
	rel      string // slash path in the data dir
	path     string // where to read it: its hard link, or the file itself
	mtime    time.Time
	fallback bool // path is the file itself (linking failed)
}

// linkDirPrefix names the directories of hard links a backup keeps in the data dir while it
// runs; a crashed backup's are removed by the next one.
const linkDirPrefix = ".backup-links-"

// linkFiles lists the regular files of the layout's directories and hard-links each into a
// fresh directory of the data dir (the same file system), so the archive reads the files as
// they were now even if the process deletes or replaces them later. Where a link cannot be
// made (another file system) the file itself is read later. Symbolic links to regular files
// are followed; anything else that is not a directory or a regular file is an error.
func linkFiles(data string, layout Layout) (files []dirFile, cleanup func(), err error) {
	removeStaleLinkDirs(data)
	links, err := os.MkdirTemp(data, linkDirPrefix+"*")
	canLink := err == nil
	if canLink {
		cleanup = func() { os.RemoveAll(links) }
	}
	skip := func(rel string) bool {
		return slices.ContainsFunc(layout.Skip, func(s string) bool { return rel == s || strings.HasPrefix(rel, s+"/") })
	}
	n := 0
	for _, d := range layout.Dirs {
		root := filepath.Join(data, filepath.FromSlash(d))
		if real, err := filepath.EvalSymlinks(root); err == nil {
			root = real
		} else if errors.Is(err, fs.ErrNotExist) {
			continue
		} else {
			return nil, cleanup, err
		}
		err := filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) {
					return nil // removed while we walk (an upload being completed)
				}
				return err
			}
			relDir, _ := filepath.Rel(root, p)
			rel := path.Join(d, filepath.ToSlash(relDir))
			if skip(rel) {
				if e.IsDir() {
					return fs.SkipDir
				}
				return nil
			}
			if e.IsDir() {
				return nil
			}
			fi, err := os.Stat(p) // follows a symbolic link
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			if err != nil {
				return err
			}
			if !fi.Mode().IsRegular() {
				return fmt.Errorf("%s is neither a directory nor a regular file; a backup holds regular files only", p)
			}
			f := dirFile{rel: rel, path: p, mtime: fi.ModTime(), fallback: true}
			if canLink && e.Type().IsRegular() {
				n++
				link := filepath.Join(links, fmt.Sprintf("%08d", n))
				if err := os.Link(p, link); err == nil {
					f.path, f.fallback = link, false
				} else if errors.Is(err, fs.ErrNotExist) {
					return nil
				}
			}
			files = append(files, f)
			return nil
		})
		if err != nil {
			return nil, cleanup, fmt.Errorf("read %s: %w", d, err)
		}
	}
	return files, cleanup, nil
}

// removeStaleLinkDirs removes the link directories of backups that crashed more than a day ago
// (a younger one may belong to a backup still running).
func removeStaleLinkDirs(data string) {
	entries, err := os.ReadDir(data)
	if err != nil {
		return
	}
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), linkDirPrefix) {
			continue
		}
		if fi, err := e.Info(); err == nil && time.Since(fi.ModTime()) > 24*time.Hour {
			os.RemoveAll(filepath.Join(data, e.Name()))
		}
	}
}

// buildVersion is the main module's version and VCS revision as the build recorded them.
func buildVersion() (version, commit string) {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown", ""
	}
	version = bi.Main.Version
	if version == "" {
		version = "(devel)"
	}
	modified := false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			commit = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if commit != "" && modified {
		commit += "+modified"
	}
	return version, commit
}

// within reports whether p is dir or below it.
func within(dir, p string) bool {
	rel, err := filepath.Rel(dir, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

// syncDir flushes a directory's entries (a rename) to disk; errors are ignored (not every file
// system supports it).
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}
