package redislib_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"seckill/redislib"
	"seckill/redislib/internal/key"
	"seckill/redislib/redistest"
	"seckill/redislib/sale"
)

// clusterOnly skips the test in the single pass, saying why: it tests what
// only a cluster has (nodes, replicas, slots). It runs in the cluster pass.
func clusterOnly(t *testing.T) {
	t.Helper()
	if current != "cluster" {
		t.Skip("cluster test; it runs in the cluster pass (REDISLIB_BACKENDS=cluster)")
	}
}

// TestClusterDurabilityEveryNode: the durability check asks every node,
// replicas too, and names the one that does not fsync every write.
func TestClusterDurabilityEveryNode(t *testing.T) {
	clusterOnly(t)
	rdb := cluster.Client(t)
	if err := redislib.CheckDurability(ctx, rdb); err != nil {
		t.Fatalf("CheckDurability on a durable cluster: %v", err)
	}
	_, replicas := cluster.Roles(t)
	lax := cluster.NodeByAddr(replicas[0]).NodeClient(t)
	if err := lax.ConfigSet(ctx, "appendfsync", "everysec").Err(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lax.ConfigSet(context.Background(), "appendfsync", "always") })
	err := redislib.CheckDurability(ctx, rdb)
	if err == nil || !strings.Contains(err.Error(), replicas[0]) || !strings.Contains(err.Error(), `appendfsync="everysec"`) {
		t.Fatalf("CheckDurability with replica %s on everysec: %v", replicas[0], err)
	}
}

// TestClusterReplicaAcks: a write acknowledged with one replica ack is on
// the replica the moment it is answered; a store that wants more replicas
// than the cluster has answers store_unavailable, and CheckReplicas says
// which primaries are short.
func TestClusterReplicaAcks(t *testing.T) {
	clusterOnly(t)
	store := start(t).Store(t)
	a := redistest.MustActivity(t, store, 3)
	r, err := store.Purchase(ctx, a.ID, "acked", sale.Rate{})
	if err != nil || r.Outcome != sale.OutcomeWon {
		t.Fatalf("purchase: %+v, %v", r, err)
	}
	// Read the replica of the activity's primary, with no wait of our own.
	primary := cluster.PrimaryOf(t, key.Buyers(a.ID))
	replica := replicaOf(t, primary)
	if got := replica.HGet(ctx, key.Buyers(a.ID), "acked").Val(); got != r.OrderID {
		t.Fatalf("replica %s holds buyer %q right after the ack, want %s", replica.Options().Addr, got, r.OrderID)
	}

	rdb := cluster.Client(t)
	if err := redislib.CheckReplicas(ctx, rdb, 1); err != nil {
		t.Fatalf("CheckReplicas(1): %v", err)
	}
	if err := redislib.CheckReplicas(ctx, rdb, 2); err == nil || !strings.Contains(err.Error(), "has 1 replicas") {
		t.Fatalf("CheckReplicas(2) on one replica per primary: %v", err)
	}
	greedy := redislib.NewStore(rdb, redislib.ReplicaAcks(2, 100*time.Millisecond))
	_, err = greedy.Purchase(ctx, a.ID, "unconfirmed", sale.Rate{})
	mustCode(t, err, sale.CodeStoreUnavailable)
	if !strings.Contains(err.Error(), "1 of 2 replicas") {
		t.Fatalf("error %v does not say how many replicas confirmed", err)
	}
	// Reads need no ack.
	if _, err := greedy.Activity(ctx, a.ID); err != nil {
		t.Fatalf("read with acks 2: %v", err)
	}
}

// replicaOf returns a client of the replica of primary that reads with
// READONLY on its only connection.
func replicaOf(t *testing.T, primary *redistest.Node) *redis.Client {
	t.Helper()
	info := primary.NodeClient(t).Info(ctx, "replication").Val()
	for _, line := range strings.Split(info, "\n") {
		if !strings.HasPrefix(line, "slave0:") {
			continue
		}
		var ip, port string
		for _, kv := range strings.Split(strings.TrimSpace(strings.TrimPrefix(line, "slave0:")), ",") {
			k, v, _ := strings.Cut(kv, "=")
			switch k {
			case "ip":
				ip = v
			case "port":
				port = v
			}
		}
		c := redis.NewClient(&redis.Options{Addr: ip + ":" + port, PoolSize: 1, MaxRetries: -1,
			OnConnect: func(ctx context.Context, cn *redis.Conn) error { return cn.ReadOnly(ctx).Err() }})
		t.Cleanup(func() { _ = c.Close() })
		return c
	}
	t.Fatalf("primary %s has no replica: %s", primary.Addr, info)
	return nil
}

// saleLoad runs purchase attempts on activities from workers until stopped:
// every user tries one activity twice. It keeps every answer's verdict.
type saleLoad struct {
	t       *testing.T
	store   *redislib.Store
	acts    []string
	timeout time.Duration

	mu    sync.Mutex
	acked map[string]map[string]string // activity -> user -> order answered won
	// lastWin is, per activity, the start of the latest request answered
	// won (by start) and when it was answered.
	lastWin map[string][2]time.Time

	wins, unavailable, answers atomic.Int64
	next                       atomic.Int64
	slowest                    atomic.Int64 // ns
}

func newSaleLoad(t *testing.T, store *redislib.Store, acts []string, timeout time.Duration) *saleLoad {
	l := &saleLoad{t: t, store: store, acts: acts, timeout: timeout,
		acked: map[string]map[string]string{}, lastWin: map[string][2]time.Time{}}
	for _, a := range acts {
		l.acked[a] = map[string]string{}
	}
	return l
}

// run starts workers and returns a func that stops them and waits.
func (l *saleLoad) run(workers int) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-done:
					return
				default:
				}
				n := l.next.Add(1)
				act := l.acts[int(n)%len(l.acts)]
				user := fmt.Sprintf("u%d", n/2/int64(len(l.acts)))
				l.attempt(act, user)
			}
		}()
	}
	return func() { close(done); wg.Wait() }
}

// attempt makes one purchase and checks its answer: an outcome consistent
// with every earlier answer, or store_unavailable, within the timeout.
func (l *saleLoad) attempt(act, user string) {
	ctx, cancel := context.WithTimeout(context.Background(), l.timeout)
	defer cancel()
	start := time.Now()
	res, err := l.store.Purchase(ctx, act, user, sale.Rate{})
	took := time.Since(start)
	for {
		old := l.slowest.Load()
		if int64(took) <= old || l.slowest.CompareAndSwap(old, int64(took)) {
			break
		}
	}
	l.answers.Add(1)
	if took > l.timeout+time.Second {
		l.t.Errorf("purchase by %s in %s took %s, past the %s timeout", user, act, took, l.timeout)
	}
	if err != nil {
		if sale.ErrorCode(err) != sale.CodeStoreUnavailable {
			l.t.Errorf("purchase by %s in %s: %v, want an outcome or store_unavailable", user, act, err)
		}
		l.unavailable.Add(1)
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	switch res.Outcome {
	case sale.OutcomeWon:
		if got, ok := sale.ActivityOfOrder(res.OrderID); !ok || got != act {
			l.t.Errorf("%s won order %s in %s", user, res.OrderID, act)
		}
		if prev, ok := l.acked[act][user]; ok {
			l.t.Errorf("%s won twice in %s: %s and %s", user, act, prev, res.OrderID)
		}
		l.acked[act][user] = res.OrderID
		if start.After(l.lastWin[act][0]) {
			l.lastWin[act] = [2]time.Time{start, start.Add(took)}
		}
		l.wins.Add(1)
	case sale.OutcomeAlreadyWon:
		if prev, ok := l.acked[act][user]; ok && prev != res.OrderID {
			l.t.Errorf("%s in %s: already_won with %s, was answered won with %s", user, act, res.OrderID, prev)
		}
	case sale.OutcomeSoldOut:
	default:
		l.t.Errorf("purchase by %s in %s: outcome %q", user, act, res.Outcome)
	}
}

// lastWin returns the start of the latest request on act answered won, and
// when it was answered.
func (l *saleLoad) lastWinOf(act string) (started, answered time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lastWin[act][0], l.lastWin[act][1]
}

// verify checks the store after the load: every win answered is there with
// its order, in the buyer's history; no activity sold more than its stock;
// no user holds two orders in one activity.
func (l *saleLoad) verify(stock int64) {
	t := l.t
	t.Helper()
	rdb := l.store.Client()
	for _, act := range l.acts {
		buyers, err := rdb.HGetAll(ctx, key.Buyers(act)).Result()
		if err != nil {
			t.Fatalf("buyers of %s: %v", act, err)
		}
		for user, order := range l.acked[act] {
			if buyers[user] != order {
				t.Errorf("%s: acknowledged win of %s (%s) reads %q", act, user, order, buyers[user])
			}
			if err := rdb.ZScore(ctx, key.UserOrders(user), order).Err(); err != nil {
				t.Errorf("%s: acknowledged order %s missing from %s's history: %v", act, order, user, err)
			}
		}
		st := mustConsistent(t, l.store, act)
		if st.Buyers != int64(len(buyers)) || st.Stock != stock || st.Stock-st.Remaining != st.Buyers {
			t.Errorf("%s: stats %+v with %d buyers: oversold or counted wrong", act, st, len(buyers))
		}
		ids, err := rdb.ZRange(ctx, key.OrdersIndex(act), 0, -1).Result()
		if err != nil {
			t.Fatal(err)
		}
		per := map[string]int{}
		for _, id := range ids {
			per[rdb.HGet(ctx, key.Order(act, id), "user_id").Val()]++
		}
		for user, n := range per {
			if n != 1 {
				t.Errorf("%s: user %q holds %d orders", act, user, n)
			}
		}
		if len(ids) != len(buyers) {
			t.Errorf("%s: %d orders for %d buyers", act, len(ids), len(buyers))
		}
	}
}

// activitiesOnTwoPrimaries creates activities until they live on at least
// two primaries, and returns them with the primary of the first.
func activitiesOnTwoPrimaries(t *testing.T, c *redistest.Cluster, store *redislib.Store, stock int64) ([]string, *redistest.Node) {
	t.Helper()
	var ids []string
	on := map[*redistest.Node]bool{}
	for len(on) < 2 || len(ids) < 4 {
		a := redistest.MustActivity(t, store, stock)
		ids = append(ids, a.ID)
		on[c.PrimaryOf(t, key.Activity(a.ID))] = true
	}
	return ids, c.PrimaryOf(t, key.Activity(ids[0]))
}

// TestClusterFailoverUnderLoad: purchases run on activities spread over the
// primaries while one primary is SIGKILLed. Every answer is an outcome
// consistent with the others or store_unavailable, within the request
// timeout; the store finds the promoted replica by itself (it is not
// restarted); once the killed node is back as a replica, writes on its
// slots are acknowledged again (with one replica ack, a primary without a
// replica answers 503). Afterwards every acknowledged win is there.
func TestClusterFailoverUnderLoad(t *testing.T) {
	clusterOnly(t)
	const stock = 5000
	c := redistest.StartCluster(t, redistest.NodeTimeout(time.Second))
	cfg := c.Config()
	cfg.Timeout, cfg.ReplicaAckTimeout = time.Second, 500*time.Millisecond
	rdb, err := redislib.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rdb.Close() })
	store := redislib.NewStore(rdb, redislib.ReplicaAcks(cfg.ReplicaAcks(), cfg.ReplicaAckTimeout))
	acts, victim := activitiesOnTwoPrimaries(t, c, store, stock)

	load := newSaleLoad(t, store, acts, 2*time.Second)
	stop := load.run(16)
	waitFor(t, func() bool { return load.wins.Load() >= 200 })
	victim.Kill()
	killedAt := time.Now()
	promoted, took := c.WaitPromoted(t, key.Activity(acts[0]), victim)
	t.Logf("SIGKILL %s: replica %s promoted in %s", victim.Addr, promoted.Addr, took)
	promotedAt := time.Now()
	victim.Restart(t) // back as a replica of the promoted node
	// A win on a request sent after the promotion: served by the promoted
	// primary and confirmed by its new replica.
	deadline := time.Now().Add(30 * time.Second)
	for {
		started, answered := load.lastWinOf(acts[0])
		if started.After(promotedAt) {
			t.Logf("first win on the promoted primary answered %s after the kill (the killed node restarted as its replica)",
				answered.Sub(killedAt).Round(time.Millisecond))
			break
		}
		if time.Now().After(deadline) {
			stop()
			t.Fatalf("no purchase won on %s (slot of the killed primary) 30 s after the kill", acts[0])
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond)
	stop()
	t.Logf("%d answers: %d wins, %d store_unavailable; slowest %s; %d redirects followed",
		load.answers.Load(), load.wins.Load(), load.unavailable.Load(), time.Duration(load.slowest.Load()), store.Redirects())
	if load.unavailable.Load() == 0 {
		t.Errorf("no store_unavailable while a primary was down and then had no replica")
	}
	c.WaitHealthy(t)
	load.verify(stock)
}

// TestClusterReshardUnderLoad moves the slot of a running sale to another
// primary while purchases run (CLUSTER SETSLOT, MIGRATE): attempts in the
// middle are redirected (ASK, TRYAGAIN, then MOVED) and sent where the slot
// is; the sale stays exact: every unit sold once, to users answered won.
func TestClusterReshardUnderLoad(t *testing.T) {
	clusterOnly(t)
	const stock = 300
	c := redistest.StartCluster(t)
	store := c.Store(t)
	a := redistest.MustActivity(t, store, stock)
	load := newSaleLoad(t, store, []string{a.ID}, 5*time.Second)
	stop := load.run(16)
	waitFor(t, func() bool { return load.wins.Load() >= 30 })
	key := key.Activity(a.ID)
	from := c.PrimaryOf(t, key)
	var to *redistest.Node
	primaries, _ := c.Roles(t)
	for _, p := range primaries {
		if p != from.Addr {
			to = c.NodeByAddr(p)
			break
		}
	}
	moved := c.MigrateSlot(t, redistest.Slot(key), to, func() { time.Sleep(300 * time.Millisecond) })
	if got := c.PrimaryOf(t, key); got != to {
		t.Fatalf("slot of %s on %s after the migration, want %s", a.ID, got.Addr, to.Addr)
	}
	waitFor(t, func() bool { return load.wins.Load() == stock })
	time.Sleep(100 * time.Millisecond)
	stop()
	t.Logf("%d keys moved from %s to %s; %d answers, %d wins, %d store_unavailable, %d redirects followed, slowest %s",
		moved, from.Addr, to.Addr, load.answers.Load(), load.wins.Load(), load.unavailable.Load(), store.Redirects(),
		time.Duration(load.slowest.Load()))
	if store.Redirects() == 0 {
		t.Errorf("no MOVED or ASK followed while the slot moved")
	}
	if n := len(load.acked[a.ID]); n != stock {
		t.Errorf("%d users answered won, want %d", n, stock)
	}
	load.verify(stock)
}
