package main

import (
	"strings"
	"testing"

	"github.com/vanguard/vanguard/pkg/kit"
)

// The committed config file loads and validates with its defaults; a bad value from the
// environment fails at load time, naming the setting; the ledger key must be 32 bytes of hex.
func TestCommittedConfigValidates(t *testing.T) {
	var fc fileConfig
	if err := kit.LoadConfig("../../configs/config.yaml", &fc); err != nil {
		t.Fatal(err)
	}
	if _, err := ledgerKey(fc.Ledger.Key); err == nil || !strings.Contains(err.Error(), "ledger.key") {
		t.Fatalf("empty ledger key: %v", err)
	}
	if _, err := ledgerKey(strings.Repeat("ab", 32)); err != nil {
		t.Fatal(err)
	}
	t.Setenv("VANGUARD_QUIZ_GRPC_ENDPOINT", "")
	t.Setenv("VANGUARD_REDIS_ADDR", "no-port")
	err := kit.LoadConfig("../../configs/config.yaml", &fileConfig{})
	if err == nil || !strings.Contains(err.Error(), "redis.addr") {
		t.Fatalf("bad VANGUARD_REDIS_ADDR: %v, want an error naming redis.addr", err)
	}
}
