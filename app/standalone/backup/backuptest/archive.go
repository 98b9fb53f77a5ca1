// Package backuptest writes hand-made backup archives for the tests of backup and restore:
// entries a real backup would never hold, or held in a way it would never write them.
package backuptest

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"os"
	"testing"
)

// WriteArchive writes a gzip-compressed tar of the given entries to path, each header followed
// by its body, in order; the headers are written as given (their Size must match the body).
func WriteArchive(t testing.TB, path string, headers []*tar.Header, bodies [][]byte) {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for i, h := range headers {
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(bodies[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}
