package kit

import (
	"os"
	"sync"

	"github.com/go-kratos/kratos/v2/log"

	"github.com/vanguard/vanguard/pkg/obs"
)

var globalLogger sync.Once

// NewLogger returns a service binary's JSON logger on stdout and, the first time in the process,
// makes it Kratos's global logger (Info and above). Only the first call sets the global: it is
// read without synchronisation by Kratos's own goroutines (the config watcher), so setting it
// again while one runs would race. Binaries call it before LoadConfig.
func NewLogger(service string) log.Logger {
	logger := obs.NewLogger(os.Stdout, service)
	setGlobalLogger(logger)
	return logger
}

// setGlobalLogger sets Kratos's global logger once per process.
func setGlobalLogger(logger log.Logger) {
	globalLogger.Do(func() { log.SetLogger(log.NewFilter(logger, log.FilterLevel(log.LevelInfo))) })
}
