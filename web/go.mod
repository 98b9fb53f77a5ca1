// This file only keeps web/ (and its node_modules) out of the Go module at the repository
// root, so `go vet ./...` and `go test ./...` never walk into npm packages.
module github.com/vanguard/vanguard/web

go 1.26
