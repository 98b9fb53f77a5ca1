// Command standalone runs every Vanguard service in one process on embedded defaults: SQLite
// files, keys and (later) media under one data directory, all HTTP APIs on one port and all gRPC
// APIs on another.
//
// Settings come from the environment: VANGUARD_HTTP_ADDR (127.0.0.1:8000), VANGUARD_GRPC_ADDR
// (127.0.0.1:9000), VANGUARD_DATA_DIR (./data), VANGUARD_ADMIN_PASSWORD (first start only;
// a random password is printed if unset), and for /metrics VANGUARD_METRICS_TOKEN (bearer token
// on the HTTP port) or VANGUARD_METRICS_ADDR (separate listener, no token), and
// VANGUARD_UPLOAD_PART_MIB (media upload part size, 16; at least 5); see the README.
//
// Subcommands: "migrate" migrates and exits; "backup [-data DIR] -o FILE.tar.gz" writes the data
// dir (databases, media, keys) to one archive, also while the server runs; "restore [-data DIR]
// [-force] FILE.tar.gz" puts one back into a new or empty data dir of a stopped server.
package main

import (
	"fmt"
	"os"

	"github.com/vanguard/vanguard/app/standalone/standalone"
)

func main() {
	if len(os.Args) > 1 && (os.Args[1] == "backup" || os.Args[1] == "restore") {
		os.Exit(standalone.BackupCommand(os.Args[1:], os.Stdout, os.Stderr))
	}
	cfg := standalone.ConfigFromEnv()
	if len(os.Args) > 1 && os.Args[1] == "migrate" {
		cfg.MigrateOnly = true
	}
	if err := standalone.Run(cfg, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "vanguard:", err)
		os.Exit(1)
	}
}
