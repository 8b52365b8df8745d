package redislib_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"seckill/redislib/internal/key"
	"seckill/redislib/redistest"
	"seckill/redislib/sale"
)

// activityState is the raw state of an activity read straight from Redis.
type activityState struct {
	stock, initial, remaining, pending, paid int64
	buyers                                   map[string]string
	orders                                   int64
}

func mustState(t *testing.T, srv backend, id string) activityState {
	t.Helper()
	ctx := context.Background()
	rdb := srv.Client(t)
	meta, err := rdb.HGetAll(ctx, key.Activity(id)).Result()
	if err != nil {
		t.Fatal(err)
	}
	num := func(s string) int64 {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			t.Fatalf("not an integer: %q", s)
		}
		return n
	}
	shards := int64(1)
	if v, ok := meta["shards"]; ok {
		shards = num(v)
	}
	// The sum over the activity's buckets, with the units moving between two.
	st := activityState{stock: num(meta["stock"]), initial: num(meta["initial_stock"]), buyers: map[string]string{}}
	for k := range int(shards) {
		bm, err := rdb.HGetAll(ctx, key.BucketMeta(id, k)).Result()
		if err != nil {
			t.Fatal(err)
		}
		remaining, err := rdb.Get(ctx, key.BucketStock(id, k)).Result()
		if err != nil {
			t.Fatal(err)
		}
		buyers, err := rdb.HGetAll(ctx, key.BucketBuyers(id, k)).Result()
		if err != nil {
			t.Fatal(err)
		}
		orders, err := rdb.ZCard(ctx, key.BucketOrders(id, k)).Result()
		if err != nil {
			t.Fatal(err)
		}
		outbox, err := rdb.HGetAll(ctx, key.Outbox(id, k)).Result()
		if err != nil {
			t.Fatal(err)
		}
		for _, rec := range outbox {
			st.remaining += num(strings.Split(rec, ":")[1])
		}
		st.remaining += num(remaining)
		pending, err := rdb.ZCard(ctx, key.BucketPending(id, k)).Result()
		if err != nil {
			t.Fatal(err)
		}
		st.pending += pending
		st.paid += num(bm["paid"])
		st.orders += orders
		for u, o := range buyers {
			st.buyers[u] = o
		}
	}
	return st
}

// TestAdjustStockRacesPurchases races stock changes (additions and removals,
// some beyond what is unsold) against purchases, some by the same user
// twice. Afterwards: sold + remaining == initial + the sum of the applied
// deltas, every winner holds exactly one unit, and no user won twice.
func TestAdjustStockRacesPurchases(t *testing.T) {
	srv := start(t)
	store := srv.Store(t)
	ctx := context.Background()
	const initial = 100
	a := redistest.MustActivity(t, store, initial)

	var applied, changes, belowSold atomic.Int64
	var mu sync.Mutex
	wins := map[string]string{} // user -> order
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range 400 {
		user := fmt.Sprintf("user%03d", i%300) // users 0..99 try twice
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			res, err := store.Purchase(ctx, a.ID, user, sale.Rate{})
			if err != nil {
				t.Errorf("purchase: %v", err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			switch res.Outcome {
			case sale.OutcomeWon:
				if prev, ok := wins[user]; ok {
					t.Errorf("user %s won twice: %s and %s", user, prev, res.OrderID)
				}
				wins[user] = res.OrderID
			case sale.OutcomeAlreadyWon, sale.OutcomeSoldOut:
			default:
				t.Errorf("purchase outcome %s", res.Outcome)
			}
		}()
	}
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for j := range 5 {
				delta := int64(rand.IntN(41) - 20)
				if delta == 0 || (i+j)%4 == 0 {
					delta = -60 // often more than is unsold
				}
				_, err := store.AdjustStock(ctx, a.ID, delta)
				switch sale.ErrorCode(err) {
				case "":
					if err != nil {
						t.Errorf("adjust %d: %v", delta, err)
						return
					}
					applied.Add(delta)
					changes.Add(1)
				case sale.CodeStockBelowSold, sale.CodeStockOutOfRange:
					belowSold.Add(1)
				default:
					t.Errorf("adjust %d: %v", delta, err)
				}
			}
		}()
	}
	close(start)
	wg.Wait()

	s := mustState(t, srv, a.ID)
	winners := int64(len(wins))
	if s.stock != initial+applied.Load() {
		t.Errorf("stock %d, want initial %d + applied deltas %d", s.stock, initial, applied.Load())
	}
	if s.initial != initial {
		t.Errorf("initial_stock changed to %d", s.initial)
	}
	if sold := s.stock - s.remaining; sold != winners || sold+s.remaining != initial+applied.Load() {
		t.Errorf("sold %d (stock %d - remaining %d), winners %d", sold, s.stock, s.remaining, winners)
	}
	if s.remaining < 0 {
		t.Errorf("remaining %d below zero", s.remaining)
	}
	if s.pending+s.paid != winners || s.orders != winners || int64(len(s.buyers)) != winners {
		t.Errorf("pending %d + paid %d, orders %d, buyers %d; winners %d", s.pending, s.paid, s.orders, len(s.buyers), winners)
	}
	for user, order := range wins {
		if s.buyers[user] != order {
			t.Errorf("buyer %s holds %q, won %q", user, s.buyers[user], order)
		}
	}
	if belowSold.Load() == 0 || changes.Load() == 0 || winners == 0 {
		t.Errorf("the race did not exercise every path: %d refused, %d applied, %d winners", belowSold.Load(), changes.Load(), winners)
	}
	t.Logf("winners %d, applied deltas %+d, refused changes %d, remaining %d", winners, applied.Load(), belowSold.Load(), s.remaining)
}

// TestAdjustStockConcurrentRemovals removes one unit at a time from many
// goroutines: exactly stock-1 removals apply, the rest keep the stock at 1.
func TestAdjustStockConcurrentRemovals(t *testing.T) {
	srv := start(t)
	store := srv.Store(t)
	a := redistest.MustScheduled(t, store, 50)
	var ok, refused atomic.Int64
	var wg sync.WaitGroup
	for range 80 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := store.AdjustStock(context.Background(), a.ID, -1)
			switch sale.ErrorCode(err) {
			case "":
				if err != nil {
					t.Errorf("adjust: %v", err)
				}
				ok.Add(1)
			case sale.CodeStockOutOfRange:
				refused.Add(1)
			default:
				t.Errorf("adjust: %v", err)
			}
		}()
	}
	wg.Wait()
	s := mustState(t, srv, a.ID)
	if ok.Load() != 49 || refused.Load() != 31 || s.stock != 1 || s.remaining != 1 {
		t.Fatalf("applied %d, refused %d, stock %d, remaining %d; want 49, 31, 1, 1", ok.Load(), refused.Load(), s.stock, s.remaining)
	}
}

// TestCancelRacesPurchases cancels an activity from many goroutines while
// purchases run: every cancel answers the same cancellation time, no order
// is made after it, and the orders made before it are all kept.
func TestCancelRacesPurchases(t *testing.T) {
	srv := start(t)
	store := srv.Store(t)
	rdb := srv.Client(t)
	ctx := context.Background()
	a := redistest.MustActivity(t, store, 1000)

	var mu sync.Mutex
	var wins []string
	cancelledAt := map[time.Time]int{}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range 300 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			res, err := store.Purchase(ctx, a.ID, fmt.Sprintf("user%d", i), sale.Rate{})
			if err != nil {
				t.Errorf("purchase: %v", err)
				return
			}
			switch res.Outcome {
			case sale.OutcomeWon:
				mu.Lock()
				wins = append(wins, res.OrderID)
				mu.Unlock()
			case sale.OutcomeCancelled:
			default:
				t.Errorf("purchase outcome %s", res.Outcome)
			}
		}()
		if i%30 == 15 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				c, err := store.CancelActivity(ctx, a.ID)
				if err != nil || c.CancelledAt == nil || c.Status != sale.StatusCancelled {
					t.Errorf("cancel: %+v, %v", c, err)
					return
				}
				mu.Lock()
				cancelledAt[*c.CancelledAt]++
				mu.Unlock()
			}()
		}
	}
	close(start)
	wg.Wait()

	if len(cancelledAt) != 1 {
		t.Fatalf("cancels answered different times: %v", cancelledAt)
	}
	final, err := store.Activity(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	for at := range cancelledAt {
		if !final.CancelledAt.Equal(at) {
			t.Fatalf("stored cancelled_at %v, answered %v", final.CancelledAt, at)
		}
	}
	for _, id := range wins {
		created, err := rdb.HGet(ctx, key.Order(a.ID, id), "created_at").Int64()
		if err != nil {
			t.Fatalf("order %s: %v", id, err)
		}
		if created > final.CancelledAt.UnixMilli() {
			t.Errorf("order %s created at %d, after the cancellation at %d", id, created, final.CancelledAt.UnixMilli())
		}
	}
	if final.Sold != int64(len(wins)) {
		t.Errorf("sold %d, winners %d", final.Sold, len(wins))
	}
	res, err := store.Purchase(ctx, a.ID, "late-user", sale.Rate{})
	if err != nil || res.Outcome != sale.OutcomeCancelled {
		t.Fatalf("purchase after cancel: %+v, %v", res, err)
	}
	if _, err := store.AdjustStock(ctx, a.ID, 1); sale.ErrorCode(err) != sale.CodeActivityCancelled {
		t.Fatalf("stock change after cancel: %v", err)
	}
}

// TestUpdateActivityRacesCancel moves ends_at from many goroutines while the
// activity is cancelled: every update is either applied or refused with
// activity_cancelled, the final ends_at is one an accepted update set, and
// nothing was written after the cancellation.
func TestUpdateActivityRacesCancel(t *testing.T) {
	srv := start(t)
	store := srv.Store(t)
	ctx := context.Background()
	a := redistest.MustActivity(t, store, 10)
	base := time.Now().Add(2 * time.Hour).Truncate(time.Millisecond)

	var mu sync.Mutex
	accepted, refused := map[int64]bool{}, map[int64]bool{}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range 200 {
		ends := base.Add(time.Duration(i) * time.Second)
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, err := store.UpdateActivity(ctx, a.ID, sale.ActivityChanges{EndsAt: &ends})
			mu.Lock()
			defer mu.Unlock()
			switch sale.ErrorCode(err) {
			case "":
				if err != nil {
					t.Errorf("update: %v", err)
				}
				accepted[ends.UnixMilli()] = true
			case sale.CodeActivityCancelled:
				refused[ends.UnixMilli()] = true
			default:
				t.Errorf("update: %v", err)
			}
		}()
		if i == 100 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				if _, err := store.CancelActivity(ctx, a.ID); err != nil {
					t.Errorf("cancel: %v", err)
				}
			}()
		}
	}
	close(start)
	wg.Wait()
	final, err := store.Activity(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	got := final.EndsAt.UnixMilli()
	if len(accepted)+len(refused) != 200 || final.Status != sale.StatusCancelled {
		t.Fatalf("accepted %d + refused %d != 200, status %s", len(accepted), len(refused), final.Status)
	}
	if len(accepted) > 0 && !accepted[got] {
		t.Fatalf("final ends_at %d was not applied by any accepted update (refused: %v)", got, refused[got])
	}
	if len(accepted) == 0 && got != a.EndsAt.UnixMilli() {
		t.Fatalf("no update accepted, yet ends_at moved to %d", got)
	}
	// The cancellation was the last write: no update got through after it.
	if !final.UpdatedAt.Equal(*final.CancelledAt) {
		t.Fatalf("updated at %v, cancelled at %v", final.UpdatedAt, final.CancelledAt)
	}
}

// TestUpdateProductConcurrent updates one product from many goroutines:
// every answer, and the final product, shows the name and price of one and
// the same update.
func TestUpdateProductConcurrent(t *testing.T) {
	srv := start(t)
	store := srv.Store(t)
	ctx := context.Background()
	p := redistest.MustProduct(t, store)
	var wg sync.WaitGroup
	for i := range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name, price := fmt.Sprintf("name %d", i), int64(i)
			got, err := store.UpdateProduct(ctx, p.ID, sale.ProductChanges{Name: &name, Price: &price})
			if err != nil {
				t.Errorf("update: %v", err)
				return
			}
			if got.Name != fmt.Sprintf("name %d", got.Price) {
				t.Errorf("answer mixes updates: name %q, price %d", got.Name, got.Price)
			}
		}()
	}
	wg.Wait()
	final, err := store.Product(ctx, p.ID)
	if err != nil || final.Name != fmt.Sprintf("name %d", final.Price) || final.Description != p.Description {
		t.Fatalf("final product mixes updates: %+v, %v", final, err)
	}
	if final.UpdatedAt.Before(p.CreatedAt) || !final.CreatedAt.Equal(p.CreatedAt) {
		t.Fatalf("times: created %v -> %v, updated %v", p.CreatedAt, final.CreatedAt, final.UpdatedAt)
	}
}

// TestDeleteProductRacesCreateActivity deletes products while activities are
// created for them: a product is never deleted with a live activity.
func TestDeleteProductRacesCreateActivity(t *testing.T) {
	srv := start(t)
	store := srv.Store(t)
	ctx := context.Background()
	var deleted, inUse, created atomic.Int64
	for round := range 40 {
		p := redistest.MustProduct(t, store)
		var wg sync.WaitGroup
		var mu sync.Mutex
		var acts []string
		var delErr error
		start := make(chan struct{})
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			if round%2 == 0 {
				jitter(300)
			}
			_, delErr = store.DeleteProduct(ctx, p.ID)
		}()
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				if round%2 == 1 {
					jitter(3000)
				}
				a, err := store.CreateActivity(ctx, sale.NewActivity{ProductID: p.ID, Stock: 5, Price: 1,
					StartsAt: time.Now(), EndsAt: time.Now().Add(time.Hour), PaymentWindow: 60})
				switch sale.ErrorCode(err) {
				case "":
					if err != nil {
						t.Errorf("create: %v", err)
						return
					}
					mu.Lock()
					acts = append(acts, a.ID)
					mu.Unlock()
				case sale.CodeProductDeleted:
				default:
					t.Errorf("create: %v", err)
				}
			}()
		}
		close(start)
		wg.Wait()
		final, err := store.Product(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		switch code := sale.ErrorCode(delErr); {
		case delErr == nil:
			deleted.Add(1)
			if len(acts) > 0 {
				t.Fatalf("round %d: product deleted, yet activities %v were created for it", round, acts)
			}
			if !final.Deleted {
				t.Fatalf("round %d: delete answered ok, product not deleted", round)
			}
		case code == sale.CodeProductInUse:
			inUse.Add(1)
			if final.Deleted {
				t.Fatalf("round %d: delete answered in use, product deleted", round)
			}
		default:
			t.Fatalf("round %d: delete: %v", round, delErr)
		}
		created.Add(int64(len(acts)))
	}
	t.Logf("deleted %d, in use %d, activities created %d", deleted.Load(), inUse.Load(), created.Load())
	if deleted.Load() == 0 || inUse.Load() == 0 {
		t.Fatalf("the race did not take both ways: deleted %d, in use %d", deleted.Load(), inUse.Load())
	}
}

// TestDeleteProductRacesMove deletes products while scheduled activities are
// moved to them: no activity ever ends up on a deleted product.
func TestDeleteProductRacesMove(t *testing.T) {
	srv := start(t)
	store := srv.Store(t)
	ctx := context.Background()
	var deleted, inUse, moved atomic.Int64
	for round := range 40 {
		target := redistest.MustProduct(t, store)
		var acts []sale.Activity
		for range 3 {
			acts = append(acts, redistest.MustScheduled(t, store, 5))
		}
		var wg sync.WaitGroup
		var delErr error
		start := make(chan struct{})
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			if round%2 == 0 {
				jitter(500)
			}
			_, delErr = store.DeleteProduct(ctx, target.ID)
		}()
		for _, a := range acts {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				if round%2 == 1 {
					jitter(3000)
				}
				_, err := store.UpdateActivity(ctx, a.ID, sale.ActivityChanges{ProductID: &target.ID})
				switch sale.ErrorCode(err) {
				case "":
					if err != nil {
						t.Errorf("move: %v", err)
					}
					moved.Add(1)
				case sale.CodeProductDeleted:
				default:
					t.Errorf("move: %v", err)
				}
			}()
		}
		close(start)
		wg.Wait()
		final, err := store.Product(ctx, target.ID)
		if err != nil {
			t.Fatal(err)
		}
		onTarget := 0
		for _, a := range acts {
			got, err := store.Activity(ctx, a.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.ProductID == target.ID {
				onTarget++
			}
		}
		switch {
		case delErr == nil:
			deleted.Add(1)
			if onTarget > 0 || !final.Deleted {
				t.Fatalf("round %d: product deleted (%v) with %d activities moved onto it", round, final.Deleted, onTarget)
			}
		case sale.ErrorCode(delErr) == sale.CodeProductInUse:
			inUse.Add(1)
		default:
			t.Fatalf("round %d: delete: %v", round, delErr)
		}
	}
	t.Logf("deleted %d, in use %d, moves %d", deleted.Load(), inUse.Load(), moved.Load())
	if deleted.Load() == 0 || inUse.Load() == 0 {
		t.Fatalf("the race did not take both ways: deleted %d, in use %d", deleted.Load(), inUse.Load())
	}
}

// TestDeleteProductInUse checks which activity states keep a product in use.
func TestDeleteProductInUse(t *testing.T) {
	srv := start(t)
	store := srv.Store(t)
	rdb := srv.Client(t)
	ctx := context.Background()
	productOf := func(a sale.Activity) string { return a.ProductID }
	tests := []struct {
		name     string
		product  func() string
		wantCode string
	}{
		{"no activity", func() string { return redistest.MustProduct(t, store).ID }, ""},
		{"scheduled", func() string { return productOf(redistest.MustScheduled(t, store, 3)) }, sale.CodeProductInUse},
		{"running", func() string { return productOf(redistest.MustActivity(t, store, 3)) }, sale.CodeProductInUse},
		{"sold out", func() string { return productOf(redistest.MustSoldOut(t, store)) }, sale.CodeProductInUse},
		{"ended", func() string { return productOf(redistest.MustEnded(t, store, 3)) }, ""},
		{"cancelled", func() string { return productOf(redistest.MustCancelled(t, store, 3)) }, ""},
		{"registered, not written, ends later", func() string {
			p := redistest.MustProduct(t, store)
			rdb.SAdd(ctx, key.ProductActivities(p.ID), "orphan1")
			rdb.HSet(ctx, key.ProductActivityEnds(p.ID), "orphan1", time.Now().Add(time.Hour).UnixMilli())
			return p.ID
		}, sale.CodeProductInUse},
		{"registered, not written, ended", func() string {
			p := redistest.MustProduct(t, store)
			rdb.SAdd(ctx, key.ProductActivities(p.ID), "orphan2")
			rdb.HSet(ctx, key.ProductActivityEnds(p.ID), "orphan2", time.Now().Add(-time.Second).UnixMilli())
			return p.ID
		}, ""},
		{"activity moved away", func() string {
			a := redistest.MustScheduled(t, store, 3)
			other := redistest.MustProduct(t, store)
			if _, err := store.UpdateActivity(ctx, a.ID, sale.ActivityChanges{ProductID: &other.ID}); err != nil {
				t.Fatal(err)
			}
			return a.ProductID
		}, ""},
		{"move in flight (pinned)", func() string {
			p := redistest.MustProduct(t, store)
			rdb.ZAdd(ctx, key.ProductPins(p.ID), redisZ(time.Now().Add(5*time.Second).UnixMilli(), "pin"))
			return p.ID
		}, sale.CodeProductInUse},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := tt.product()
			got, err := store.DeleteProduct(ctx, id)
			if code := sale.ErrorCode(err); code != tt.wantCode || (code == "" && err != nil) {
				t.Fatalf("delete: %v, want code %q", err, tt.wantCode)
			}
			p, _ := store.Product(ctx, id)
			inIndex := rdb.ZScore(ctx, key.ProductsIndex(), id).Err() == nil
			if tt.wantCode == "" {
				if !got.Deleted || !p.Deleted || inIndex {
					t.Fatalf("answer deleted %v, stored deleted %v, still listed %v", got.Deleted, p.Deleted, inIndex)
				}
				again, err := store.DeleteProduct(ctx, id)
				if err != nil || !again.Deleted || !again.UpdatedAt.Equal(got.UpdatedAt) {
					t.Fatalf("second delete: %+v, %v", again, err)
				}
			} else if p.Deleted || !inIndex {
				t.Fatalf("refused delete changed the product: deleted %v, listed %v", p.Deleted, inIndex)
			}
		})
	}
}

func redisZ(score int64, member string) redis.Z {
	return redis.Z{Score: float64(score), Member: member}
}

// jitter waits up to maxMicros µs so that racing goroutines meet at varied
// points of each other's steps. It orders nothing; the assertions hold for
// every interleaving.
func jitter(maxMicros int) { time.Sleep(time.Duration(rand.IntN(maxMicros)) * time.Microsecond) }

// TestListAfterScriptFlush lists activities after the server's script cache
// is emptied (as after a restart): the pipelined reads fall back to EVAL.
func TestListAfterScriptFlush(t *testing.T) {
	srv := start(t)
	store := srv.Store(t)
	ctx := context.Background()
	a := redistest.MustActivity(t, store, 3)
	if err := srv.AdminClient(t).ScriptFlush(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	page, err := store.ListActivities(ctx, "", sale.PageQuery{Limit: 10})
	if err != nil || len(page.Items) != 1 || page.Items[0].ID != a.ID || page.Items[0].Status != sale.StatusRunning {
		t.Fatalf("list after script flush: %+v, %v", page, err)
	}
}

// TestDeleteProductAfterScriptFlush deletes products after the server's
// script cache is emptied: the check reads their activities in a pipeline of
// scripts, which loads the script and sends the reads again.
func TestDeleteProductAfterScriptFlush(t *testing.T) {
	srv := start(t)
	store := srv.Store(t)
	ctx := context.Background()
	busy := redistest.MustActivity(t, store, 3)
	done := redistest.MustEnded(t, store, 3)
	if err := srv.AdminClient(t).ScriptFlush(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := store.DeleteProduct(ctx, busy.ProductID); sale.ErrorCode(err) != sale.CodeProductInUse {
		t.Fatalf("delete a product with a running activity after script flush: err = %v, want %s", err, sale.CodeProductInUse)
	}
	if err := srv.AdminClient(t).ScriptFlush(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	if p, err := store.DeleteProduct(ctx, done.ProductID); err != nil || !p.Deleted {
		t.Fatalf("delete a product with an ended activity after script flush: %+v, %v", p, err)
	}
}

// TestCatalogChangesSurviveCrash acknowledges a product update, a delete,
// stock changes and a cancel, kills Redis with SIGKILL and finds every
// acknowledged change after the restart.
func TestCatalogChangesSurviveCrash(t *testing.T) {
	singleOnly(t, "restarts its redis-server")
	srv := redistest.Start(t)
	store := srv.Store(t)
	ctx := context.Background()
	p := redistest.MustProduct(t, store)
	name := "renamed"
	if _, err := store.UpdateProduct(ctx, p.ID, sale.ProductChanges{Name: &name}); err != nil {
		t.Fatal(err)
	}
	gone := redistest.MustProduct(t, store)
	if _, err := store.DeleteProduct(ctx, gone.ID); err != nil {
		t.Fatal(err)
	}
	a := redistest.MustActivity(t, store, 10)
	applied := int64(0)
	for _, d := range []int64{5, -3, 7} {
		if _, err := store.AdjustStock(ctx, a.ID, d); err != nil {
			t.Fatal(err)
		}
		applied += d
	}
	c := redistest.MustActivity(t, store, 10)
	cancelled, err := store.CancelActivity(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	s := redistest.MustScheduled(t, store, 10)
	ends := s.EndsAt.Add(time.Hour).Truncate(time.Millisecond)
	if _, err := store.UpdateActivity(ctx, s.ID, sale.ActivityChanges{EndsAt: &ends}); err != nil {
		t.Fatal(err)
	}

	srv.Restart()
	store = srv.Store(t)
	if got, err := store.Product(ctx, p.ID); err != nil || got.Name != name {
		t.Fatalf("product after restart: %+v, %v", got, err)
	}
	if got, err := store.Product(ctx, gone.ID); err != nil || !got.Deleted {
		t.Fatalf("deleted product after restart: %+v, %v", got, err)
	}
	if got, err := store.Activity(ctx, a.ID); err != nil || got.Stock != 10+applied || got.Remaining != 10+applied {
		t.Fatalf("stock after restart: %+v, %v", got, err)
	}
	if got, err := store.Activity(ctx, c.ID); err != nil || got.Status != sale.StatusCancelled || !got.CancelledAt.Equal(*cancelled.CancelledAt) {
		t.Fatalf("cancel after restart: %+v, %v", got, err)
	}
	if got, err := store.Activity(ctx, s.ID); err != nil || !got.EndsAt.Equal(ends) {
		t.Fatalf("update after restart: %+v, %v", got, err)
	}
	page, err := store.ListProducts(ctx, sale.PageQuery{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range page.Items {
		if it.ID == gone.ID {
			t.Fatalf("deleted product listed after restart")
		}
	}
}
