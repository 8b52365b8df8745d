package redistest_test

import (
	"context"
	"testing"

	"seckill/redislib"
	"seckill/redislib/redistest"
)

// TestStartCluster: the cluster serves every slot with three primaries,
// each with a replica, every node durable; a write to a slot lands on the
// primary PrimaryOf names; after that primary is killed, its replica serves
// the slot with the data.
func TestStartCluster(t *testing.T) {
	c := redistest.StartCluster(t)
	primaries, replicas := c.Roles(t)
	if len(primaries) != 3 || len(replicas) != 3 {
		t.Fatalf("primaries %v, replicas %v: want 3 and 3", primaries, replicas)
	}
	rdb := c.Client(t)
	ctx := context.Background()
	if err := redislib.CheckDurability(ctx, rdb); err != nil {
		t.Fatalf("CheckDurability: %v", err)
	}
	key := "sk:{probe}:k"
	if err := rdb.Set(ctx, key, "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	old := c.PrimaryOf(t, key)
	if got := old.NodeClient(t).Get(ctx, key).Val(); got != "v" {
		t.Fatalf("GET on %s = %q", old.Addr, got)
	}
	killed := c.KillPrimaryOf(t, key)
	promoted, took := c.WaitPromoted(t, key, killed)
	t.Logf("replica %s took over from %s in %s", promoted.Addr, killed.Addr, took)
	if got := promoted.NodeClient(t).Get(ctx, key).Val(); got != "v" {
		t.Fatalf("GET on the promoted %s = %q", promoted.Addr, got)
	}
	killed.Restart(t)
	c.WaitHealthy(t)
	admin := c.AdminClient(t)
	if slot := redistest.Slot(key); slot != int(admin.ClusterKeySlot(ctx, key).Val()) {
		t.Fatalf("Slot(%q) = %d, Redis says %d", key, slot, admin.ClusterKeySlot(ctx, key).Val())
	}
}
