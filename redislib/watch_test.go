package redislib_test

import (
	"strings"
	"testing"
	"time"

	"seckill/redislib"
	"seckill/redislib/redistest"
	"seckill/redislib/sale"
)

// TestDurabilityWatch: the watch reports nothing durable before its first
// check, then what Redis says: durable, not durable after CONFIG SET
// appendfsync everysec (naming the node and the setting), durable again;
// INFO memory of the node; its verdict kept while Redis does not answer.
// A reconnect of the watched client kicks it; its own checks do not.
func TestDurabilityWatch(t *testing.T) {
	singleOnly(t, "restarts its redis-server")
	srv := redistest.Start(t)
	rdb, admin := srv.Client(t), srv.AdminClient(t)
	w := redislib.NewDurabilityWatch(rdb)
	t.Cleanup(w.Close)
	if w.Durable() || w.Checked() || w.Memory() != nil {
		t.Fatalf("before any check: durable %v, checked %v, memory %v", w.Durable(), w.Checked(), w.Memory())
	}
	if err := w.Check(ctx); err != nil || !w.Durable() {
		t.Fatalf("check of a durable Redis: %v, durable %v", err, w.Durable())
	}
	if err := admin.ConfigSet(ctx, "maxmemory", "100mb").Err(); err != nil {
		t.Fatal(err)
	}
	if err := admin.ConfigSet(ctx, "appendfsync", "everysec").Err(); err != nil {
		t.Fatal(err)
	}
	err := w.Check(ctx)
	if err == nil || w.Durable() || !strings.Contains(err.Error(), srv.Addr) || !strings.Contains(err.Error(), `appendfsync="everysec"`) {
		t.Fatalf("check with appendfsync everysec: %v, durable %v", err, w.Durable())
	}
	mem := w.Memory()
	if len(mem) != 1 || mem[0].Node != srv.Addr || mem[0].Used <= 0 || mem[0].Max != 100<<20 {
		t.Fatalf("memory: %+v, want %s with used > 0 and max 100 MB", mem, srv.Addr)
	}
	if err := admin.ConfigSet(ctx, "appendfsync", "always").Err(); err != nil {
		t.Fatal(err)
	}
	if err := w.Check(ctx); err != nil || !w.Durable() {
		t.Fatalf("check after appendfsync always: %v, durable %v", err, w.Durable())
	}

	drain := func() {
		for {
			select {
			case <-w.Kicks():
			default:
				return
			}
		}
	}
	drain()
	if err := w.Check(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case <-w.Kicks():
		t.Fatal("the watch's own check kicked it")
	default:
	}

	srv.Kill()
	mustCode(t, w.Check(ctx), sale.CodeStoreUnavailable)
	if !w.Durable() {
		t.Fatal("a check that got no answer changed the verdict")
	}
	srv.Restart()
	drain()
	deadline := time.Now().Add(10 * time.Second)
	for rdb.Ping(ctx).Err() != nil {
		if time.Now().After(deadline) {
			t.Fatal("no answer from the restarted Redis")
		}
		time.Sleep(10 * time.Millisecond)
	}
	select {
	case <-w.Kicks():
	default:
		t.Fatal("a reconnect of the watched client did not kick the watch")
	}
}
