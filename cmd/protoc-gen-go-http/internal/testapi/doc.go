// Package testapi holds the committed output of protoc-gen-go and
// protoc-gen-go-http for
// cmd/protoc-gen-go-http/testdata/vanguard/testing/httpapi/v1/org.proto.
//
// TestGolden fails when a fresh generation differs from these files and
// TestEndToEnd serves and calls the generated code over real HTTP. The files
// are produced in-process by the tests; the equivalent protoc invocation,
// from the module root, is:
//
//	protoc -I third_party -I cmd/protoc-gen-go-http/testdata \
//	    --plugin=protoc-gen-go=<protoc-gen-go> \
//	    --go_out=module=github.com/vanguard/vanguard:. \
//	    --plugin=protoc-gen-go-http=<protoc-gen-go-http> \
//	    --go-http_out=module=github.com/vanguard/vanguard:. \
//	    vanguard/testing/httpapi/v1/org.proto
package testapi

//go:generate go test ../.. -run ^TestGolden$ -update
