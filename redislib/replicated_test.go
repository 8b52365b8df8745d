package redislib_test

import (
	"fmt"
	"testing"
	"time"

	"seckill/redislib"
	rk "seckill/redislib/internal/key"
	"seckill/redislib/redistest"
	"seckill/redislib/sale"
)

// TestClusterWinReportedOnlyOnceReplicated: a win whose WAIT timed out (its
// replica paused) is on the primary only. Asking again must not answer
// already_won, nor the result query report the win, nor a sold-out lease
// confirm it, until the replica holds it: until then the answer is 503.
// Once the replica is back, the retry answers already_won, and after the
// primary is killed the promoted replica answers the same order.
func TestClusterWinReportedOnlyOnceReplicated(t *testing.T) {
	clusterOnly(t)
	c := redistest.StartCluster(t, redistest.NodeTimeout(time.Second))
	cfg := c.Config()
	cfg.Timeout = time.Second
	rdb, err := redislib.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rdb.Close() })
	store := redislib.NewStore(rdb, redislib.ReplicaAcks(1, 200*time.Millisecond))
	// Another process: its connections wrote nothing, so a WAIT of its own
	// would return at once.
	rdb2, err := redislib.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rdb2.Close() })
	other := redislib.NewStore(rdb2, redislib.ReplicaAcks(1, 200*time.Millisecond))
	a := redistest.MustActivity(t, store, 1)
	key := rk.Buyers(a.ID)
	primary := c.PrimaryOf(t, key)
	// A user whose order history lives on another primary: the history
	// entry the retry writes there says nothing about this primary's replica.
	u := ""
	for i := 0; u == ""; i++ {
		if id := fmt.Sprintf("u%d", i); c.PrimaryOf(t, rk.UserOrders(id)) != primary {
			u = id
		}
	}
	replicaClient := replicaOf(t, primary)
	replica := c.NodeByAddr(replicaClient.Options().Addr)

	// The second store knows the slots and has a connection to the primary.
	if _, err := other.Activity(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	replica.Pause()
	t.Cleanup(replica.Resume)
	_, err = store.Purchase(ctx, a.ID, u, sale.Rate{})
	mustCode(t, err, sale.CodeStoreUnavailable)
	order := primary.NodeClient(t).HGet(ctx, key, u).Val()
	if order == "" {
		t.Fatal("the win whose WAIT timed out is not on the primary")
	}
	// Another user loses, or gets 503 (every command of a pipeline whose
	// WAIT timed out does); a loss makes the store try to lease the sold-out
	// activity, and the lease's own WAIT times out as well.
	if r, err := store.Purchase(ctx, a.ID, "v", sale.Rate{}); (err == nil && r.Outcome != sale.OutcomeSoldOut) ||
		(err != nil && sale.ErrorCode(err) != sale.CodeStoreUnavailable) {
		t.Fatalf("another user while sold out: %+v, %v", r, err)
	}
	for i := range 6 {
		s := []*redislib.Store{other, store}[i%2]
		r, err := s.Purchase(ctx, a.ID, u, sale.Rate{})
		if err == nil {
			t.Fatalf("retry %d while the replica lacks the win answered %+v, want store_unavailable", i, r)
		}
		mustCode(t, err, sale.CodeStoreUnavailable)
		if held, err := s.OrderOf(ctx, a.ID, u); err == nil {
			t.Fatalf("result query %d while the replica lacks the win answered %q, want store_unavailable", i, held)
		}
		time.Sleep(50 * time.Millisecond) // give a lease time to be taken, were one possible
	}

	replica.Resume()
	var r sale.PurchaseResult
	waitFor(t, func() bool {
		r, err = store.Purchase(ctx, a.ID, u, sale.Rate{})
		return err == nil
	})
	if r.Outcome != sale.OutcomeAlreadyWon || r.OrderID != order {
		t.Fatalf("retry once the replica is back: %+v, want already_won with %s", r, order)
	}
	if got := replicaClient.HGet(ctx, key, u).Val(); got != order {
		t.Fatalf("replica holds %q for u after already_won, want %s", got, order)
	}
	if held, err := store.OrderOf(ctx, a.ID, u); err != nil || held != order {
		t.Fatalf("result query once the replica is back: %q, %v; want %s", held, err, order)
	}

	primary.Kill()
	promoted, took := c.WaitPromoted(t, key, primary)
	t.Logf("replica %s promoted in %s", promoted.Addr, took)
	if got := promoted.NodeClient(t).HGet(ctx, key, u).Val(); got != order {
		t.Fatalf("promoted replica holds %q for u, want %s", got, order)
	}
	// The killed node comes back as the replica that confirms the mark.
	primary.Restart(t)
	waitFor(t, func() bool {
		r, err = store.Purchase(ctx, a.ID, u, sale.Rate{})
		return err == nil
	})
	if r.Outcome != sale.OutcomeAlreadyWon || r.OrderID != order {
		t.Fatalf("after the failover: %+v, want already_won with %s", r, order)
	}
}
