package all_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"seckill/redislib/redistest"
	"seckill/redislib/sale"
)

// TestClusterFailoverEndToEnd runs the all-in-one binary on a Redis Cluster
// (REDIS_CLUSTER=true, the six nodes as seeds) and SIGKILLs the primary of
// a running sale while purchases arrive over HTTP on activities spread over
// the primaries. Every answer is 200 with an outcome consistent with the
// others, or 503 store_unavailable, within the request timeout. The process
// is never restarted: it finds the promoted replica by itself, and once the
// killed node is back as a replica (with one replica ack per write, a
// primary without a replica answers 503), the sale goes on. Afterwards every
// acknowledged win is in Redis and in the buyer's history, no activity is
// oversold, no user holds two orders.
func TestClusterFailoverEndToEnd(t *testing.T) {
	const stock = 3000
	const requestTimeout = 2 * time.Second
	c := redistest.StartCluster(t, redistest.NodeTimeout(time.Second))
	bin := mustBuild(t, "./cmd")
	p := waitServing(t, startProcessOn(t, bin, c.Addrs(), "REDIS_CLUSTER=true", "REDIS_TIMEOUT=1s",
		"REQUEST_TIMEOUT="+requestTimeout.String(), "REDIS_REPLICA_ACK_TIMEOUT=500ms",
		"RATE_LIMIT_USER_RPS=0", "RATE_LIMIT_READ_RPS=0", "RATE_LIMIT_IP_RPS=0"))
	cl := newClient(p.base, 16)
	rdb := c.Client(t)

	var acts []string
	primaries := map[*redistest.Node]bool{}
	for len(primaries) < 2 || len(acts) < 4 {
		a := cl.mustActivity(t, stock)
		acts = append(acts, a.ID)
		primaries[c.PrimaryOf(t, redistest.ActivityKey(a.ID))] = true
	}

	var mu sync.Mutex
	acked := map[string]map[string]string{} // activity -> user -> order
	for _, a := range acts {
		acked[a] = map[string]string{}
	}
	var wins, unavailable, answers, next atomic.Int64
	// The latest win on the victim's activity by the start of its request,
	// and when it was answered.
	var victimWin struct {
		sync.Mutex
		start, end time.Time
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-done:
					return
				default:
				}
				n := next.Add(1)
				act := acts[int(n)%len(acts)]
				user := fmt.Sprintf("u%d", n/2/int64(len(acts)))
				a := cl.purchase(act, user)
				answers.Add(1)
				if a.took > requestTimeout+time.Second {
					t.Errorf("purchase by %s took %s, past the %s request timeout", user, a.took, requestTimeout)
				}
				switch {
				case a.err != nil:
					t.Errorf("purchase by %s: %v", user, a.err)
				case a.status == 503 && a.code == sale.CodeStoreUnavailable:
					unavailable.Add(1)
				case a.status != 200:
					t.Errorf("purchase by %s: %d %s, want 200 or 503 store_unavailable", user, a.status, a.code)
				case a.outcome == sale.OutcomeWon:
					mu.Lock()
					if prev, ok := acked[act][user]; ok {
						t.Errorf("%s won twice in %s: %s and %s", user, act, prev, a.order)
					}
					acked[act][user] = a.order
					mu.Unlock()
					wins.Add(1)
					if act == acts[0] {
						victimWin.Lock()
						if a.start.After(victimWin.start) {
							victimWin.start, victimWin.end = a.start, a.start.Add(a.took)
						}
						victimWin.Unlock()
					}
				case a.outcome == sale.OutcomeAlreadyWon:
					mu.Lock()
					if prev, ok := acked[act][user]; ok && prev != a.order {
						t.Errorf("%s in %s: already_won with %s, was answered won with %s", user, act, a.order, prev)
					}
					mu.Unlock()
				case a.outcome == sale.OutcomeSoldOut:
				default:
					t.Errorf("purchase by %s: outcome %q", user, a.outcome)
				}
			}
		}()
	}
	stop := func() { close(done); wg.Wait() }

	deadline := time.Now().Add(20 * time.Second)
	for wins.Load() < 200 {
		if time.Now().After(deadline) {
			stop()
			t.Fatalf("only %d wins in 20 s before the kill", wins.Load())
		}
		time.Sleep(5 * time.Millisecond)
	}
	victim := c.KillPrimaryOf(t, redistest.ActivityKey(acts[0]))
	killedAt := time.Now()
	promoted, took := c.WaitPromoted(t, redistest.ActivityKey(acts[0]), victim)
	t.Logf("SIGKILL %s: replica %s promoted in %s", victim.Addr, promoted.Addr, took)
	promotedAt := time.Now()
	victim.Restart(t)
	// A win on a request sent after the promotion: served by the promoted
	// primary and confirmed by its new replica.
	var wonAt time.Time
	deadline = time.Now().Add(30 * time.Second)
	for {
		victimWin.Lock()
		started, end := victimWin.start, victimWin.end
		victimWin.Unlock()
		if started.After(promotedAt) {
			wonAt = end
			break
		}
		if time.Now().After(deadline) {
			stop()
			t.Fatalf("no purchase won on %s 30 s after its primary was killed: %s", acts[0], p.logs.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Logf("first win on the promoted primary answered %s after the kill (the killed node restarted as its replica)",
		wonAt.Sub(killedAt).Round(time.Millisecond))
	time.Sleep(200 * time.Millisecond)
	stop()
	t.Logf("%d answers: %d wins, %d store_unavailable", answers.Load(), wins.Load(), unavailable.Load())
	if unavailable.Load() == 0 {
		t.Errorf("no 503 while a primary was down and then had no replica")
	}

	c.WaitHealthy(t)
	ctx := context.Background()
	for _, act := range acts {
		held := holdings(t, rdb, act) // the stock identity, one order per user
		if int64(len(held)) > stock {
			t.Errorf("%s: %d buyers for a stock of %d", act, len(held), stock)
		}
		for user, order := range acked[act] {
			if held[user] != order {
				t.Errorf("%s: acknowledged win of %s (%s) reads %q", act, user, order, held[user])
			}
			if err := rdb.ZScore(ctx, redistest.UserOrdersKey(user), order).Err(); err != nil {
				t.Errorf("%s: acknowledged order %s missing from %s's history: %v", act, order, user, err)
			}
		}
	}
}
