package redislib_test

import (
	"context"
	"testing"

	"seckill/redislib"
	"seckill/redislib/internal/key"
	"seckill/redislib/redistest"
	"seckill/redislib/sale"
)

// TestRunPipelinedPartlyCached runs a pipeline of two scripts of which only
// one is in the server's script cache: the other answers NOSCRIPT, is loaded
// and sent again, and the call that ran is not sent a second time (its
// rate-limit bucket counts it once).
func TestRunPipelinedPartlyCached(t *testing.T) {
	ctx := context.Background()
	srv := start(t)
	rdb := srv.Client(t)
	a := redistest.MustActivity(t, srv.Store(t), 4)
	if err := srv.AdminClient(t).ScriptFlush(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	if err := redislib.RateLimitScript.Load(ctx, rdb).Err(); err != nil {
		t.Fatal(err)
	}
	bucket := key.UserRateLimit("partly-cached")
	const interval, burst = int64(1e12), 2 // µs: the bucket does not refill during the test
	cmds, err := redislib.RunPipelined(ctx, rdb, []redislib.ScriptCall{
		redislib.NewScriptCall(redislib.RateLimitScript, []string{bucket}, interval, burst),
		redislib.NewScriptCall(redislib.ActivityReadScript, []string{key.Activity(a.ID), key.Stock(a.ID)}),
	})
	if err != nil {
		t.Fatal(err)
	}
	if r, err := cmds[0].Int64Slice(); err != nil || len(r) != 2 || r[0] != 1 {
		t.Fatalf("rate_limit reply %v, %v; want allowed", r, err)
	}
	if r, err := cmds[1].Slice(); err != nil || len(r) != 3 || r[1] != "4" {
		t.Fatalf("activity_read reply %v, %v; want the activity with 4 left", r, err)
	}
	// The bucket holds one request: one more passes, the next does not.
	store := srv.Store(t)
	rate := sale.Rate{PerSecond: 1e-6, Burst: burst}
	if ok, _, err := store.RateLimit(ctx, "", sale.Rate{}, "partly-cached", rate); err != nil || !ok {
		t.Fatalf("second request: %v, %v; want allowed", ok, err)
	}
	if ok, _, err := store.RateLimit(ctx, "", sale.Rate{}, "partly-cached", rate); err != nil || ok {
		t.Fatalf("third request: %v, %v; want refused", ok, err)
	}
}
