package main

import (
	"strings"
	"testing"

	"github.com/vanguard/vanguard/pkg/kit"
)

// The committed config file loads and validates with its defaults; a bad value from the
// environment fails at load time, naming the setting.
func TestCommittedConfigValidates(t *testing.T) {
	var fc fileConfig
	if err := kit.LoadConfig("../../configs/config.yaml", &fc); err != nil {
		t.Fatal(err)
	}
	for env, setting := range map[string]string{"VANGUARD_GRPC_ADDR": "server.grpc_addr", "VANGUARD_REFRESH_TTL": "auth.refresh_ttl"} {
		t.Run(env, func(t *testing.T) {
			t.Setenv(env, "nonsense")
			err := kit.LoadConfig("../../configs/config.yaml", &fileConfig{})
			if err == nil || !strings.Contains(err.Error(), setting) {
				t.Fatalf("bad %s: %v, want an error naming %s", env, err, setting)
			}
		})
	}
}
