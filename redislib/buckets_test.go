package redislib_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"seckill/redislib"
	"seckill/redislib/internal/key"
	"seckill/redislib/redistest"
	"seckill/redislib/sale"
)

// bucketStore returns a store on the Redis of this pass (a private
// redis-server, or the shared cluster) for a test of stock buckets.
func bucketStore(t *testing.T) *redislib.Store {
	t.Helper()
	return start(t).Store(t)
}

// bucketUnits reads the remaining units of every bucket.
func bucketUnits(t *testing.T, store *redislib.Store, activityID string, n int) []int64 {
	t.Helper()
	out := make([]int64, n)
	for k := range n {
		v, err := store.Client().Get(context.Background(), key.BucketStock(activityID, k)).Int64()
		if err != nil {
			t.Fatalf("stock of bucket %d: %v", k, err)
		}
		out[k] = v
	}
	return out
}

// mustBucketsAddUp fails unless the stats of the activity add up with no
// units in flight, and returns them.
func mustBucketsAddUp(t *testing.T, store *redislib.Store, activityID string) sale.ActivityStats {
	t.Helper()
	st := redistest.MustStats(t, store, activityID)
	if !st.Consistent || st.InTransfer != 0 || st.Remaining+st.Pending+st.Paid != st.Stock {
		t.Fatalf("stats do not add up: %+v", st)
	}
	return st
}

// usersInBucket returns count user IDs with the given prefix that map to
// bucket k of n.
func usersInBucket(prefix string, k, n, count int) []string {
	var out []string
	for i := 0; len(out) < count; i++ {
		u := fmt.Sprintf("%s%d", prefix, i)
		if redislib.BucketOf(u, n) == k {
			out = append(out, u)
		}
	}
	return out
}

func TestOrderBucket(t *testing.T) {
	tests := []struct {
		id     string
		act    string
		bucket int
		ok     bool
	}{
		{"a_1-0123456789abcdef", "a_1", 0, true},
		{"a_1-s1-0123456789abcdef", "a_1", 1, true},
		{"a_1-s63-0123456789abcdef", "a_1", 63, true},
		{"a_1-s64-0123456789abcdef", "", 0, false}, // beyond sale.MaxBuckets - 1
		{"a_1-s0-0123456789abcdef", "", 0, false},  // bucket 0 has no s part
		{"a_1-s01-0123456789abcdef", "", 0, false}, // leading zero: one order, one ID
		{"a_1-s-0123456789abcdef", "", 0, false},
		{"a_1-x1-0123456789abcdef", "", 0, false},
		{"a_1-s1-s1-0123456789abcdef", "", 0, false},
		{"-s1-0123456789abcdef", "", 0, false},
		{"a_1-s1-0123456789ABCDEF", "", 0, false},
	}
	for _, tt := range tests {
		act, k, ok := sale.OrderBucket(tt.id)
		if act != tt.act || k != tt.bucket || ok != tt.ok {
			t.Errorf("OrderBucket(%q) = %q, %d, %v; want %q, %d, %v", tt.id, act, k, ok, tt.act, tt.bucket, tt.ok)
		}
	}
	for _, k := range []int{0, 1, 9, 63} {
		id := sale.NewOrderID("act", k)
		if act, got, ok := sale.OrderBucket(id); !ok || act != "act" || got != k {
			t.Errorf("NewOrderID(act, %d) = %s, parsed as %q %d %v", k, id, act, got, ok)
		}
	}
}

// TestBucketedLayout: the stock is split evenly over buckets under their own
// hash tags; one bucket keeps the layout of an unsplit activity.
func TestBucketedLayout(t *testing.T) {
	ctx := context.Background()
	store := bucketStore(t)
	a := redistest.MustActivity(t, store, 62, redistest.Buckets(6))
	if a.Buckets != 6 || a.Stock != 62 || a.Remaining != 62 || a.Sold != 0 || a.Status != sale.StatusRunning {
		t.Fatalf("created %+v", a)
	}
	if got := bucketUnits(t, store, a.ID, 6); fmt.Sprint(got) != "[11 11 10 10 10 10]" {
		t.Fatalf("bucket units %v, want 62 split as [11 11 10 10 10 10]", got)
	}
	if key := key.BucketStock(a.ID, 3); key != "sk:{act:"+a.ID+":s3}:stock" {
		t.Fatalf("bucket 3 stock key %s", key)
	}
	one := redistest.MustActivity(t, store, 5)
	if one.Buckets != 1 {
		t.Fatalf("default buckets %d", one.Buckets)
	}
	if n, _ := store.Client().HExists(ctx, key.Activity(one.ID), "shards").Result(); n {
		t.Fatal("an activity of one bucket has a shards field")
	}
	if n := store.Client().Exists(ctx, key.BucketMeta(one.ID, 1)).Val(); n != 0 {
		t.Fatal("an activity of one bucket has a bucket 1")
	}
	if _, err := store.CreateActivity(ctx, sale.NewActivity{ProductID: a.ProductID, Stock: 1, Price: 1,
		StartsAt: time.Now(), EndsAt: time.Now().Add(time.Hour), Buckets: 65}); sale.ErrorCode(err) != sale.CodeInvalidShards {
		t.Fatalf("65 buckets: %v", err)
	}
}

// raceResult is what a race of purchases saw.
type raceResult struct {
	mu       sync.Mutex
	orders   map[string]string // user -> order
	wins     int
	soldOut  int
	errs     int
	lastWin  time.Time // start of the last attempt that won
	soldOuts []time.Time
}

// racePurchases runs every user's attempts (tries each) over workers goroutines.
func racePurchases(t *testing.T, store *redislib.Store, activityID string, users []string, tries, workers int) *raceResult {
	t.Helper()
	res := &raceResult{orders: map[string]string{}}
	jobs := make(chan string)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for u := range jobs {
				start := time.Now()
				r, err := store.Purchase(context.Background(), activityID, u, sale.Rate{})
				res.mu.Lock()
				switch {
				case err != nil:
					res.errs++
					t.Errorf("purchase by %s: %v", u, err)
				case r.Outcome == sale.OutcomeWon:
					res.wins++
					if start.After(res.lastWin) {
						res.lastWin = start
					}
					if prev, ok := res.orders[u]; ok {
						t.Errorf("user %s won twice: %s and %s", u, prev, r.OrderID)
					}
					res.orders[u] = r.OrderID
				case r.Outcome == sale.OutcomeAlreadyWon || r.Outcome == sale.OutcomeOrderClosed:
					// order_closed: a test that cancels orders cancelled it.
					if prev, ok := res.orders[u]; ok && prev != r.OrderID {
						t.Errorf("user %s: %s with %s, won %s", u, r.Outcome, r.OrderID, prev)
					}
				case r.Outcome == sale.OutcomeSoldOut:
					res.soldOut++
					res.soldOuts = append(res.soldOuts, time.Now())
				default:
					t.Errorf("purchase by %s: %+v", u, r)
				}
				res.mu.Unlock()
			}
		}()
	}
	for _, u := range users {
		for range tries {
			jobs <- u
		}
	}
	close(jobs)
	wg.Wait()
	return res
}

// phantoms counts sold_out answers given before an attempt that then won
// was sent: a unit was still for sale when they were answered. Valid while
// no unit comes back to stock during the race.
func (r *raceResult) phantoms() int {
	n := 0
	for _, at := range r.soldOuts {
		if at.Before(r.lastWin) {
			n++
		}
	}
	return n
}

// mustExactSale checks a finished sale: exactly stock winners, each with one
// order in the bucket of their user, and buckets that add up.
func mustExactSale(t *testing.T, store *redislib.Store, a sale.Activity, res *raceResult) {
	t.Helper()
	ctx := context.Background()
	if res.wins != int(a.Stock) || len(res.orders) != int(a.Stock) {
		t.Fatalf("%d wins by %d users, want %d", res.wins, len(res.orders), a.Stock)
	}
	seen := map[string]bool{}
	for u, o := range res.orders {
		act, k, ok := sale.OrderBucket(o)
		if !ok || act != a.ID || k != redislib.BucketOf(u, a.Buckets) {
			t.Fatalf("order %s of %s: activity %q bucket %d, want %s bucket %d", o, u, act, k, a.ID, redislib.BucketOf(u, a.Buckets))
		}
		if seen[o] {
			t.Fatalf("order %s given twice", o)
		}
		seen[o] = true
		if held, err := store.OrderOf(ctx, a.ID, u); err != nil || held != o {
			t.Fatalf("OrderOf(%s) = %q, %v; want %s", u, held, err, o)
		}
	}
	st := mustBucketsAddUp(t, store, a.ID)
	if st.Buyers != a.Stock || st.Remaining != 0 || st.Pending+st.Paid != a.Stock {
		t.Fatalf("stats after the sale: %+v", st)
	}
	got, err := store.Activity(ctx, a.ID)
	if err != nil || got.Remaining != 0 || got.Sold != a.Stock || got.Status != sale.StatusSoldOut {
		t.Fatalf("activity after the sale: %+v, %v", got, err)
	}
}

// TestBucketedPurchaseRace: 6000 users, two attempts each, race for 60 units
// in 6 buckets: exactly 60 win, one order each, and the buckets add up.
func TestBucketedPurchaseRace(t *testing.T) {
	store := bucketStore(t)
	a := redistest.MustActivity(t, store, 60, redistest.Buckets(6))
	users := make([]string, 6000)
	for i := range users {
		users[i] = fmt.Sprintf("race-%d", i)
	}
	res := racePurchases(t, store, a.ID, users, 2, 64)
	mustExactSale(t, store, a, res)
	if res.soldOut == 0 {
		t.Fatal("no attempt answered sold_out")
	}
	t.Logf("sold_out answers %d, of which before the last win was sent: %d", res.soldOut, res.phantoms())
	if p := res.phantoms(); p != 0 {
		t.Fatalf("%d sold_out answers while a unit was still for sale", p)
	}
}

// TestBucketedSkew: 4000 users who all map to bucket 2 of 6 buy the whole
// stock: the other buckets' units move to theirs, and no attempt is told
// sold_out while a unit is left anywhere.
func TestBucketedSkew(t *testing.T) {
	store := bucketStore(t)
	a := redistest.MustActivity(t, store, 60, redistest.Buckets(6))
	users := usersInBucket("skew-", 2, 6, 4000)
	res := racePurchases(t, store, a.ID, users, 1, 64)
	mustExactSale(t, store, a, res)
	if got := bucketUnits(t, store, a.ID, 6); fmt.Sprint(got) != "[0 0 0 0 0 0]" {
		t.Fatalf("buckets after the sale: %v", got)
	}
	t.Logf("sold_out answers %d, of which before the last win was sent: %d", res.soldOut, res.phantoms())
	if p := res.phantoms(); p != 0 {
		t.Fatalf("%d sold_out answers while a unit was still for sale", p)
	}
}

// TestBucketedReturnedUnitsResold: units that come back (a cancellation, an
// expired payment window) are sold again, exactly, from whichever bucket
// they returned to.
func TestBucketedReturnedUnitsResold(t *testing.T) {
	ctx := context.Background()
	store := bucketStore(t)
	a := redistest.MustActivity(t, store, 12, redistest.Buckets(3), redistest.PaymentWindow(1))
	first := make([]string, 24)
	for i := range first {
		first[i] = fmt.Sprintf("first-%d", i)
	}
	res := racePurchases(t, store, a.ID, first, 2, 16)
	mustExactSale(t, store, a, res)

	// Cancel three orders, pay three, let the other six expire.
	i := 0
	var paid []string
	for u, o := range res.orders {
		switch {
		case i < 3:
			if _, err := store.CancelOrder(ctx, o, u, false); err != nil {
				t.Fatalf("cancel %s: %v", o, err)
			}
		case i < 6:
			if _, err := payOrder(store, o); err != nil {
				t.Fatalf("pay %s: %v", o, err)
			}
			paid = append(paid, u)
		}
		i++
	}
	redistest.WaitRedisTime(t, store, time.Now().Add(1100*time.Millisecond))
	if r, err := store.ExpireOrders(ctx, redislib.JobOptions{}); err != nil || r.Expired != 6 || !r.Complete {
		t.Fatalf("expire: %+v, %v", r, err)
	}
	st := mustBucketsAddUp(t, store, a.ID)
	if st.Remaining != 9 || st.Paid != 3 || st.Cancelled != 3 || st.Expired != 6 {
		t.Fatalf("stats after returns: %+v", st)
	}
	// Units that come back after a sell-out are held up to 1.25 s (the
	// sold-out leases, leases.go): new users race in waves until none is left.
	resold := 0
	deadline := time.Now().Add(20 * time.Second)
	for wave := 0; ; wave++ {
		second := make([]string, 20)
		for i := range second {
			second[i] = fmt.Sprintf("second-%d-%d", wave, i)
		}
		resold += racePurchases(t, store, a.ID, second, 2, 16).wins
		if st := mustBucketsAddUp(t, store, a.ID); st.Remaining == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("returned units not sold after 20 s: %+v", redistest.MustStats(t, store, a.ID))
		}
		time.Sleep(50 * time.Millisecond)
	}
	if resold != 9 {
		t.Fatalf("%d returned units resold, want 9", resold)
	}
	st = mustBucketsAddUp(t, store, a.ID)
	if st.Remaining != 0 || st.Paid+st.Pending != 12 || st.Buyers != 21 {
		t.Fatalf("stats after resale: %+v", st)
	}
	// Earlier winners keep their one order: already_won, never a second win.
	for _, u := range paid {
		if r, err := store.Purchase(ctx, a.ID, u, sale.Rate{}); err != nil || r.Outcome != sale.OutcomeAlreadyWon || r.OrderID != res.orders[u] {
			t.Fatalf("repeat by %s: %+v, %v", u, r, err)
		}
	}
}

// TestBucketedTransferSteps stops a transfer after each of its steps and
// checks that the stats count the units in flight once, and that recovery
// completes each transfer exactly once.
func TestBucketedTransferSteps(t *testing.T) {
	ctx := context.Background()
	store := bucketStore(t)
	a := redistest.MustActivity(t, store, 30, redistest.Buckets(3))

	// Take only: the units are in flight.
	id1, n1, err := store.TakeUnits(ctx, a.ID, 0, 1, 4)
	if err != nil || n1 != 4 {
		t.Fatalf("take: %s %d %v", id1, n1, err)
	}
	st := redistest.MustStats(t, store, a.ID)
	if !st.Consistent || st.InTransfer != 4 || st.Remaining != 30 {
		t.Fatalf("stats with a transfer taken: %+v", st)
	}
	// Take and give, without deleting the outbox entry: counted once.
	id2, n2, err := store.TakeUnits(ctx, a.ID, 2, 1, 3)
	if err != nil || n2 != 3 {
		t.Fatalf("take: %v", err)
	}
	if err := store.GiveUnits(ctx, a.ID, 1, id2, n2); err != nil {
		t.Fatal(err)
	}
	st = redistest.MustStats(t, store, a.ID)
	if !st.Consistent || st.InTransfer != 4 || st.Remaining != 30 {
		t.Fatalf("stats with a transfer given, not deleted: %+v", st)
	}
	// A second give of a given transfer changes nothing.
	if err := store.GiveUnits(ctx, a.ID, 1, id2, n2); err != nil {
		t.Fatal(err)
	}
	if got := bucketUnits(t, store, a.ID, 3); fmt.Sprint(got) != "[6 13 7]" {
		t.Fatalf("buckets %v, want [6 13 7]", got)
	}
	done, err := store.RecoverTransfers(ctx, a.ID)
	if err != nil || done != 2 {
		t.Fatalf("recover: %d, %v; want 2", done, err)
	}
	if got := bucketUnits(t, store, a.ID, 3); fmt.Sprint(got) != "[6 17 7]" {
		t.Fatalf("buckets after recovery %v, want [6 17 7]", got)
	}
	mustBucketsAddUp(t, store, a.ID)
	if done, err := store.RecoverTransfers(ctx, a.ID); err != nil || done != 0 {
		t.Fatalf("second recovery: %d, %v", done, err)
	}

	// Many transfers stopped after the take, recovered by 32 goroutines at once.
	for i := range 20 {
		from, to := i%3, (i+1)%3
		if _, _, err := store.TakeUnits(ctx, a.ID, from, to, 1); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	var total atomic.Int64
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, err := store.RecoverTransfers(ctx, a.ID)
			if err != nil {
				t.Errorf("recover: %v", err)
			}
			total.Add(int64(n))
		}()
	}
	wg.Wait()
	if total.Load() < 20 {
		t.Fatalf("recoveries completed %d transfers, want at least 20", total.Load())
	}
	st = mustBucketsAddUp(t, store, a.ID)
	var sum int64
	for _, u := range bucketUnits(t, store, a.ID, 3) {
		sum += u
	}
	if sum != 30 || st.Remaining != 30 {
		t.Fatalf("units after concurrent recovery: %d in buckets, stats %+v; want 30", sum, st)
	}
}

// TestBucketedOrders: pay, cancel and reads work per bucket from the order ID
// alone; the activity's order listing merges its buckets exactly.
func TestBucketedOrders(t *testing.T) {
	ctx := context.Background()
	store := bucketStore(t)
	a := redistest.MustActivity(t, store, 40, redistest.Buckets(4))
	users := make([]string, 40)
	for i := range users {
		users[i] = fmt.Sprintf("ord-%02d", i)
	}
	res := racePurchases(t, store, a.ID, users, 1, 8)
	mustExactSale(t, store, a, res)
	for u, o := range res.orders {
		got, err := store.Order(ctx, o)
		if err != nil || got.UserID != u || got.ActivityID != a.ID || got.Status != sale.OrderPending {
			t.Fatalf("order %s: %+v, %v", o, got, err)
		}
	}
	// Every order once, newest first, across pages of 7.
	seen := map[string]bool{}
	q := sale.PageQuery{Limit: 7}
	var last time.Time
	for {
		page, err := store.ActivityOrders(ctx, a.ID, "", q)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range page.Items {
			if seen[o.ID] {
				t.Fatalf("order %s listed twice", o.ID)
			}
			if !last.IsZero() && o.CreatedAt.After(last) {
				t.Fatalf("order %s out of order", o.ID)
			}
			seen[o.ID], last = true, o.CreatedAt
		}
		if page.NextCursor == nil {
			break
		}
		q = mustPageQuery(t, *page.NextCursor, 7)
	}
	if len(seen) != 40 {
		t.Fatalf("listed %d orders, want 40", len(seen))
	}
	u := users[0]
	if _, err := payOrder(store, res.orders[u]); err != nil {
		t.Fatal(err)
	}
	if _, err := store.CancelOrder(ctx, res.orders[users[1]], "", true); err != nil {
		t.Fatal(err)
	}
	paid, err := store.ActivityOrders(ctx, a.ID, sale.OrderPaid, sale.PageQuery{Limit: 100})
	if err != nil || len(paid.Items) != 1 || paid.Items[0].ID != res.orders[u] {
		t.Fatalf("paid orders: %+v, %v", paid, err)
	}
	st := mustBucketsAddUp(t, store, a.ID)
	if st.Paid != 1 || st.Cancelled != 1 || st.Remaining != 1 {
		t.Fatalf("stats: %+v", st)
	}
	hist, err := store.UserOrders(ctx, u, sale.PageQuery{Limit: 10})
	if err != nil || len(hist.Items) != 1 || hist.Items[0].ID != res.orders[u] {
		t.Fatalf("history of %s: %+v, %v", u, hist, err)
	}
}

// TestBucketedFacts: cancellation and changes reach every bucket, a bucket
// left behind (a crash in the middle of a change) is brought up to date by
// the next read, and a stock cut gathers units from every bucket.
func TestBucketedFacts(t *testing.T) {
	ctx := context.Background()
	store := bucketStore(t)
	a := redistest.MustActivity(t, store, 30, redistest.Buckets(3))

	// Remove 25 of the 30 units: bucket 0 holds 10, the rest is gathered.
	got, err := store.AdjustStock(ctx, a.ID, -25)
	if err != nil || got.Stock != 5 || got.Remaining != 5 {
		t.Fatalf("cut: %+v, %v", got, err)
	}
	mustBucketsAddUp(t, store, a.ID)
	if _, err := store.AdjustStock(ctx, a.ID, -6); sale.ErrorCode(err) != sale.CodeStockBelowSold {
		t.Fatalf("cut below zero: %v", err)
	}
	if got, err = store.AdjustStock(ctx, a.ID, 7); err != nil || got.Stock != 12 || got.Remaining != 12 {
		t.Fatalf("add: %+v, %v", got, err)
	}
	mustBucketsAddUp(t, store, a.ID)

	// Move ends_at: every bucket has it.
	ends := a.EndsAt.Add(time.Hour).Truncate(time.Millisecond)
	if _, err := store.UpdateActivity(ctx, a.ID, sale.ActivityChanges{EndsAt: &ends}); err != nil {
		t.Fatal(err)
	}
	for k := 1; k < 3; k++ {
		v, _ := store.Client().HGet(ctx, key.BucketMeta(a.ID, k), "ends_at").Int64()
		if v != ends.UnixMilli() {
			t.Fatalf("bucket %d ends_at %d, want %d", k, v, ends.UnixMilli())
		}
	}

	// Cancel; then pretend bucket 2 missed it (a crash before its copy).
	if _, err := store.CancelActivity(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	if err := store.Client().HSet(ctx, key.BucketMeta(a.ID, 2), "cancelled_at", 0, "rev", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if got, err := store.Activity(ctx, a.ID); err != nil || got.Status != sale.StatusCancelled {
		t.Fatalf("read: %+v, %v", got, err)
	}
	for k := range 3 {
		u := usersInBucket("fact-", k, 3, 1)[0]
		if r, err := store.Purchase(ctx, a.ID, u, sale.Rate{}); err != nil || r.Outcome != sale.OutcomeCancelled {
			t.Fatalf("purchase in bucket %d: %+v, %v", k, r, err)
		}
	}
}

// TestBucketedCrash SIGKILLs Redis while purchases, transfers and recoveries
// run, restarts it from its AOF, recovers, and checks that no unit was lost
// or doubled and every acknowledged win survived.
func TestBucketedCrash(t *testing.T) {
	singleOnly(t, "SIGKILLs its redis-server")
	ctx := context.Background()
	srv := redistest.Start(t)
	store := srv.Store(t)
	a := redistest.MustActivity(t, store, 600, redistest.Buckets(6))

	load := startBucketLoad(t, store, a.ID, "crash", time.Second, 20*time.Second)
	srv.Kill()
	load.halt()
	srv.Restart()

	if _, err := store.RecoverTransfers(ctx, a.ID); err != nil {
		t.Fatalf("recover: %v", err)
	}
	st := mustBucketsAddUp(t, store, a.ID)
	if st.Stock != 600 || st.Buyers != st.Pending+st.Paid {
		t.Fatalf("stats after the crash: %+v", st)
	}
	acked := load.acked()
	if int64(len(acked)) > st.Buyers {
		t.Fatalf("%d acknowledged wins, %d buyers", len(acked), st.Buyers)
	}
	for u, o := range acked {
		if held, err := store.OrderOf(ctx, a.ID, u); err != nil || held != o {
			t.Fatalf("acknowledged win of %s (%s) lost: %q, %v", u, o, held, err)
		}
	}
	t.Logf("killed after %d units moved and %d wins; %d buyers after restart", load.moved.Load(), len(acked), st.Buyers)
	// The rest sells exactly.
	rest := usersInBucket("after-crash-", 4, 6, int(st.Remaining)+50)
	res := racePurchases(t, store, a.ID, rest, 1, 16)
	if int64(res.wins) != st.Remaining {
		t.Fatalf("%d won after the crash, want %d", res.wins, st.Remaining)
	}
	final := mustBucketsAddUp(t, store, a.ID)
	if final.Remaining != 0 || final.Buyers != 600 {
		t.Fatalf("final stats: %+v", final)
	}
}

// bucketLoad runs buyers (most of them in bucket 1) and transfers between
// every pair of buckets of a six-bucket activity until stopped, recording
// every acknowledged win.
type bucketLoad struct {
	mu    sync.Mutex
	won   map[string]string // user -> order, for every win answered
	moved atomic.Int64
	stop  chan struct{}
	wg    sync.WaitGroup
}

// startBucketLoad starts the load, each call bounded by callTimeout, and
// returns once at least 30 units have moved and 30 users won (failing the
// test past progressWithin).
func startBucketLoad(t *testing.T, store *redislib.Store, activityID, prefix string, callTimeout, progressWithin time.Duration) *bucketLoad {
	t.Helper()
	ctx := context.Background()
	l := &bucketLoad{won: map[string]string{}, stop: make(chan struct{})}
	for w := range 8 {
		l.wg.Add(1)
		go func() { // buyers, most of them in bucket 1
			defer l.wg.Done()
			for _, u := range usersInBucket(fmt.Sprintf("%s-%d-", prefix, w), 1, 6, 200) {
				select {
				case <-l.stop:
					return
				default:
				}
				c, cancel := context.WithTimeout(ctx, callTimeout)
				r, err := store.Purchase(c, activityID, u, sale.Rate{})
				cancel()
				if err == nil && r.Outcome == sale.OutcomeWon {
					l.mu.Lock()
					l.won[u] = r.OrderID
					l.mu.Unlock()
				}
			}
		}()
	}
	for w := range 4 {
		l.wg.Add(1)
		go func() { // transfers between every pair of buckets
			defer l.wg.Done()
			for i := 0; ; i++ {
				select {
				case <-l.stop:
					return
				default:
				}
				c, cancel := context.WithTimeout(ctx, callTimeout)
				n, _ := store.MoveUnits(c, activityID, (w+i)%6, (w+2*i+1)%6, 3)
				cancel()
				l.moved.Add(n)
			}
		}()
	}
	deadline := time.Now().Add(progressWithin)
	for l.moved.Load() < 30 || len(l.acked()) < 30 {
		if time.Now().After(deadline) {
			t.Fatalf("no progress: moved %d, won %d", l.moved.Load(), len(l.acked()))
		}
		time.Sleep(5 * time.Millisecond)
	}
	return l
}

// halt stops the load and waits for it.
func (l *bucketLoad) halt() {
	close(l.stop)
	l.wg.Wait()
}

// acked returns a copy of the wins answered so far.
func (l *bucketLoad) acked() map[string]string { return snapshot(&l.mu, l.won) }

func snapshot(mu *sync.Mutex, m map[string]string) map[string]string {
	mu.Lock()
	defer mu.Unlock()
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// TestBucketedReadsDuringSale reads the activity and its stats while buyers
// (most of them in one bucket, so units keep moving) race cancellations: no
// read ever shows more sold than the stock or a negative remaining, and the
// stats always add up, units in flight included.
func TestBucketedReadsDuringSale(t *testing.T) {
	ctx := context.Background()
	store := bucketStore(t)
	a := redistest.MustActivity(t, store, 40, redistest.Buckets(4))
	users := usersInBucket("reads-", 0, 4, 300)
	done := make(chan struct{})
	var wg sync.WaitGroup
	var reads, unavailable atomic.Int64
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-done:
					return
				default:
				}
				if i%2 == 0 {
					got, err := store.Activity(ctx, a.ID)
					if sale.ErrorCode(err) == sale.CodeStoreUnavailable {
						unavailable.Add(1)
						continue
					}
					if err != nil || got.Remaining < 0 || got.Remaining > got.Stock || got.Sold != got.Stock-got.Remaining {
						t.Errorf("read during the sale: %+v, %v", got, err)
						return
					}
				} else {
					st, err := store.ActivityStats(ctx, a.ID)
					if sale.ErrorCode(err) == sale.CodeStoreUnavailable {
						unavailable.Add(1)
						continue
					}
					if err != nil || !st.Consistent || st.Remaining < 0 || st.InTransfer < 0 {
						t.Errorf("stats during the sale: %+v, %v", st, err)
						return
					}
				}
				reads.Add(1)
			}
		}()
	}
	wg.Add(1)
	go func() { // cancel a winner's order now and then: units come back
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-done:
				return
			case <-time.After(2 * time.Millisecond):
			}
			u := users[i%len(users)]
			if o, err := store.OrderOf(ctx, a.ID, u); err == nil && o != "" {
				_, _ = store.CancelOrder(ctx, o, "", true)
			}
		}
	}()
	res := racePurchases(t, store, a.ID, users, 2, 32)
	close(done)
	wg.Wait()
	mustBucketsAddUp(t, store, a.ID)
	if reads.Load() == 0 || res.wins < 40 {
		t.Fatalf("%d reads, %d wins", reads.Load(), res.wins)
	}
	t.Logf("%d reads, %d answered 503 after %d rounds; %d wins", reads.Load(), unavailable.Load(), 16, res.wins)
}

// TestBucketedProjector: the projector reads every bucket's events, so a
// history entry lost after a win in any bucket comes back.
func TestBucketedProjector(t *testing.T) {
	ctx := context.Background()
	store := bucketStore(t)
	a := redistest.MustActivity(t, store, 30, redistest.Buckets(5))
	users := make([]string, 30)
	for i := range users {
		users[i] = fmt.Sprintf("proj-%d", i)
	}
	res := racePurchases(t, store, a.ID, users, 1, 8)
	buckets := map[int]bool{}
	for u, o := range res.orders {
		_, k, _ := sale.OrderBucket(o)
		buckets[k] = true
		if err := store.Client().Del(ctx, key.UserOrders(u)).Err(); err != nil {
			t.Fatal(err)
		}
	}
	if len(buckets) != 5 {
		t.Fatalf("wins in %d buckets, want all 5", len(buckets))
	}
	// On the shared cluster the projector also reads other tests' events.
	r, err := store.ProjectUserOrders(ctx, redislib.JobOptions{Batch: 4})
	if err != nil || r.Events < 30 || !r.Complete {
		t.Fatalf("project: %+v, %v", r, err)
	}
	for u, o := range res.orders {
		ids, err := store.Client().ZRange(ctx, key.UserOrders(u), 0, -1).Result()
		if err != nil || len(ids) != 1 || ids[0] != o {
			t.Fatalf("history of %s: %v, %v; want [%s]", u, ids, err, o)
		}
	}
}

// TestBucketedClusterFailover SIGKILLs the primary of the hot bucket on a
// cluster of its own while purchases and transfers run; its replica takes
// over. Every acknowledged win survives (writes wait for a replica), and
// after recovery no unit is lost or doubled and the rest sells exactly.
func TestBucketedClusterFailover(t *testing.T) {
	if current != "cluster" {
		t.Skip("a cluster test; it runs in the cluster pass, on a cluster of its own")
	}
	ctx := context.Background()
	c := redistest.StartCluster(t)
	store := c.Store(t)
	a := redistest.MustActivity(t, store, 600, redistest.Buckets(6))

	load := startBucketLoad(t, store, a.ID, "failover", 2*time.Second, 30*time.Second)
	hot := key.BucketStock(a.ID, 1)
	killed := c.KillPrimaryOf(t, hot)
	promoted, took := c.WaitPromoted(t, hot, killed)
	load.halt()
	killed.Restart(t)
	c.WaitHealthy(t)
	t.Logf("killed %s (bucket 1) after %d units moved; %s took over in %s", killed.Addr, load.moved.Load(), promoted.Addr, took)

	if _, err := store.RecoverTransfers(ctx, a.ID); err != nil {
		t.Fatalf("recover: %v", err)
	}
	st := mustBucketsAddUp(t, store, a.ID)
	acked := load.acked()
	if st.Stock != 600 || st.Buyers != st.Pending+st.Paid || int64(len(acked)) > st.Buyers {
		t.Fatalf("stats after the failover: %+v with %d acknowledged wins", st, len(acked))
	}
	for u, o := range acked {
		if held, err := store.OrderOf(ctx, a.ID, u); err != nil || held != o {
			t.Fatalf("acknowledged win of %s (%s) lost: %q, %v", u, o, held, err)
		}
	}
	rest := usersInBucket("after-failover-", 4, 6, int(st.Remaining)+50)
	res := racePurchases(t, store, a.ID, rest, 1, 16)
	if int64(res.wins) != st.Remaining {
		t.Fatalf("%d won after the failover, want %d", res.wins, st.Remaining)
	}
	if final := mustBucketsAddUp(t, store, a.ID); final.Remaining != 0 || final.Buyers != 600 {
		t.Fatalf("final stats: %+v", final)
	}
}
