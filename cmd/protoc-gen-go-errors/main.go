// Command protoc-gen-go-errors is a protoc plugin that generates Kratos error
// helpers for enums annotated with the options of errors/errors.proto.
//
// For every enum that sets (errors.default_code) on the enum, or
// (errors.code) on some of its values, it writes, per value with a non-zero
// code, an IsXxx(err error) bool predicate and an ErrorXxx(format, args...)
// constructor into <file>_errors.pb.go, where Xxx is the CamelCase form of the
// value name (USER_NOT_FOUND becomes UserNotFound). The generated code
// targets github.com/go-kratos/kratos/v2/errors and has the same shape as the
// output of the upstream Kratos generator.
//
// Usage:
//
//	protoc --plugin=protoc-gen-go-errors=<binary> \
//	    --go-errors_out=paths=source_relative:. \
//	    -I third_party -I . api/org/v1/errors.proto
package main

import (
	"fmt"
	"os"

	"google.golang.org/protobuf/compiler/protogen"
	"google.golang.org/protobuf/types/pluginpb"
)

// release is the version reported in generated file headers and by -version.
const release = "v1.0.0"

func main() {
	if len(os.Args) == 2 && (os.Args[1] == "--version" || os.Args[1] == "-version") {
		fmt.Fprintf(os.Stdout, "protoc-gen-go-errors %s\n", release)
		return
	}
	protogen.Options{}.Run(func(gen *protogen.Plugin) error {
		gen.SupportedFeatures = uint64(pluginpb.CodeGeneratorResponse_FEATURE_PROTO3_OPTIONAL)
		return generate(gen)
	})
}
