package redislib_test

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"seckill/redislib"
	"seckill/redislib/redistest"
	"seckill/redislib/sale"
)

// One order per user per activity: a user whose order was cancelled or
// expired may not buy there again. Their attempts answer order_closed with
// the order and its status, and UserOrder reads the order with that status.
func TestClosedOrderAnswersOrderClosed(t *testing.T) {
	srv := start(t)
	s := srv.Store(t, redislib.SoldOutBuyers(0))
	rdb := srv.Client(t)
	a := mustActivity(t, s, 3, 1)
	cancelled := mustWin(t, s, a.ID, "alice")
	expired := mustWin(t, s, a.ID, "carol")
	paid := mustWin(t, s, a.ID, "dave")
	if _, err := s.CancelOrder(ctx, cancelled.ID, "alice", false); err != nil {
		t.Fatalf("cancel: %v", err)
	}
	if _, err := payOrder(s, paid.ID); err != nil {
		t.Fatalf("pay: %v", err)
	}
	// A pending order whose window has closed reads as expired before the
	// expiry is recorded, and answers so; then after it is recorded.
	waitRedisTime(t, rdb, *expired.ExpiresAt)
	check := func(when string) {
		t.Helper()
		for _, tt := range []struct {
			user   string
			order  string
			want   sale.PurchaseResult
			status string
		}{
			{"alice", cancelled.ID, sale.PurchaseResult{Outcome: sale.OutcomeOrderClosed, OrderID: cancelled.ID, Status: sale.OrderCancelled}, sale.OrderCancelled},
			{"carol", expired.ID, sale.PurchaseResult{Outcome: sale.OutcomeOrderClosed, OrderID: expired.ID, Status: sale.OrderExpired}, sale.OrderExpired},
			{"dave", paid.ID, sale.PurchaseResult{Outcome: sale.OutcomeAlreadyWon, OrderID: paid.ID}, sale.OrderPaid},
		} {
			if got, err := s.Purchase(ctx, a.ID, tt.user, sale.Rate{}); err != nil || got != tt.want {
				t.Fatalf("%s: %s again: %+v, %v; want %+v", when, tt.user, got, err, tt.want)
			}
			o, found, err := s.UserOrder(ctx, a.ID, tt.user)
			if err != nil || !found || o.ID != tt.order || o.Status != tt.status {
				t.Fatalf("%s: UserOrder(%s) = %+v, %v, %v; want %s %s", when, tt.user, o, found, err, tt.order, tt.status)
			}
		}
	}
	check("before the expiry job")
	if r, err := s.ExpireOrders(ctx, redislib.JobOptions{}); err != nil || r.Expired != 1 {
		t.Fatalf("expire job: %+v, %v", r, err)
	}
	check("after the expiry job")
	// Their units are back on sale, for someone else.
	mustWin(t, s, a.ID, "erin")
	mustWin(t, s, a.ID, "frank")
	if st := mustConsistent(t, s, a.ID); st.Remaining != 0 || st.Paid != 1 || st.Pending != 2 || st.Cancelled != 1 || st.Expired != 1 {
		t.Fatalf("stats: %+v", st)
	}
	if _, found, err := s.UserOrder(ctx, a.ID, "gina"); err != nil || found {
		t.Fatalf("UserOrder of a user who never won: %v, %v", found, err)
	}
}

// TestLeaseSendsBuyersToScript: a sold-out lease answers a buyer's attempt
// through the script, so a buyer whose order is cancelled or expires while
// the lease runs is told order_closed, not already_won.
func TestLeaseSendsBuyersToScript(t *testing.T) {
	for _, shards := range []int{1, 3} {
		t.Run(fmt.Sprintf("shards=%d", shards), func(t *testing.T) {
			srv := start(t)
			leaser := srv.Store(t)
			other := srv.Store(t, redislib.SoldOutBuyers(0))
			rdb := srv.Client(t)
			a := redistest.MustActivity(t, other, 2, redistest.PaymentWindow(2), redistest.Buckets(shards))
			alice := mustWin(t, other, a.ID, "alice")
			carol := mustWin(t, other, a.ID, "carol")
			pollLease(t, leaser, a.ID, "bob")
			leased := func(when string) {
				t.Helper()
				if res, ok := leaser.LeaseAnswer(a.ID, "bob"); !ok || res.Outcome != sale.OutcomeSoldOut {
					t.Fatalf("%s: no lease (%+v, %v): the test needs one", when, res, ok)
				}
			}
			for _, u := range []string{"alice", "carol"} {
				if res, ok := leaser.LeaseAnswer(a.ID, u); ok {
					t.Fatalf("buyer %s answered from memory: %+v", u, res)
				}
			}

			// alice's order is cancelled while the lease runs.
			if _, err := other.CancelOrder(ctx, alice.ID, "alice", false); err != nil {
				t.Fatalf("cancel: %v", err)
			}
			got, err := leaser.Purchase(ctx, a.ID, "alice", sale.Rate{})
			leased("after alice's attempt")
			want := sale.PurchaseResult{Outcome: sale.OutcomeOrderClosed, OrderID: alice.ID, Status: sale.OrderCancelled}
			if err != nil || got != want {
				t.Fatalf("alice under the lease: %+v, %v; want %+v", got, err, want)
			}

			// carol's order expires while the lease runs: her unit is held
			// until the expiry is recorded, so the lease is renewed meanwhile.
			leaser2 := srv.Store(t)
			pollLease(t, leaser2, a.ID, "bob")
			deadline := time.Now().Add(10 * time.Second)
			for redisNow(t, rdb).Before(*carol.ExpiresAt) {
				if _, ok := leaser2.LeaseAnswer(a.ID, "bob"); !ok && time.Now().After(deadline) {
					t.Fatal("the lease was not renewed")
				}
				time.Sleep(5 * time.Millisecond)
			}
			pollLease(t, leaser2, a.ID, "bob")
			got, err = leaser2.Purchase(ctx, a.ID, "carol", sale.Rate{})
			if res, ok := leaser2.LeaseAnswer(a.ID, "bob"); !ok || res.Outcome != sale.OutcomeSoldOut {
				t.Fatalf("after carol's attempt: no lease (%+v, %v): the test needs one", res, ok)
			}
			want = sale.PurchaseResult{Outcome: sale.OutcomeOrderClosed, OrderID: carol.ID, Status: sale.OrderExpired}
			if err != nil || got != want {
				t.Fatalf("carol under the lease: %+v, %v; want %+v", got, err, want)
			}
		})
	}
}

// closedRaceUser is what one user of TestOrderClosedRace saw and did.
type closedRaceUser struct {
	mu       sync.Mutex
	attempts []attempt
	won      *attempt
	paid     bool
	// cancelStart and cancelEnd bound an acknowledged cancellation.
	cancelStart, cancelEnd time.Time
	cancelled              bool
}

func (u *closedRaceUser) add(at attempt) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.attempts = append(u.attempts, at)
	if at.res.Outcome == sale.OutcomeWon && u.won == nil {
		u.won = &at
	}
}

// TestOrderClosedRace races cancellations and expiries against repeated
// purchases by the same users on two stores (two processes' worth of
// sold-out leases) sharing one Redis, while the expiry job runs. Winners take
// turns: one pays at once, the next cancels at a random moment, the next lets
// the order expire (a payment window of 1 s). Every answer must be exact: after a win, already_won
// with that order until the order is closed; once its cancellation was
// acknowledged or its window has closed (by Redis time), order_closed with
// the order and its status; never already_won after the close, never
// order_closed before it, never a second win. At the end every counter is
// exact and every unit is held by a paid order or for sale.
func TestOrderClosedRace(t *testing.T) {
	for _, shards := range []int{1, 3} {
		t.Run(fmt.Sprintf("shards=%d", shards), func(t *testing.T) { orderClosedRace(t, shards) })
	}
}

func orderClosedRace(t *testing.T, shards int) {
	const stock, users, race = 12, 80, 2500 * time.Millisecond
	srv := start(t)
	stores := []*redislib.Store{srv.Store(t), srv.Store(t)}
	admin := srv.Store(t, redislib.SoldOutBuyers(0))
	a := redistest.MustActivity(t, admin, stock, redistest.PaymentWindow(1), redistest.Buckets(shards))

	logs := make([]*closedRaceUser, users)
	try := func(u *closedRaceUser, name string, s *redislib.Store) {
		start := time.Now()
		res, err := s.Purchase(ctx, a.ID, name, sale.Rate{})
		if err != nil {
			t.Errorf("purchase by %s: %v", name, err)
			return
		}
		u.add(attempt{name, start, time.Now(), res})
	}
	stop := time.Now().Add(race)
	var fates atomic.Int64 // winners take turns: pay, cancel, let expire
	var wg sync.WaitGroup
	for i := range users {
		u := &closedRaceUser{}
		logs[i] = u
		name := fmt.Sprintf("user%03d", i)
		wg.Add(1)
		go func() {
			defer wg.Done()
			decided := false
			for time.Now().Before(stop) {
				try(u, name, stores[rand.IntN(2)])
				u.mu.Lock()
				won := u.won
				u.mu.Unlock()
				if won != nil && !decided {
					decided = true
					switch fates.Add(1) % 3 {
					case 0:
						_, err := payOrder(admin, won.res.OrderID)
						switch sale.ErrorCode(err) {
						case "":
							u.mu.Lock()
							u.paid = true
							u.mu.Unlock()
						case sale.CodeOrderClosed: // too late: it expired
						default:
							t.Errorf("pay %s: %v", won.res.OrderID, err)
						}
					case 1:
						// Cancelled at a random moment, while the user keeps
						// trying on both stores.
						wg.Add(1)
						go func() {
							defer wg.Done()
							time.Sleep(time.Duration(rand.IntN(800)) * time.Millisecond)
							start := time.Now()
							_, err := admin.CancelOrder(ctx, won.res.OrderID, name, false)
							end := time.Now()
							switch sale.ErrorCode(err) {
							case "":
								u.mu.Lock()
								u.cancelled, u.cancelStart, u.cancelEnd = true, start, end
								u.mu.Unlock()
							case sale.CodeOrderExpired: // too late: it expired
							default:
								t.Errorf("cancel %s: %v", won.res.OrderID, err)
							}
						}()
					}
				}
				time.Sleep(time.Duration(10+rand.IntN(40)) * time.Millisecond)
			}
		}()
	}
	jobDone := make(chan struct{})
	go func() {
		defer close(jobDone)
		for time.Now().Before(stop) {
			if _, err := admin.ExpireOrders(ctx, redislib.JobOptions{}); err != nil {
				t.Errorf("expire job: %v", err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}()
	wg.Wait()
	<-jobDone

	// Every window closes, then every winner asks once more on each store.
	orders := map[string]sale.Order{}
	var last time.Time
	for i, u := range logs {
		if u.won == nil {
			continue
		}
		o, err := admin.Order(ctx, u.won.res.OrderID)
		if err != nil {
			t.Fatalf("order of user%03d: %v", i, err)
		}
		orders[o.ID] = o
		if o.ExpiresAt != nil && o.ExpiresAt.After(last) {
			last = *o.ExpiresAt
		}
	}
	waitRedisTime(t, srv.Client(t), last)
	for i, u := range logs {
		if u.won != nil {
			for _, s := range stores {
				try(u, fmt.Sprintf("user%03d", i), s)
			}
		}
	}
	for {
		r, err := admin.ExpireOrders(ctx, redislib.JobOptions{})
		if err != nil {
			t.Fatalf("expire job: %v", err)
		}
		if r.Complete && r.Expired == 0 {
			break
		}
	}

	var wins, pays, cancels, closedAnswers, heldAnswers int64
	for i, u := range logs {
		name := fmt.Sprintf("user%03d", i)
		if u.won == nil {
			for _, at := range u.attempts {
				if at.res.Outcome != sale.OutcomeSoldOut {
					t.Errorf("%s never won, was told %+v", name, at.res)
				}
			}
			continue
		}
		wins++
		w := *u.won
		o := orders[w.res.OrderID]
		// closeFrom is the earliest moment the order may have closed,
		// closeAt the moment it was closed for certain; status its final
		// status.
		closeFrom, closeAt, status := time.Time{}, time.Time{}, ""
		switch {
		case u.paid:
			pays++
			status = sale.OrderPaid
		case u.cancelled:
			cancels++
			closeFrom, closeAt, status = u.cancelStart, u.cancelEnd, sale.OrderCancelled
		default:
			closeFrom, closeAt, status = *o.ExpiresAt, *o.ExpiresAt, sale.OrderExpired
		}
		if got, found, err := admin.UserOrder(ctx, a.ID, name); err != nil || !found || got.ID != o.ID || got.Status != status {
			t.Errorf("UserOrder(%s) = %+v, %v, %v; want %s %s", name, got, found, err, o.ID, status)
		}
		closed := status != sale.OrderPaid
		for _, at := range u.attempts {
			res := at.res
			switch res.Outcome {
			case sale.OutcomeWon:
				if res.OrderID != w.res.OrderID {
					t.Errorf("%s won twice: %s and %s", name, w.res.OrderID, res.OrderID)
				}
				continue
			case sale.OutcomeAlreadyWon:
				heldAnswers++
				if res.OrderID != o.ID || at.end.Before(w.start) || (closed && at.start.After(closeAt)) {
					t.Errorf("%s told %+v at %s; won %s at %s, closed (%s) at %s", name, res, at.start.Format(time.StampMicro),
						o.ID, w.end.Format(time.StampMicro), status, closeAt.Format(time.StampMicro))
				}
			case sale.OutcomeOrderClosed:
				closedAnswers++
				if !closed || res.OrderID != o.ID || res.Status != status || at.end.Before(closeFrom) {
					t.Errorf("%s told %+v at %s-%s; order %s %s, closed from %s", name, res, at.start.Format(time.StampMicro),
						at.end.Format(time.StampMicro), o.ID, status, closeFrom.Format(time.StampMicro))
				}
			case sale.OutcomeSoldOut:
				if !at.end.Before(w.start) {
					t.Errorf("%s told sold_out at %s after winning %s at %s", name, at.start.Format(time.StampMicro),
						o.ID, w.end.Format(time.StampMicro))
				}
			default:
				t.Errorf("%s told %+v", name, res)
			}
		}
	}
	st := mustConsistent(t, admin, a.ID)
	if st.Buyers != wins || st.Paid != pays || st.Cancelled != cancels || st.Expired != wins-pays-cancels ||
		st.Pending != 0 || st.Remaining != st.Stock-pays || st.Stock != stock {
		t.Errorf("stats %+v; want %d buyers, %d paid, %d cancelled, %d expired, none pending, %d remaining",
			st, wins, pays, cancels, wins-pays-cancels, stock-pays)
	}
	if cancels == 0 || wins-pays-cancels == 0 || closedAnswers == 0 || heldAnswers == 0 || wins <= stock {
		t.Errorf("the race did not exercise every path: %d wins, %d paid, %d cancelled, %d order_closed and %d already_won answers",
			wins, pays, cancels, closedAnswers, heldAnswers)
	}
	t.Logf("%d wins: %d paid, %d cancelled, %d expired; %d order_closed and %d already_won answers; %d answered from memory",
		wins, pays, cancels, wins-pays-cancels, closedAnswers, heldAnswers,
		stores[0].SoldOutStats().Answers+stores[1].SoldOutStats().Answers)
}
