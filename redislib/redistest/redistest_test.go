package redistest_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"seckill/redislib"
	"seckill/redislib/redistest"
	"seckill/redislib/sale"
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

// TestFunctionsACL: the store's connection is the functions' user with the
// shipped ACL: it runs the product's scripts, and is refused what the
// functions never do (an administrative command, a key outside the
// product's prefix); the admin client may.
func TestFunctionsACL(t *testing.T) {
	srv := redistest.Start(t)
	ctx := context.Background()
	store := srv.Store(t)
	if _, err := store.CreateProduct(ctx, sale.NewProduct{Name: "p", Price: 1}); err != nil {
		t.Fatalf("create a product as %s: %v", redistest.FunctionsUser, err)
	}
	c := srv.Client(t)
	if who, err := c.Do(ctx, "acl", "whoami").Text(); err == nil || who != "" {
		t.Errorf("ACL WHOAMI as the functions' user: %q %v, want NOPERM", who, err)
	}
	for _, cmd := range [][]any{{"flushall"}, {"config", "set", "appendfsync", "no"}, {"get", "other:key"}, {"keys", "*"}} {
		if err := c.Do(ctx, cmd...).Err(); err == nil || !strings.HasPrefix(err.Error(), "NOPERM") {
			t.Errorf("%v as the functions' user: %v, want NOPERM", cmd, err)
		}
	}
	admin := srv.AdminClient(t)
	if who, err := admin.Do(ctx, "acl", "whoami").Text(); err != nil || who != "default" {
		t.Fatalf("ACL WHOAMI of the admin client: %q %v", who, err)
	}
	if err := admin.Do(ctx, "get", "other:key").Err(); err != redis.Nil {
		t.Errorf("GET other:key as admin: %v", err)
	}
}
