package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	gengo "google.golang.org/protobuf/cmd/protoc-gen-go/internal_gengo"
	"google.golang.org/protobuf/compiler/protogen"
)

// goldenProto is the fixture whose generated code is committed in
// internal/testerrors and exercised by TestGeneratedHelpers.
const goldenProto = "vanguard/testing/errorsapi/v1/reasons.proto"

// modulePrefix is stripped from generated file names (module=... mode) to
// obtain paths relative to this package.
const modulePrefix = "cmd/protoc-gen-go-errors/"

// TestGolden regenerates internal/testerrors (protoc-gen-go output and this
// plugin's output) and compares it with the committed files. Run
// `go test ./cmd/protoc-gen-go-errors -run TestGolden -update` to refresh
// them.
func TestGolden(t *testing.T) {
	fds := compileProtos(t, goldenProto)
	req := newRequest(fds, "module=github.com/vanguard/vanguard", goldenProto)
	files := responseFiles(t, runPlugin(t, req, generateGo))

	var names []string
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	want := []string{
		modulePrefix + "internal/testerrors/reasons.pb.go",
		modulePrefix + "internal/testerrors/reasons_errors.pb.go",
	}
	if strings.Join(names, ",") != strings.Join(want, ",") {
		t.Fatalf("generated files = %v, want %v", names, want)
	}

	for _, name := range names {
		path := filepath.FromSlash(strings.TrimPrefix(name, modulePrefix))
		got := files[name]
		if *update {
			if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		committed, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run with -update to create it)", err)
		}
		if string(committed) != got {
			t.Errorf("%s is stale or the generator changed its output; diff against a fresh generation:\n%s\n"+
				"run `go test ./cmd/protoc-gen-go-errors -run TestGolden -update` if the change is intended",
				path, firstDiff(string(committed), got))
		}
	}
}

// generateGo runs protoc-gen-go on the files to generate, so fixtures get
// their .pb.go from the same request.
func generateGo(gen *protogen.Plugin) {
	for _, f := range gen.Files {
		if f.Generate {
			gengo.GenerateFile(gen, f)
		}
	}
}

// firstDiff describes the first differing line of two texts.
func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(al) || i < len(bl); i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			return fmt.Sprintf("line %d:\n- committed: %s\n+ generated: %s", i+1, x, y)
		}
	}
	return "(no line difference)"
}
