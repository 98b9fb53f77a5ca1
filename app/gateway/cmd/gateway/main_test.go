package main

import (
	"strings"
	"testing"

	"github.com/vanguard/vanguard/pkg/kit"
)

// The committed config loads, names an upstream for every service the route table routes to,
// and builds the gateway; a malformed upstream fails at load time, naming it.
func TestCommittedConfigBuildsTheGateway(t *testing.T) {
	var fc fileConfig
	if err := kit.LoadConfig("../../configs/config.yaml", &fc); err != nil {
		t.Fatal(err)
	}
	if _, err := handler(&fc); err != nil {
		t.Fatal(err)
	}
	t.Setenv("VANGUARD_SEARCH_HTTP_ENDPOINT", "search:8005")
	err := kit.LoadConfig("../../configs/config.yaml", &fileConfig{})
	if err == nil || !strings.Contains(err.Error(), "upstreams.search") {
		t.Fatalf("a malformed upstream: %v, want an error naming upstreams.search", err)
	}
	delete(fc.Upstreams, "quiz")
	if _, err := handler(&fc); err == nil || !strings.Contains(err.Error(), "quiz") {
		t.Fatalf("no upstream for quiz: %v", err)
	}
}
