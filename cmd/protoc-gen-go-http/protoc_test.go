package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// protocLine is the header line that carries the protoc version, which
// depends on the installed protoc.
var protocLine = regexp.MustCompile(`(?m)^// - protoc .*$`)

// TestProtocPlugin builds the plugin binary and runs it through protoc with
// the documented command line; the output must match the golden file.
func TestProtocPlugin(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the plugin")
	}
	protoc, err := exec.LookPath("protoc")
	if err != nil {
		t.Skip("protoc not found in PATH")
	}
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "protoc-gen-go-http")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	out, err := exec.Command(bin, "--version").Output()
	if err != nil || strings.TrimSpace(string(out)) != "protoc-gen-go-http "+release {
		t.Errorf("--version = %q, %v", out, err)
	}

	outDir := filepath.Join(tmp, "out")
	if err := os.Mkdir(outDir, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(protoc,
		"--plugin=protoc-gen-go-http="+bin,
		"--go-http_out=paths=source_relative:"+outDir,
		"-I", filepath.Join("..", "..", "third_party"), "-I", "testdata",
		goldenProto)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("protoc: %v\n%s", err, b)
	}
	got, err := os.ReadFile(filepath.Join(outDir, "vanguard/testing/httpapi/v1/org_http.pb.go"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join("internal", "testapi", "org_http.pb.go"))
	if err != nil {
		t.Fatal(err)
	}
	if g, w := protocLine.ReplaceAllString(string(got), ""), protocLine.ReplaceAllString(string(want), ""); g != w {
		t.Errorf("protoc output differs from the golden file:\n%s", firstDiff(w, g))
	}
	if !strings.Contains(string(got), "// - protoc             v") {
		t.Errorf("protoc version missing from header")
	}
}
