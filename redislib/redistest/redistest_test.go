package redistest_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"seckill/redislib"
	"seckill/redislib/redistest"
)

// TestStartTLS: the server answers over TLS with the CA it wrote, and not in
// plain text.
func TestStartTLS(t *testing.T) {
	srv := redistest.StartTLS(t)
	if err := srv.Client(t).Ping(context.Background()).Err(); err != nil {
		t.Fatalf("PING over TLS: %v", err)
	}
	plain := redis.NewClient(&redis.Options{Addr: srv.Addr, MaxRetries: -1})
	defer plain.Close()
	if err := plain.Ping(context.Background()).Err(); err == nil {
		t.Fatal("PING in plain text answered by a TLS-only server")
	}
	srv.Restart()
	if err := srv.Client(t).Ping(context.Background()).Err(); err != nil {
		t.Fatalf("PING over TLS after a restart: %v", err)
	}
}

// TestPauseResume: a paused server does not answer; resumed, it does.
func TestPauseResume(t *testing.T) {
	srv := redistest.Start(t)
	cfg := srv.Config()
	cfg.Timeout = 200 * time.Millisecond
	c, _ := redislib.NewClient(cfg)
	defer c.Close()
	srv.Pause()
	if err := c.Ping(context.Background()).Err(); err == nil {
		t.Fatal("a paused server answered")
	}
	srv.Resume()
	if err := c.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("after Resume: %v", err)
	}
	if !strings.Contains(srv.Log(), "Ready to accept connections") {
		t.Fatalf("log: %s", srv.Log())
	}
}
