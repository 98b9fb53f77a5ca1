// Package embedredis runs the Redis-protocol server that standalone mode uses for Asynq when no
// Redis address is configured. It keeps everything in memory: whatever the queue held is rebuilt
// from the databases by each service's reconciler after a restart.
package embedredis

import (
	"context"
	"fmt"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

// Server is a running embedded Redis-protocol server on a loopback port.
type Server struct {
	mr *miniredis.Miniredis
}

// Start listens on addr ("127.0.0.1:0" picks a free port).
func Start(addr string) (*Server, error) {
	mr := miniredis.NewMiniRedis()
	if err := mr.StartAddr(addr); err != nil {
		return nil, fmt.Errorf("embedded redis: %w", err)
	}
	return &Server{mr: mr}, nil
}

// Addr is the host:port clients connect to.
func (s *Server) Addr() string { return s.mr.Addr() }

// Close stops the server.
func (s *Server) Close() { s.mr.Close() }

// Ping checks that a Redis-protocol server answers at addr.
func Ping(ctx context.Context, addr string) error {
	c := redis.NewClient(&redis.Options{Addr: addr})
	defer c.Close()
	return c.Ping(ctx).Err()
}

// FlushAll drops every key, as a restart of the in-memory server would; tests use it to show
// that work lost from the queue is recovered from the databases.
func (s *Server) FlushAll() { s.mr.FlushAll() }
