package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// The committed base is what the table writes (run `go run ./deploy/kubernetes/gen` after
// changing the table or a service's config).
func TestBaseIsGenerated(t *testing.T) {
	dir := t.TempDir()
	if err := Write("../../..", dir); err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	more, _ := filepath.Glob(filepath.Join(dir, "configs", "*.yaml"))
	for _, f := range append(files, more...) {
		rel, _ := filepath.Rel(dir, f)
		want, _ := os.ReadFile(f)
		got, err := os.ReadFile(filepath.Join("..", "base", rel))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("deploy/kubernetes/base/%s is not what gen writes: run go run ./deploy/kubernetes/gen (%v)", rel, err)
		}
	}
}
