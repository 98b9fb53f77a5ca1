// Package testerrors holds the committed output of protoc-gen-go and
// protoc-gen-go-errors for
// cmd/protoc-gen-go-errors/testdata/vanguard/testing/errorsapi/v1/reasons.proto.
//
// TestGolden fails when a fresh generation differs from these files and
// TestGeneratedHelpers exercises the generated helpers. The files are
// produced in-process by the tests; the equivalent protoc invocation, from
// the module root, is:
//
//	protoc -I third_party -I cmd/protoc-gen-go-errors/testdata \
//	    --plugin=protoc-gen-go=<protoc-gen-go> \
//	    --go_out=module=github.com/vanguard/vanguard:. \
//	    --plugin=protoc-gen-go-errors=<protoc-gen-go-errors> \
//	    --go-errors_out=module=github.com/vanguard/vanguard:. \
//	    vanguard/testing/errorsapi/v1/reasons.proto
package testerrors

//go:generate go test ../.. -run ^TestGolden$ -update
