package redislib_test

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"seckill/redislib"
	"seckill/redislib/redistest"
	"seckill/redislib/sale"
)

// waitMemory polls until the store keeps nothing about any activity.
func waitMemory(t *testing.T, store *redislib.Store, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		leases, buyers, counts := store.MemoryCounts()
		if leases == 0 && buyers == 0 && counts == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s the store still keeps %d leases, %d buyers, %d bucket counts", within, leases, buyers, counts)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestQuietLeaseReleasesBudget: a sold-out sale that gets no more attempts
// gives its buyers back to the budget, so a later sale can be leased; then
// the store keeps nothing about either.
func TestQuietLeaseReleasesBudget(t *testing.T) {
	srv := start(t)
	store := srv.Store(t, redislib.SoldOutBuyers(3))
	store.SetMemoryBounds(20*time.Millisecond, 200*time.Millisecond, 200*time.Millisecond, 100, 100)
	first := redistest.MustActivity(t, store, 3)
	second := redistest.MustActivity(t, store, 3)
	for i := range 3 {
		mustPurchaseOutcome(t, store, first.ID, fmt.Sprintf("a%d", i), sale.OutcomeWon)
		mustPurchaseOutcome(t, store, second.ID, fmt.Sprintf("b%d", i), sale.OutcomeWon)
	}
	if got := pollLease(t, store, first.ID, "x1"); got.Outcome != sale.OutcomeSoldOut {
		t.Fatalf("first sale from memory: %+v", got)
	}
	// The first sale goes quiet; the second one, with as many buyers as the
	// whole budget, can only be leased once the first lease is dropped.
	if got := pollLease(t, store, second.ID, "x2"); got.Outcome != sale.OutcomeSoldOut {
		t.Fatalf("second sale from memory: %+v", got)
	}
	if _, buyers, _ := store.MemoryCounts(); buyers != 3 {
		t.Fatalf("buyers held: %d, want the second sale's 3", buyers)
	}
	waitMemory(t, store, 5*time.Second)
	if _, ok := store.LeaseAnswer(second.ID, "x2"); ok {
		t.Fatal("answered from a dropped lease")
	}
	// A dropped sale is leased again on its next attempts.
	if got := pollLease(t, store, first.ID, "x0"); got.Outcome != sale.OutcomeSoldOut {
		t.Fatalf("first sale leased again: %+v", got)
	}
}

// TestLeaseEntriesBounded: past the bound on tracked activities, attempts on
// further sold-out activities run the script, and are still answered right.
func TestLeaseEntriesBounded(t *testing.T) {
	srv := start(t)
	store := srv.Store(t)
	store.SetMemoryBounds(20*time.Millisecond, time.Minute, time.Minute, 2, 100)
	var ids []string
	for i := range 3 {
		a := redistest.MustActivity(t, store, 1)
		mustPurchaseOutcome(t, store, a.ID, "winner", sale.OutcomeWon)
		ids = append(ids, a.ID)
		if i < 2 {
			pollLease(t, store, a.ID, "bob")
		}
	}
	for range 20 {
		mustPurchaseOutcome(t, store, ids[2], "bob", sale.OutcomeSoldOut)
		time.Sleep(5 * time.Millisecond)
	}
	if res, ok := store.LeaseAnswer(ids[2], "bob"); ok {
		t.Fatalf("a third activity answered from memory (%+v) past a bound of two", res)
	}
	if leases, _, _ := store.MemoryCounts(); leases != 2 {
		t.Fatalf("%d activities tracked, want 2", leases)
	}
}

// TestBucketCountCacheBounded: the cached bucket counts stop growing at their
// bound, and quiet entries are dropped.
func TestBucketCountCacheBounded(t *testing.T) {
	srv := start(t)
	store := srv.Store(t, redislib.SoldOutBuyers(0))
	store.SetMemoryBounds(20*time.Millisecond, time.Second, 100*time.Millisecond, 10, 5)
	for i := range 8 {
		a := redistest.MustActivity(t, store, 5, redistest.Buckets(1+i%2))
		mustPurchaseOutcome(t, store, a.ID, "u", sale.OutcomeWon)
		if _, _, counts := store.MemoryCounts(); counts > 10 {
			t.Fatalf("%d bucket counts cached, bound 5 per generation", counts)
		}
	}
	waitMemory(t, store, 5*time.Second)
}

// rss returns the process's resident set size in bytes (0 where
// /proc/self/status is missing).
func rss() uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		var kb uint64
		if _, err := fmt.Sscanf(line, "VmRSS: %d kB", &kb); err == nil {
			return kb * 1024
		}
	}
	return 0
}

// heap returns the live heap after a garbage collection.
func heap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestMemorySoak: 10,000 activities, created, sold out, leased and ended
// (cancelled, or past their end) in turn. What the store keeps about
// activities stays bounded all along and is all dropped at the end.
func TestMemorySoak(t *testing.T) {
	singleOnly(t, "measures one process's memory; a cluster adds nothing to it")
	if testing.Short() {
		t.Skip("soak test")
	}
	srv := start(t)
	store := srv.Store(t)
	// The bounds are shortened so that the test runs in seconds; the
	// sales it runs at once are far fewer than maxLeases.
	const maxLeases, maxCounts = 2000, 2000
	store.SetMemoryBounds(50*time.Millisecond, 300*time.Millisecond, 300*time.Millisecond, maxLeases, maxCounts)
	p := redistest.MustProduct(t, store)
	const sales, workers = 10_000, 8
	var peakLeases, peakCounts, leased atomic.Int64
	// sell runs n sales, workers at a time.
	sell := func(n int64) {
		var next atomic.Int64
		var wg sync.WaitGroup
		for range workers {
			wg.Go(func() {
				for i := next.Add(1) - 1; i < n && !t.Failed(); i = next.Add(1) - 1 {
					ends := time.Hour
					if i%2 == 1 {
						ends = 2 * time.Second // ends on its own while the test goes on
					}
					a, err := store.CreateActivity(ctx, sale.NewActivity{ProductID: p.ID, Stock: 1, Price: 999,
						StartsAt: time.Now().Add(-time.Minute), EndsAt: time.Now().Add(ends), Buckets: 1 + int(i%3/2)})
					if err != nil {
						t.Errorf("create %d: %v", i, err)
						return
					}
					if r, err := store.Purchase(ctx, a.ID, "winner", sale.Rate{}); err != nil || r.Outcome != sale.OutcomeWon {
						t.Errorf("win %d: %+v, %v", i, r, err)
						return
					}
					if r, err := store.Purchase(ctx, a.ID, "loser", sale.Rate{}); err != nil || r.Outcome != sale.OutcomeSoldOut {
						t.Errorf("lose %d: %+v, %v", i, r, err)
						return
					}
					for deadline := time.Now().Add(time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
						if _, ok := store.LeaseAnswer(a.ID, "loser"); ok {
							leased.Add(1)
							break
						}
					}
					if i%2 == 0 {
						if _, err := store.CancelActivity(ctx, a.ID); err != nil {
							t.Errorf("cancel %d: %v", i, err)
							return
						}
					}
				}
			})
		}
		wg.Wait()
	}
	// A warm-up brings the connection pool and the runtime to their working size.
	sell(workers * 20)
	waitMemory(t, store, 10*time.Second)
	heapStart, rssStart := heap(), rss()
	leased.Store(0)

	done := make(chan struct{})
	var sampler sync.WaitGroup
	sampler.Go(func() {
		for {
			leases, _, counts := store.MemoryCounts()
			if leases > peakLeases.Load() {
				peakLeases.Store(leases)
			}
			if counts > peakCounts.Load() {
				peakCounts.Store(counts)
			}
			select {
			case <-done:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	})
	sell(sales)
	waitMemory(t, store, 10*time.Second)
	close(done)
	sampler.Wait()
	heapEnd, rssEnd := heap(), rss()
	t.Logf("%d sales, %d leased; peak %d leases and %d bucket counts kept at once; heap %.1f MB -> %.1f MB, RSS %.1f MB -> %.1f MB",
		sales, leased.Load(), peakLeases.Load(), peakCounts.Load(),
		float64(heapStart)/1e6, float64(heapEnd)/1e6, float64(rssStart)/1e6, float64(rssEnd)/1e6)
	if leased.Load() < sales/2 {
		t.Errorf("only %d of %d sales were leased: the soak did not exercise the leases", leased.Load(), sales)
	}
	if peakLeases.Load() > maxLeases || peakCounts.Load() > 2*maxCounts {
		t.Errorf("peak %d leases, %d bucket counts: over the bounds %d, %d", peakLeases.Load(), peakCounts.Load(), maxLeases, 2*maxCounts)
	}
}
