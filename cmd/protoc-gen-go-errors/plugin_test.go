package main

import (
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/compiler/protogen"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/pluginpb"
)

// update rewrites the golden files instead of comparing against them.
var update = flag.Bool("update", false, "rewrite golden files in internal/testerrors")

// testCompilerVersion is the protoc version stamped into test requests so
// that golden files do not depend on the locally installed protoc.
var testCompilerVersion = &pluginpb.Version{
	Major: proto.Int32(3),
	Minor: proto.Int32(21),
	Patch: proto.Int32(12),
}

// compileProtos runs protoc on files (relative to testdata) and returns the
// resulting descriptor set, including imports and source info. The test is
// skipped when protoc is not installed.
func compileProtos(t *testing.T, files ...string) *descriptorpb.FileDescriptorSet {
	t.Helper()
	protoc, err := exec.LookPath("protoc")
	if err != nil {
		t.Skip("protoc not found in PATH")
	}
	out := filepath.Join(t.TempDir(), "set.binpb")
	args := []string{
		"--include_imports", "--include_source_info",
		"--descriptor_set_out=" + out,
		"-I", filepath.Join("..", "..", "third_party"),
		"-I", "testdata",
	}
	cmd := exec.Command(protoc, append(args, files...)...)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("protoc %s: %v\n%s", strings.Join(files, " "), err, b)
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	fds := &descriptorpb.FileDescriptorSet{}
	if err := proto.Unmarshal(raw, fds); err != nil {
		t.Fatal(err)
	}
	return fds
}

// newRequest builds the CodeGeneratorRequest protoc would send for files.
func newRequest(fds *descriptorpb.FileDescriptorSet, param string, files ...string) *pluginpb.CodeGeneratorRequest {
	return &pluginpb.CodeGeneratorRequest{
		FileToGenerate:  files,
		Parameter:       proto.String(param),
		ProtoFile:       fds.GetFile(),
		CompilerVersion: testCompilerVersion,
	}
}

// runPlugin runs the plugin in-process exactly like main does and returns
// its response; extra runs additional generators (e.g. protoc-gen-go) on the
// same plugin.
func runPlugin(t *testing.T, req *pluginpb.CodeGeneratorRequest, extra ...func(*protogen.Plugin)) *pluginpb.CodeGeneratorResponse {
	t.Helper()
	gen, err := protogen.Options{}.New(req)
	if err != nil {
		t.Fatalf("protogen: %v", err)
	}
	gen.SupportedFeatures = uint64(pluginpb.CodeGeneratorResponse_FEATURE_PROTO3_OPTIONAL)
	if err := generate(gen); err != nil {
		gen.Error(err)
	}
	for _, f := range extra {
		f(gen)
	}
	return gen.Response()
}

// responseFiles maps generated file names to their content and fails the
// test if the plugin reported an error.
func responseFiles(t *testing.T, resp *pluginpb.CodeGeneratorResponse) map[string]string {
	t.Helper()
	if resp.Error != nil {
		t.Fatalf("plugin error: %s", resp.GetError())
	}
	files := make(map[string]string, len(resp.File))
	for _, f := range resp.File {
		files[f.GetName()] = f.GetContent()
	}
	return files
}
