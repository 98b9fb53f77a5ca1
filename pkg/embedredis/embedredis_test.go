package embedredis

import (
	"context"
	"testing"

	"github.com/redis/go-redis/v9"
)

func TestServesRedisProtocol(t *testing.T) {
	s, err := Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	if err := Ping(ctx, s.Addr()); err != nil {
		t.Fatalf("ping: %v", err)
	}
	c := redis.NewClient(&redis.Options{Addr: s.Addr()})
	defer c.Close()
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if got, err := c.Get(ctx, "k").Result(); err != nil || got != "v" {
		t.Fatalf("get = %q, %v", got, err)
	}
	addr := s.Addr()
	s.Close()
	if err := Ping(ctx, addr); err == nil {
		t.Fatal("ping succeeded after Close")
	}
}
