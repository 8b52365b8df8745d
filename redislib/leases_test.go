package redislib_test

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"seckill/redislib"
	"seckill/redislib/internal/key"
	"seckill/redislib/redistest"
	"seckill/redislib/sale"
)

// pollLease waits until store answers the user's attempts in the activity
// from memory, and returns that answer.
func pollLease(t *testing.T, store *redislib.Store, activityID, userID string) sale.PurchaseResult {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	probe := "probe-" + userID
	for i := 0; ; i++ {
		if res, ok := store.LeaseAnswer(activityID, userID); ok {
			return res
		}
		if time.Now().After(deadline) {
			t.Fatalf("activity %s was never answered from memory", activityID)
		}
		// Ask Redis once more: a sold_out reply starts the lease. A probe that
		// won a unit that came back is a buyer from then on, whose answers
		// start nothing: the next probe is someone else.
		res, err := store.Purchase(ctx, activityID, probe, sale.Rate{})
		if err != nil {
			t.Fatalf("probe: %v", err)
		}
		if res.Outcome == sale.OutcomeWon {
			probe = fmt.Sprintf("probe-%s-%d", userID, i)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestLeaseAgreesWithScript puts sold-out activities in every state the
// purchase script distinguishes and checks that the answer from memory is
// exactly the script's answer, and that a buyer's attempt is not answered
// from memory (their order may close while the lease runs) but by the
// script, also under a lease.
func TestLeaseAgreesWithScript(t *testing.T) {
	srv := start(t)
	store := srv.Store(t)
	script := srv.Store(t, redislib.SoldOutBuyers(0)) // always runs the script
	rdb := store.Client()
	past := strconv.FormatInt(time.Now().Add(-time.Minute).UnixMilli(), 10)
	future := strconv.FormatInt(time.Now().Add(time.Hour).UnixMilli(), 10)

	soldOut := func(t *testing.T) sale.Activity {
		t.Helper()
		a := redistest.MustActivity(t, store, 1)
		mustPurchaseOutcome(t, store, a.ID, "winner", sale.OutcomeWon)
		return a
	}
	closeOrder := func(id string, status string) {
		order, err := script.OrderOf(ctx, id, "winner")
		if err != nil {
			t.Fatalf("winner's order: %v", err)
		}
		if status == sale.OrderExpired {
			rdb.HSet(ctx, key.Order(id, order), "expires_at", past)
			return
		}
		if _, err := script.CancelOrder(ctx, order, "winner", false); err != nil {
			t.Fatalf("cancel: %v", err)
		}
	}
	tests := []struct {
		name   string
		user   string
		change func(id string) // applied after the sold-out activity was leased
		want   sale.Outcome
	}{
		{name: "sold out", user: "bob", want: sale.OutcomeSoldOut},
		{name: "winner", user: "winner", want: sale.OutcomeAlreadyWon},
		{name: "cancelled", user: "bob", want: sale.OutcomeCancelled,
			change: func(id string) { rdb.HSet(ctx, key.Activity(id), "cancelled_at", past) }},
		{name: "winner of a cancelled activity", user: "winner", want: sale.OutcomeAlreadyWon,
			change: func(id string) { rdb.HSet(ctx, key.Activity(id), "cancelled_at", past) }},
		{name: "ended", user: "bob", want: sale.OutcomeEnded,
			change: func(id string) { rdb.HSet(ctx, key.Activity(id), "ends_at", past) }},
		{name: "not started", user: "bob", want: sale.OutcomeNotStarted,
			change: func(id string) { rdb.HSet(ctx, key.Activity(id), "starts_at", future) }},
		{name: "stock below zero", user: "bob", want: sale.OutcomeSoldOut,
			change: func(id string) { rdb.Set(ctx, key.Stock(id), -2, 0) }},
		{name: "winner whose order was cancelled", user: "winner", want: sale.OutcomeOrderClosed,
			change: func(id string) { closeOrder(id, sale.OrderCancelled) }},
		{name: "winner whose order expired", user: "winner", want: sale.OutcomeOrderClosed,
			change: func(id string) { closeOrder(id, sale.OrderExpired) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := soldOut(t)
			if tt.change != nil {
				tt.change(a.ID)
			}
			fromScript, err := script.Purchase(ctx, a.ID, tt.user, sale.Rate{})
			if err != nil || fromScript.Outcome != tt.want {
				t.Fatalf("script: %+v, %v; want %s", fromScript, err, tt.want)
			}
			// A fresh store takes its lease after the change.
			fresh := srv.Store(t)
			if tt.user != "winner" {
				if got := pollLease(t, fresh, a.ID, tt.user); got != fromScript {
					t.Fatalf("from memory %+v, script %+v", got, fromScript)
				}
				return
			}
			pollLease(t, fresh, a.ID, "bob")
			if got, ok := fresh.LeaseAnswer(a.ID, tt.user); ok {
				t.Fatalf("a buyer answered from memory: %+v", got)
			}
			if got, err := fresh.Purchase(ctx, a.ID, tt.user, sale.Rate{}); err != nil || got != fromScript {
				t.Fatalf("under a lease %+v, %v; script %+v", got, err, fromScript)
			}
		})
	}
	t.Run("not sold out", func(t *testing.T) {
		a := redistest.MustActivity(t, store, 2)
		mustPurchaseOutcome(t, store, a.ID, "winner", sale.OutcomeWon)
		if res, ok := store.LeaseAnswer(a.ID, "bob"); ok {
			t.Fatalf("answered %+v from memory while a unit is left", res)
		}
	})
}

// TestLeaseHoldsReturnedUnits: a unit that comes back while a lease may be
// valid is sold only once every lease taken before has run out, and then it
// is sold.
func TestLeaseHoldsReturnedUnits(t *testing.T) {
	srv := start(t)
	leaser := srv.Store(t)
	other := srv.Store(t, redislib.SoldOutBuyers(0))
	a := redistest.MustActivity(t, leaser, 1)
	won := mustPurchaseOutcome(t, leaser, a.ID, "alice", sale.OutcomeWon)
	leasedBy := time.Now()
	pollLease(t, leaser, a.ID, "bob")

	if _, err := other.CancelOrder(ctx, won.OrderID, "", true); err != nil {
		t.Fatalf("cancel: %v", err)
	}
	// The unit is back in stock, yet bob is told sold_out until the hold
	// ends: the leaser may still be answering from memory.
	var soldOut int
	for {
		res, err := other.Purchase(ctx, a.ID, "bob", sale.Rate{})
		if err != nil {
			t.Fatalf("bob: %v", err)
		}
		if res.Outcome == sale.OutcomeWon {
			break
		}
		if res.Outcome != sale.OutcomeSoldOut {
			t.Fatalf("bob: %+v", res)
		}
		soldOut++
		time.Sleep(10 * time.Millisecond)
	}
	if soldOut == 0 {
		t.Fatal("the returned unit was sold at once, while a lease was valid")
	}
	if held := time.Since(leasedBy); held < 900*time.Millisecond {
		t.Fatalf("the unit was held only %s after the lease was taken", held)
	}
	// From now on both stores tell bob already_won.
	for _, s := range []*redislib.Store{leaser, other} {
		if res, err := s.Purchase(ctx, a.ID, "bob", sale.Rate{}); err != nil || res.Outcome != sale.OutcomeAlreadyWon {
			t.Fatalf("bob after winning: %+v, %v", res, err)
		}
	}
}

// TestLeaseMemoryBound: an activity with more buyers than the store may keep
// is not answered from memory; a smaller one is.
func TestLeaseMemoryBound(t *testing.T) {
	srv := start(t)
	store := srv.Store(t, redislib.SoldOutBuyers(5))
	big := redistest.MustActivity(t, store, 6)
	small := redistest.MustActivity(t, store, 3)
	for i := range 6 {
		mustPurchaseOutcome(t, store, big.ID, fmt.Sprintf("u%d", i), sale.OutcomeWon)
	}
	for i := range 3 {
		mustPurchaseOutcome(t, store, small.ID, fmt.Sprintf("u%d", i), sale.OutcomeWon)
	}
	if got := pollLease(t, store, small.ID, "loser"); got.Outcome != sale.OutcomeSoldOut {
		t.Fatalf("small activity from memory: %+v", got)
	}
	// Many sold_out replies for the big one: each may try a lease, none fits.
	for range 50 {
		mustPurchaseOutcome(t, store, big.ID, "loser", sale.OutcomeSoldOut)
	}
	if res, ok := store.LeaseAnswer(big.ID, "loser"); ok {
		t.Fatalf("big activity answered from memory: %+v", res)
	}
	if n := store.SoldOutStats().Buyers; n != 3 {
		t.Fatalf("%d buyers in memory, want the small activity's 3", n)
	}
}

// attempt is one purchase attempt as a client saw it.
type attempt struct {
	user       string
	start, end time.Time
	res        sale.PurchaseResult
}

// TestLeaseRaceTwoInstances is the proof of the sold-out leases: two stores
// (two processes' worth of memory) answer a sale while units keep coming back
// (orders cancelled, stock added). Users are 100 times the stock and each
// tries twice, on either store. No answer may be stale: once a user's win was
// acknowledged, every attempt of theirs that starts later, on either store,
// is told already_won with that order, or order_closed with it once its
// cancellation was acknowledged. Nothing is oversold, and every unit that
// came back is sold again. It runs with the stock in one bucket and
// split into three.
func TestLeaseRaceTwoInstances(t *testing.T) {
	for _, shards := range []int{1, 3} {
		t.Run(fmt.Sprintf("shards=%d", shards), func(t *testing.T) { leaseRace(t, shards) })
	}
}

func leaseRace(t *testing.T, shards int) {
	const stock, users, workers = 20, 2000, 32
	srv := start(t)
	stores := []*redislib.Store{srv.Store(t), srv.Store(t)}
	admin := srv.Store(t, redislib.SoldOutBuyers(0))
	a := redistest.MustActivity(t, admin, stock, redistest.Buckets(shards))

	// Each user's two attempts, shuffled, paced over about three seconds so
	// that leases are taken, renewed and run out while units come back.
	jobs := make(chan string, 2*users)
	order := rand.Perm(2 * users)
	for _, i := range order {
		jobs <- fmt.Sprintf("user%04d", i/2)
	}
	close(jobs)
	pace := time.NewTicker(3 * time.Second / (2 * users))
	defer pace.Stop()

	var mu sync.Mutex
	var log []attempt
	wins := map[string]string{}         // user -> order, from "won" answers
	closes := map[string][2]time.Time{} // order -> start and end of its acknowledged cancel
	var returned, cancels, added atomic.Int64
	done := make(chan struct{})
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for user := range jobs {
				<-pace.C
				s := stores[(w+len(user))%2]
				if rand.IntN(2) == 0 {
					s = stores[1-(w+len(user))%2]
				}
				start := time.Now()
				res, err := s.Purchase(ctx, a.ID, user, sale.Rate{})
				end := time.Now()
				if err != nil {
					t.Errorf("purchase by %s: %v", user, err)
					continue
				}
				mu.Lock()
				log = append(log, attempt{user, start, end, res})
				if res.Outcome == sale.OutcomeWon {
					if prev, ok := wins[user]; ok {
						t.Errorf("user %s won twice: %s and %s", user, prev, res.OrderID)
					}
					wins[user] = res.OrderID
				}
				mu.Unlock()
				if res.Outcome != sale.OutcomeWon {
					continue
				}
				// A winner asks again at once on both stores, as a client
				// that reloads would: the moment a stale answer is likeliest.
				for _, s := range stores {
					start := time.Now()
					res, err := s.Purchase(ctx, a.ID, user, sale.Rate{})
					if err != nil {
						t.Errorf("purchase by %s: %v", user, err)
						continue
					}
					mu.Lock()
					log = append(log, attempt{user, start, time.Now(), res})
					mu.Unlock()
				}
			}
		}()
	}
	// Units come back: a winner's order cancelled every 150 ms, two units of
	// stock added every 700 ms.
	var rwg sync.WaitGroup
	rwg.Add(1)
	go func() {
		defer rwg.Done()
		cancel := time.NewTicker(150 * time.Millisecond)
		add := time.NewTicker(700 * time.Millisecond)
		defer cancel.Stop()
		defer add.Stop()
		cancelled := map[string]bool{}
		for {
			select {
			case <-done:
				return
			case <-cancel.C:
				mu.Lock()
				var pick string
				for _, o := range wins {
					if !cancelled[o] {
						pick = o
						break
					}
				}
				mu.Unlock()
				if pick == "" {
					continue
				}
				cancelled[pick] = true
				start := time.Now()
				if _, err := admin.CancelOrder(ctx, pick, "", true); err != nil {
					t.Errorf("cancel %s: %v", pick, err)
					continue
				}
				mu.Lock()
				closes[pick] = [2]time.Time{start, time.Now()}
				mu.Unlock()
				returned.Add(1)
				cancels.Add(1)
			case <-add.C:
				if _, err := admin.AdjustStock(ctx, a.ID, 2); err != nil {
					t.Errorf("add stock: %v", err)
					continue
				}
				returned.Add(2)
				added.Add(1)
			}
		}
	}()
	wg.Wait()
	close(done)
	rwg.Wait()

	// No stale answer: every attempt that started after a user's win was
	// acknowledged says already_won with that order until its cancel started,
	// and order_closed with it once the cancel was acknowledged.
	acked := map[string]attempt{}
	for _, at := range log {
		if at.res.Outcome == sale.OutcomeWon {
			acked[at.user] = at
		}
	}
	stale := 0
	for _, at := range log {
		w, ok := acked[at.user]
		if !ok || at.res.Outcome == sale.OutcomeWon {
			continue
		}
		want := sale.PurchaseResult{Outcome: sale.OutcomeAlreadyWon, OrderID: w.res.OrderID}
		closed, isClosed := closes[w.res.OrderID]
		switch {
		case isClosed && at.start.After(closed[1]):
			want = sale.PurchaseResult{Outcome: sale.OutcomeOrderClosed, OrderID: w.res.OrderID, Status: sale.OrderCancelled}
		case isClosed && !at.end.Before(closed[0]) && at.res.Outcome == sale.OutcomeOrderClosed:
			// Concurrent with the cancel: either answer is exact.
			want = sale.PurchaseResult{Outcome: sale.OutcomeOrderClosed, OrderID: w.res.OrderID, Status: sale.OrderCancelled}
		}
		if at.start.After(w.end) && at.res != want {
			stale++
			t.Errorf("user %s won %s at %s, then was told %+v at %s, want %+v", at.user, w.res.OrderID,
				w.end.Format(time.StampMicro), at.res, at.start.Format(time.StampMicro), want)
		}
		if (at.res.Outcome == sale.OutcomeAlreadyWon || at.res.Outcome == sale.OutcomeOrderClosed) && at.res.OrderID != w.res.OrderID {
			t.Errorf("user %s holds %s but was told %+v", at.user, w.res.OrderID, at.res)
		}
	}

	// Every unit that came back is sold again: new users buy until the
	// activity is sold out and its stock is 0.
	for i := 0; ; i++ {
		res, err := admin.Purchase(ctx, a.ID, fmt.Sprintf("late%04d", i), sale.Rate{})
		if err != nil {
			t.Fatalf("late purchase: %v", err)
		}
		if res.Outcome == sale.OutcomeWon {
			wins[fmt.Sprintf("late%04d", i)] = res.OrderID
			continue
		}
		if st := mustState(t, srv, a.ID); st.remaining == 0 {
			break
		}
		if i > 10000 {
			t.Fatalf("units left but never sold: %+v", mustState(t, srv, a.ID))
		}
		time.Sleep(10 * time.Millisecond) // the hold of the last returned units
	}
	st := mustState(t, srv, a.ID)
	if want := int64(stock) + 2*added.Load(); st.stock != want {
		t.Errorf("stock %d, want %d", st.stock, want)
	}
	// Every unit offered is held by an order, plus one order per cancel.
	if n := int64(len(wins)); n != st.stock+cancels.Load() || st.orders != n || int64(len(st.buyers)) != n {
		t.Errorf("%d wins, stock %d, %d cancels, %d orders, %d buyers", n, st.stock, cancels.Load(), st.orders, len(st.buyers))
	}
	if st.pending+st.paid != st.stock {
		t.Errorf("pending %d + paid %d != stock %d with nothing remaining: oversold or lost", st.pending, st.paid, st.stock)
	}
	for user, order := range wins {
		if st.buyers[user] != order {
			t.Errorf("buyer %s holds %q, won %q", user, st.buyers[user], order)
		}
	}
	hits := stores[0].SoldOutStats().Answers + stores[1].SoldOutStats().Answers
	if hits == 0 || returned.Load() == 0 || len(acked) <= stock {
		t.Errorf("the race did not exercise every path: %d answers from memory, %d units returned, %d winners", hits, returned.Load(), len(acked))
	}
	t.Logf("%d attempts, %d answered from memory, %d units returned, %d winners in the race, %d stale", len(log), hits, returned.Load(), len(acked), stale)
}
