package main

import (
	"strings"
	"testing"

	"github.com/vanguard/vanguard/pkg/kit"
)

// The committed config file loads and validates with its defaults; a missing endpoint or index
// directory fails at load time, naming the setting.
func TestCommittedConfigValidates(t *testing.T) {
	var fc fileConfig
	if err := kit.LoadConfig("../../configs/config.yaml", &fc); err != nil {
		t.Fatal(err)
	}
	t.Setenv("VANGUARD_QUIZ_GRPC_ENDPOINT", "")
	err := kit.LoadConfig("../../configs/config.yaml", &fileConfig{})
	if err == nil || !strings.Contains(err.Error(), "quiz.grpc_endpoint") {
		t.Fatalf("no quiz endpoint: %v, want an error naming quiz.grpc_endpoint", err)
	}
	t.Setenv("VANGUARD_QUIZ_GRPC_ENDPOINT", "127.0.0.1:9002")
	t.Setenv("VANGUARD_SEARCH_INDEX_DIR", "")
	err = kit.LoadConfig("../../configs/config.yaml", &fileConfig{})
	if err == nil || !strings.Contains(err.Error(), "index.dir") {
		t.Fatalf("no index dir: %v, want an error naming index.dir", err)
	}
}
