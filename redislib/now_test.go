package redislib_test

import (
	"context"
	"testing"
	"time"

	"seckill/redislib/redistest"
	"seckill/redislib/sale"
)

// TestNowIsRedisTime checks Now against Redis TIME read around it, and that
// an absent Redis is store_unavailable.
func TestNowIsRedisTime(t *testing.T) {
	singleOnly(t, "kills its redis-server")
	ctx := context.Background()
	srv := redistest.Start(t)
	store := srv.Store(t)
	rdb := srv.Client(t)
	before, err := rdb.Time(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	now, err := store.Now(ctx)
	if err != nil {
		t.Fatal(err)
	}
	after, err := rdb.Time(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	if now.Before(before.Truncate(time.Millisecond)) || now.After(after) {
		t.Fatalf("Now = %v, not between Redis TIME %v and %v", now, before, after)
	}
	if now.Location() != time.UTC || now.Nanosecond()%int(time.Millisecond) != 0 {
		t.Fatalf("Now = %v: want UTC to the millisecond, as every time the store answers", now)
	}

	srv.Kill()
	if _, err := store.Now(ctx); sale.ErrorCode(err) != sale.CodeStoreUnavailable {
		t.Fatalf("Now with Redis down: %v, want store_unavailable", err)
	}
}
