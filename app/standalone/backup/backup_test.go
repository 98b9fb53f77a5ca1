package backup

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vanguard/vanguard/app/standalone/backup/backuptest"
	"github.com/vanguard/vanguard/pkg/dbx"
)

// openDB opens (creating) a SQLite database the way the services do (WAL, one writer).
func openDB(t testing.TB, path string) *sql.DB {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	db, _, err := dbx.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Exec("CREATE TABLE IF NOT EXISTS t (n INTEGER PRIMARY KEY, pad TEXT)"); err != nil {
		t.Fatal(err)
	}
	return db
}

func count(t *testing.T, path string) int {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow("SELECT count(*) FROM t").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// tree maps every regular file under dir (slash paths) to its SHA-256; links are not followed.
func tree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, e os.DirEntry, err error) error {
		if err != nil || !e.Type().IsRegular() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		sum := sha256.Sum256(b)
		out[filepath.ToSlash(rel)] = hex.EncodeToString(sum[:])
		return nil
	})
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	return out
}

// A client writes the way the services do — a transaction that reads, then writes — to
// database b, then, 20 ms later (the time an acknowledgement takes to travel back, with a wide
// margin), the same row to database a, as fast as it can while backups run. Every write
// succeeds (a backup takes no write lock: an upgrade from read to write would fail at once
// against one), the snapshots are taken back to back before any copy, and so whenever they
// are less than those 20 ms apart, b holds at most the rows a holds plus one. Copied one after
// the other (b, then a, as listed), a would have moved on by far more.
func TestBackupSnapshotsTheDatabasesBackToBack(t *testing.T) {
	data := t.TempDir()
	a, b := openDB(t, filepath.Join(data, "a", "a.db")), openDB(t, filepath.Join(data, "b", "b.db"))
	pad := strings.Repeat("x", 1000) // makes each copy take a while
	for _, db := range []*sql.DB{a, b} {
		if _, err := db.Exec(`WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 2000)
			INSERT INTO t SELECT n, ? FROM s`, pad); err != nil { // ~2 MB each
			t.Fatal(err)
		}
	}
	const gap = 20 * time.Millisecond
	write := func(db *sql.DB, n int) error {
		tx, err := db.Begin()
		if err != nil {
			return err
		}
		defer tx.Rollback()
		var last int
		if err := tx.QueryRow("SELECT max(n) FROM t").Scan(&last); err != nil {
			return err
		}
		if _, err := tx.Exec("INSERT INTO t VALUES (?, ?)", last+1, pad); err != nil {
			return err
		}
		return tx.Commit()
	}
	var stop atomic.Bool
	var writes atomic.Int64
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for n := 2001; !stop.Load(); n++ {
			if err := write(b, n); err != nil {
				t.Errorf("write to b during the backups: %v", err)
				return
			}
			time.Sleep(gap)
			if err := write(a, n); err != nil {
				t.Errorf("write to a during the backups: %v", err)
				return
			}
			writes.Add(1)
		}
	}()
	t.Cleanup(func() { stop.Store(true); wg.Wait() }) // before the databases close
	layout := Layout{Databases: []string{"b/b.db", "a/a.db"}}
	out := filepath.Join(t.TempDir(), "b.tar.gz")
	last, checked := 0, 0
	for i := 0; i < 5; i++ {
		before := writes.Load()
		sum, err := Create(context.Background(), data, out, layout)
		if err != nil {
			t.Fatal(err)
		}
		if writes.Load() == before {
			time.Sleep(2 * gap) // a backup quicker than a write: nothing to see this time
		}
		dst := filepath.Join(t.TempDir(), "restored")
		if _, err := Restore(context.Background(), out, dst, RestoreOptions{}); err != nil {
			t.Fatal(err)
		}
		na, nb := count(t, filepath.Join(dst, "a", "a.db")), count(t, filepath.Join(dst, "b", "b.db"))
		spread := time.Duration(sum.Manifest.SnapshotSpreadMicros) * time.Microsecond
		t.Logf("backup %d: a %d rows, b %d, snapshots %v apart", i, na, nb, spread)
		if spread < gap {
			checked++
			if nb > na+1 || na > nb {
				t.Fatalf("backup %d: a has %d rows, b %d, though the snapshots were %v apart", i, na, nb, spread)
			}
		}
		if na < last {
			t.Fatalf("backup %d went back in time: %d rows after %d", i, na, last)
		}
		last = na
	}
	if checked < 3 {
		t.Fatalf("only %d of 5 backups took their snapshots less than %v apart", checked, gap)
	}
	if writes.Load() < 5 {
		t.Fatalf("only %d writes during the backups: the test shows nothing", writes.Load())
	}
}

// A write transaction left open while a backup runs neither blocks the backup nor fails: the
// copy has what was committed, and the transaction commits afterwards.
func TestBackupIgnoresAnOpenWriteTransaction(t *testing.T) {
	data := t.TempDir()
	db := openDB(t, filepath.Join(data, "a", "a.db"))
	if _, err := db.Exec("INSERT INTO t VALUES (1, 'committed')"); err != nil {
		t.Fatal(err)
	}
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec("INSERT INTO t VALUES (2, 'open')"); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "b.tar.gz")
	done := make(chan error, 1)
	go func() {
		_, err := Create(context.Background(), data, out, Layout{Databases: []string{"a/a.db"}})
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the backup waits for the open transaction")
	}
	if err := tx.Commit(); err != nil {
		t.Fatalf("the transaction open during the backup: %v", err)
	}
	dst := filepath.Join(t.TempDir(), "r")
	if _, err := Restore(context.Background(), out, dst, RestoreOptions{}); err != nil {
		t.Fatal(err)
	}
	if n := count(t, filepath.Join(dst, "a", "a.db")); n != 1 {
		t.Fatalf("the copy holds %d rows, want the 1 committed before it", n)
	}
}

// Files of the layout's directories come back byte for byte with mode 0600, skipped ones and
// the lock file stay out, a directory that is a symbolic link (media on another disk) is
// followed, and the archive is 0600.
func TestBackupCopiesDirectories(t *testing.T) {
	data := t.TempDir()
	openDB(t, filepath.Join(data, "a", "a.db"))
	write := func(rel, body string) {
		p := filepath.Join(data, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o640); err != nil {
			t.Fatal(err)
		}
	}
	write("secrets/id.key", "key\n")
	write("blob/objects/lessons/1/第一讲.mp4", "movie")
	write("blob/.uploads/u1/00001.part", "part")
	write("blob/.tmp/blob-123", "half written")
	write("search/index/gen-000001/store", "derived")
	media := t.TempDir()
	if err := os.WriteFile(filepath.Join(media, "poster.png"), []byte("png"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(media, filepath.Join(data, "media")); err != nil {
		t.Fatal(err)
	}
	lock, err := LockDataDir(data)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Unlock()

	layout := Layout{Databases: []string{"a/a.db"}, Dirs: []string{"secrets", "blob", "media", "missing"}, Skip: []string{"blob/.tmp"}, Derived: []string{"search/"}}
	out := filepath.Join(t.TempDir(), "b.tar.gz")
	sum, err := Create(context.Background(), data, out, layout)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(out); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("archive mode = %v, %v; want 0600", fi.Mode(), err)
	}
	var names []string
	for _, f := range sum.Manifest.Files {
		names = append(names, f.Path)
	}
	sort.Strings(names)
	want := []string{"data/a/a.db", "data/blob/.uploads/u1/00001.part", "data/blob/objects/lessons/1/第一讲.mp4", "data/media/poster.png", "data/secrets/id.key"}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Fatalf("archived files (-want +got):\n%s", diff)
	}
	if left, _ := filepath.Glob(filepath.Join(data, linkDirPrefix+"*")); len(left) != 0 {
		t.Fatalf("the backup left its links behind: %v", left)
	}

	dst := filepath.Join(t.TempDir(), "r")
	if _, err := Restore(context.Background(), out, dst, RestoreOptions{}); err != nil {
		t.Fatal(err)
	}
	src, got := tree(t, data), tree(t, dst)
	src["media/poster.png"] = tree(t, media)["poster.png"]
	for _, rel := range []string{"secrets/id.key", "blob/objects/lessons/1/第一讲.mp4", "blob/.uploads/u1/00001.part", "media/poster.png"} {
		if got[rel] == "" || got[rel] != src[rel] {
			t.Errorf("%s restored as %q, want %q", rel, got[rel], src[rel])
		}
		if fi, err := os.Stat(filepath.Join(dst, rel)); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s mode = %v, %v; want 0600", rel, fi.Mode(), err)
		}
	}
	for _, rel := range []string{"blob/.tmp/blob-123", "search/index/gen-000001/store"} {
		if _, ok := got[rel]; ok {
			t.Errorf("%s was restored; it should have been left out", rel)
		}
	}
	// The restored dir carries its lock file, and nothing holds it once restore returned.
	if l, err := LockDataDir(dst); err != nil {
		t.Fatalf("restored dir is still locked: %v", err)
	} else {
		l.Unlock()
	}
}

func TestLockDataDir(t *testing.T) {
	dir := t.TempDir()
	first, err := LockDataDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = LockDataDir(dir)
	if !errors.Is(err, ErrInUse) || !strings.Contains(err.Error(), "process "+itoa(os.Getpid())) {
		t.Fatalf("second lock = %v, want ErrInUse naming this process", err)
	}
	if l, err := lockExisting(dir); !errors.Is(err, ErrInUse) || l != nil {
		t.Fatalf("restore's lock on a locked dir = %v", err)
	}
	if err := first.Unlock(); err != nil {
		t.Fatal(err)
	}
	if err := first.Unlock(); err != nil {
		t.Fatal("a second Unlock failed:", err)
	}
	again, err := LockDataDir(dir)
	if err != nil {
		t.Fatalf("lock after unlock: %v", err)
	}
	again.Unlock()
	if l, err := lockExisting(t.TempDir()); l != nil || err != nil {
		t.Fatalf("restore's lock where there is no lock file = %v, %v; want nothing", l, err)
	}
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// Each unsafe entry is refused even when the manifest lists it with the right checksum, and
// restore writes nothing: not the entry's target, not the data dir, no staging dir.
func TestRestoreRefusesUnsafeEntries(t *testing.T) {
	reg := func(name string) *tar.Header { return &tar.Header{Name: name, Mode: 0o600, Typeflag: tar.TypeReg} }
	cases := map[string]*tar.Header{
		"parent":            reg("data/../escaped"),
		"deep parent":       reg("data/org/../../escaped"),
		"absolute":          reg("/tmp/escaped"),
		"outside data":      reg("escaped"),
		"dot element":       reg("data/./org/org.db"),
		"empty element":     reg("data//org.db"),
		"backslash":         reg(`data\..\escaped`),
		"lock file":         reg("data/" + LockFile),
		"symlink":           {Name: "data/secrets/id.key", Linkname: "/etc/passwd", Typeflag: tar.TypeSymlink, Mode: 0o777},
		"hard link":         {Name: "data/secrets/id.key", Linkname: "data/org/org.db", Typeflag: tar.TypeLink},
		"directory":         {Name: "data/secrets/", Typeflag: tar.TypeDir, Mode: 0o700},
		"device":            {Name: "data/secrets/null", Typeflag: tar.TypeChar, Devmajor: 1, Devminor: 3},
		"fifo":              {Name: "data/secrets/fifo", Typeflag: tar.TypeFifo},
		"parent in symlink": {Name: "data/x", Linkname: "../../../etc", Typeflag: tar.TypeSymlink},
	}
	for name, h := range cases {
		t.Run(name, func(t *testing.T) {
			root := t.TempDir()
			body := []byte("evil")
			if h.Typeflag == tar.TypeReg {
				h.Size = int64(len(body))
			} else {
				body = nil
			}
			sum := sha256.Sum256(body)
			m := Manifest{Format: Format, FormatVersion: FormatVersion, Files: []File{{Path: h.Name, Size: int64(len(body)), SHA256: hex.EncodeToString(sum[:])}}}
			mb, _ := json.Marshal(m)
			archive := filepath.Join(root, "evil.tar.gz")
			backuptest.WriteArchive(t, archive, []*tar.Header{h, {Name: ManifestName, Mode: 0o600, Size: int64(len(mb)), Typeflag: tar.TypeReg}}, [][]byte{body, mb})
			target := filepath.Join(root, "deep", "data")
			_, err := Restore(context.Background(), archive, target, RestoreOptions{})
			if !errors.Is(err, ErrInvalidArchive) {
				t.Fatalf("restore = %v, want ErrInvalidArchive", err)
			}
			if diff := cmp.Diff(map[string]string{"evil.tar.gz": tree(t, root)["evil.tar.gz"]}, tree(t, root)); diff != "" {
				t.Fatalf("restore wrote files (-want +got):\n%s", diff)
			}
			if _, err := os.Stat(filepath.Join(root, "deep")); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("restore created directories: %v", err)
			}
		})
	}
}
