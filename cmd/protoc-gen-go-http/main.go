// Command protoc-gen-go-http is a protoc plugin that generates Kratos HTTP
// server and client bindings for services annotated with google.api.http.
//
// For every input file that declares at least one service method with a
// (google.api.http) option it writes <file>_http.pb.go next to the output of
// protoc-gen-go. The generated code targets
// github.com/go-kratos/kratos/v2/transport/http and has the same shape as the
// output of the upstream Kratos generator.
//
// Usage:
//
//	protoc --plugin=protoc-gen-go-http=<binary> \
//	    --go-http_out=paths=source_relative:. \
//	    -I third_party -I . api/org/v1/org.proto
//
// Plugin parameters (passed with --go-http_opt or in --go-http_out):
//
//	omitempty=false          also route methods without an http option
//	                         (POST <omitempty_prefix>/<pkg.Service>/<Method>)
//	omitempty_prefix=/prefix path prefix for those default routes
package main

import (
	"flag"
	"fmt"
	"os"

	"google.golang.org/protobuf/compiler/protogen"
	"google.golang.org/protobuf/types/pluginpb"
)

// release is the version reported in generated file headers and by -version.
const release = "v1.0.0"

func main() {
	if len(os.Args) == 2 && (os.Args[1] == "--version" || os.Args[1] == "-version") {
		fmt.Fprintf(os.Stdout, "protoc-gen-go-http %s\n", release)
		return
	}

	var flags flag.FlagSet
	opts := registerFlags(&flags)
	protogen.Options{ParamFunc: flags.Set}.Run(func(gen *protogen.Plugin) error {
		gen.SupportedFeatures = uint64(pluginpb.CodeGeneratorResponse_FEATURE_PROTO3_OPTIONAL)
		return generate(gen, *opts)
	})
}

// registerFlags declares the plugin parameters on fs and returns the options
// they populate.
func registerFlags(fs *flag.FlagSet) *options {
	opts := &options{}
	fs.BoolVar(&opts.omitempty, "omitempty", true, "skip methods without a google.api.http option")
	fs.StringVar(&opts.omitemptyPrefix, "omitempty_prefix", "", "path prefix of the default route generated when omitempty=false")
	return opts
}
