package main

import (
	"strings"
	"testing"

	"github.com/vanguard/vanguard/pkg/kit"
)

// The committed config file loads and validates with its defaults; a missing endpoint fails at
// load time, naming the setting.
func TestCommittedConfigValidates(t *testing.T) {
	var fc fileConfig
	if err := kit.LoadConfig("../../configs/config.yaml", &fc); err != nil {
		t.Fatal(err)
	}
	t.Setenv("VANGUARD_STUDYHOUR_GRPC_ENDPOINT", "")
	err := kit.LoadConfig("../../configs/config.yaml", &fileConfig{})
	if err == nil || !strings.Contains(err.Error(), "studyhour.grpc_endpoint") {
		t.Fatalf("no studyhour endpoint: %v, want an error naming studyhour.grpc_endpoint", err)
	}
}
