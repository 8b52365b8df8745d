package redislib_test

import (
	"fmt"
	"slices"
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

// mustHistory returns the IDs in a user's history index, newest first.
func mustHistory(t *testing.T, rdb redis.UniversalClient, userID string) []string {
	t.Helper()
	ids, err := rdb.ZRevRange(ctx, key.UserOrders(userID), 0, -1).Result()
	if err != nil {
		t.Fatalf("history of %s: %v", userID, err)
	}
	return ids
}

// A purchase whose answer was lost after the purchase script ran (the
// process or the connection died before the ZADD to the user's history)
// still reaches the history through the projector, which applies each event
// once however often it runs.
func TestProjectorFillsHistoryGaps(t *testing.T) {
	s, be := mustStore(t)
	rdb := be.AdminClient(t) // reads and seeds keys with commands the functions never run
	a := mustActivity(t, s, 50, 900)
	b := mustActivity(t, s, 50, 0)
	quiet := mustActivity(t, s, 5, 900)
	want := map[string][]string{}
	for i := range 20 {
		u := fmt.Sprintf("u%d", i)
		o := mustWin(t, s, a.ID, u)
		if i%2 == 0 {
			mustWin(t, s, b.ID, u)
		}
		want[u] = mustHistory(t, rdb, u) // what the purchases' own ZADDs wrote
		if len(want[u]) != 1+(1-i%2) || !slices.Contains(want[u], o.ID) {
			t.Fatalf("history of %s after purchase: %v", u, want[u])
		}
		rdb.Del(ctx, key.UserOrders(u))
	}

	r, err := s.ProjectUserOrders(ctx, redislib.JobOptions{Batch: 7})
	// a: 20 won; b: 10 won + 10 paid.
	if err != nil || r.Events != 40 || r.Reclaimed != 0 || !r.Complete {
		t.Fatalf("project: %+v, %v", r, err)
	}
	for u, ids := range want {
		if got := mustHistory(t, rdb, u); !slices.Equal(got, ids) {
			t.Fatalf("history of %s: %v, want %v", u, got, ids)
		}
	}
	if n, _ := rdb.Exists(ctx, key.Events(quiet.ID, 0)).Result(); n != 0 {
		t.Fatalf("the projector created the stream of an activity without events")
	}
	if r, err := s.ProjectUserOrders(ctx, redislib.JobOptions{}); err != nil || r.Events != 0 || !r.Complete {
		t.Fatalf("second run: %+v, %v", r, err)
	}

	// New events are picked up; re-applying one already in the history
	// changes nothing (same member, same score).
	late := mustWin(t, s, a.ID, "late")
	if _, err := payOrder(s, late.ID); err != nil {
		t.Fatalf("pay: %v", err)
	}
	before := mustHistory(t, rdb, "late")
	if r, err := s.ProjectUserOrders(ctx, redislib.JobOptions{}); err != nil || r.Events != 2 {
		t.Fatalf("third run: %+v, %v", r, err)
	}
	if got := mustHistory(t, rdb, "late"); !slices.Equal(got, before) || len(got) != 1 || got[0] != late.ID {
		t.Fatalf("history of late: %v (before %v)", got, before)
	}
	if score, _ := rdb.ZScore(ctx, key.UserOrders("late"), late.ID).Result(); int64(score) != late.CreatedAt.UnixMilli() {
		t.Fatalf("score %v, want created_at %d", score, late.CreatedAt.UnixMilli())
	}
}

// Events a consumer read but never acknowledged (it died) are reclaimed with
// XAUTOCLAIM once they have been idle for MinIdle, and applied.
func TestProjectorReclaimsStuckEvents(t *testing.T) {
	s, be := mustStore(t)
	rdb := be.AdminClient(t) // reads and seeds keys with commands the functions never run
	a := mustActivity(t, s, 10, 900)
	want := map[string]string{}
	for i := range 5 {
		u := fmt.Sprintf("u%d", i)
		want[u] = mustWin(t, s, a.ID, u).ID
		rdb.Del(ctx, key.UserOrders(u))
	}
	stream := key.Events(a.ID, 0)
	if err := rdb.XGroupCreate(ctx, stream, redislib.UserIndexGroup, "0").Err(); err != nil {
		t.Fatalf("create group: %v", err)
	}
	got, err := rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: redislib.UserIndexGroup, Consumer: "dead",
		Streams: []string{stream, ">"}, Count: 100, Block: -1}).Result()
	if err != nil || len(got[0].Messages) != 5 {
		t.Fatalf("dead consumer's read: %v, %v", got, err)
	}

	// Not idle long enough yet: a live consumer may still be working on them.
	r, err := s.ProjectUserOrders(ctx, redislib.JobOptions{MinIdle: time.Hour})
	if err != nil || r.Events != 0 || !r.Complete {
		t.Fatalf("project with a long MinIdle: %+v, %v", r, err)
	}
	if h := mustHistory(t, rdb, "u0"); len(h) != 0 {
		t.Fatalf("history filled from events another consumer holds: %v", h)
	}

	const minIdle = 20 * time.Millisecond
	for deadline := time.Now().Add(10 * time.Second); ; {
		p, err := rdb.XPendingExt(ctx, &redis.XPendingExtArgs{Stream: stream, Group: redislib.UserIndexGroup,
			Start: "-", End: "+", Count: 100, Idle: minIdle}).Result()
		if err != nil {
			t.Fatalf("XPENDING: %v", err)
		}
		if len(p) == 5 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("events never became idle: %v", p)
		}
		time.Sleep(5 * time.Millisecond)
	}
	r, err = s.ProjectUserOrders(ctx, redislib.JobOptions{MinIdle: minIdle, Batch: 2})
	if err != nil || r.Events != 5 || r.Reclaimed != 5 || !r.Complete {
		t.Fatalf("project: %+v, %v", r, err)
	}
	for u, id := range want {
		if h := mustHistory(t, rdb, u); !slices.Equal(h, []string{id}) {
			t.Fatalf("history of %s: %v, want [%s]", u, h, id)
		}
	}
	if p, _ := rdb.XPending(ctx, stream, redislib.UserIndexGroup).Result(); p.Count != 0 {
		t.Fatalf("%d events still pending", p.Count)
	}
}

// Redis is SIGKILLed in the middle of a burst of purchases and restarted from
// its data directory. Every acknowledged win survives with its order and, once
// the projector has run, is in its user's history; so is every win whose
// answer was lost; and the stock is exact.
func TestHistoryCompleteAfterRedisKill(t *testing.T) {
	singleOnly(t, "kills its redis-server")
	srv := redistest.Start(t)
	s := srv.Store(t)
	rdb := srv.AdminClient(t) // reads keys with commands the functions never run
	const stock, users, workers, killAfter = 400, 2000, 16, 150
	a := mustActivity(t, s, stock, 900)

	var acked sync.Map // user -> order ID of an answered win
	var wins, failures atomic.Int64
	var killOnce sync.Once
	killed := make(chan struct{})
	next := make(chan string)
	go func() {
		defer close(next)
		for i := range users {
			select {
			case next <- fmt.Sprintf("user-%d", i):
			case <-killed:
				return
			}
		}
	}()
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for u := range next {
				r, err := s.Purchase(ctx, a.ID, u, sale.Rate{})
				if err != nil {
					if sale.ErrorCode(err) != sale.CodeStoreUnavailable {
						t.Errorf("purchase by %s: %v", u, err)
					}
					failures.Add(1)
					continue
				}
				if r.Outcome == sale.OutcomeWon {
					acked.Store(u, r.OrderID)
					if wins.Add(1) == killAfter {
						killOnce.Do(func() { srv.Kill(); close(killed) })
					}
				}
			}
		}()
	}
	wg.Wait()
	if wins.Load() < killAfter {
		t.Fatalf("only %d wins before the burst ended; Redis was never killed", wins.Load())
	}
	srv.Restart()

	buyers, err := rdb.HGetAll(ctx, key.Buyers(a.ID)).Result()
	if err != nil {
		t.Fatalf("buyers: %v", err)
	}
	gaps := 0 // wins the purchase call did not get into the history
	for u := range buyers {
		if len(mustHistory(t, rdb, u)) == 0 {
			gaps++
		}
	}
	r, err := s.ProjectUserOrders(ctx, redislib.JobOptions{})
	if err != nil || !r.Complete {
		t.Fatalf("project after restart: %+v, %v", r, err)
	}
	n := 0
	acked.Range(func(k, v any) bool {
		u, id := k.(string), v.(string)
		n++
		o, err := s.Order(ctx, id)
		if err != nil || o.UserID != u || o.Status != sale.OrderPending {
			t.Fatalf("acknowledged order %s of %s after restart: %+v, %v", id, u, o, err)
		}
		if h := mustHistory(t, rdb, u); !slices.Equal(h, []string{id}) {
			t.Fatalf("history of %s: %v, want [%s]", u, h, id)
		}
		return true
	})
	for u, id := range buyers { // wins whose answer was lost, too
		if h := mustHistory(t, rdb, u); !slices.Equal(h, []string{id}) {
			t.Fatalf("history of buyer %s: %v, want [%s]", u, h, id)
		}
	}
	st := mustConsistent(t, s, a.ID)
	if st.Buyers != int64(len(buyers)) || st.Pending != st.Buyers || st.Stock != stock || int64(n) > st.Buyers {
		t.Fatalf("stats %+v with %d acknowledged wins and %d buyers", st, n, len(buyers))
	}
	if idx, _ := rdb.ZCard(ctx, key.OrdersIndex(a.ID)).Result(); idx != st.Buyers {
		t.Fatalf("orders index holds %d, buyers %d", idx, st.Buyers)
	}
	t.Logf("%d acknowledged wins, %d buyers after restart (%d missing from their history before the projector ran), %d failed attempts, %d events projected",
		n, len(buyers), gaps, failures.Load(), r.Events)
}

// The jobs walk the activities index a page at a time; activities past the
// first page are reached too.
func TestJobsReachEveryActivity(t *testing.T) {
	s, be := mustStore(t)
	// Reads and seeds keys with commands the functions never run.
	rdb := be.AdminClient(t)
	const n = 205 // more than one page (200) of activities
	var last sale.Order
	want := map[string]string{}
	for i := range n {
		a := mustActivity(t, s, 1, 1)
		u := fmt.Sprintf("u%d", i)
		last = mustWin(t, s, a.ID, u)
		want[u] = last.ID
		rdb.Del(ctx, key.UserOrders(u))
	}
	waitRedisTime(t, rdb, *last.ExpiresAt)
	if r, err := s.ExpireOrders(ctx, redislib.JobOptions{}); err != nil || r.Expired != n || !r.Complete {
		t.Fatalf("expire: %+v, %v", r, err)
	}
	if r, err := s.ProjectUserOrders(ctx, redislib.JobOptions{}); err != nil || r.Events != 2*n || !r.Complete {
		t.Fatalf("project: %+v, %v", r, err)
	}
	for u, id := range want {
		if h := mustHistory(t, rdb, u); !slices.Equal(h, []string{id}) {
			t.Fatalf("history of %s: %v, want [%s]", u, h, id)
		}
	}
}
