package backup

import (
	"context"
	"crypto/rand"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// benchDataDir builds a standalone data dir of the shape backup reads: five service databases
// of 20,000 rows each (about 5 MB apiece), the keys, and 64 MiB of media in 16 files of random
// bytes (lecture video does not compress). It returns the dir, its layout and its size.
func benchDataDir(b *testing.B) (string, Layout, int64) {
	b.Helper()
	data := b.TempDir()
	var layout Layout
	for _, svc := range []string{"org", "course", "quiz", "studyhour", "growth"} {
		rel := svc + "/" + svc + ".db"
		db := openDB(b, filepath.Join(data, filepath.FromSlash(rel)))
		tx, err := db.Begin()
		if err != nil {
			b.Fatal(err)
		}
		for i := range 20_000 {
			if _, err := tx.Exec("INSERT INTO t (n, pad) VALUES (?, ?)", i, strings.Repeat(fmt.Sprintf("成员%06d学习记录", i), 10)); err != nil {
				b.Fatal(err)
			}
		}
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
		if _, err := db.Exec("PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
			b.Fatal(err)
		}
		layout.Databases = append(layout.Databases, rel)
	}
	write := func(rel string, body []byte) {
		p := filepath.Join(data, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(p, body, 0o600); err != nil {
			b.Fatal(err)
		}
	}
	write("secrets/jwt.key", []byte(rand.Text()))
	for i := range 16 {
		body := make([]byte, 4<<20)
		rand.Read(body)
		write(fmt.Sprintf("blob/objects/lessons/%d/第%d讲.mp4", i, i), body)
	}
	layout.Dirs = []string{"secrets", "blob"}
	var size int64
	err := filepath.WalkDir(data, func(_ string, e fs.DirEntry, err error) error {
		if err != nil || !e.Type().IsRegular() {
			return err
		}
		fi, err := e.Info()
		if err == nil {
			size += fi.Size()
		}
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	return data, layout, size
}

// BenchmarkBackup times backup and restore of a 90 MB data dir beside their physical baselines
// measured in the same run: tar piped through gzip -1 (backup's compression level) over the
// same dir, and tar xzf of that archive. Backup does more than tar (the SQLite online-backup
// copies, a SHA-256 of every file, a temporary file renamed); restore reads the archive twice
// (checked completely before anything is written) and checks each database's integrity.
func BenchmarkBackup(b *testing.B) {
	if _, err := exec.LookPath("tar"); err != nil {
		b.Skip("no tar for the baseline")
	}
	data, layout, size := benchDataDir(b)
	out := filepath.Join(b.TempDir(), "vanguard.tar.gz")
	ctx := context.Background()
	b.Run("backup", func(b *testing.B) {
		b.SetBytes(size)
		for b.Loop() {
			if _, err := Create(ctx, data, out, layout); err != nil {
				b.Fatal(err)
			}
		}
	})
	baseline := filepath.Join(b.TempDir(), "baseline.tar.gz")
	b.Run("baseline=tar|gzip-1", func(b *testing.B) {
		b.SetBytes(size)
		for b.Loop() {
			cmd := exec.Command("sh", "-c", `tar -cf - -C "$1" . | gzip -1 > "$2"`, "sh", data, baseline)
			if msg, err := cmd.CombinedOutput(); err != nil {
				b.Fatalf("%v: %s", err, msg)
			}
		}
	})
	b.Run("restore", func(b *testing.B) {
		b.SetBytes(size)
		for b.Loop() {
			dst := filepath.Join(b.TempDir(), "data")
			if _, err := Restore(ctx, out, dst, RestoreOptions{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("baseline=tar-xzf", func(b *testing.B) {
		b.SetBytes(size)
		for b.Loop() {
			dst := b.TempDir()
			if msg, err := exec.Command("tar", "-xzf", baseline, "-C", dst).CombinedOutput(); err != nil {
				b.Fatalf("%v: %s", err, msg)
			}
		}
	})
}
