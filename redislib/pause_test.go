package redislib_test

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"seckill/redislib"
	"seckill/redislib/redistest"
	"seckill/redislib/sale"
)

// A paused activity sells nothing and answers "paused"; a buyer still gets
// already_won and can pay; resuming sells again. It holds with one stock
// bucket and with several, on another Store than the one that paused.
func TestPauseActivity(t *testing.T) {
	for _, shards := range []int{1, 4} {
		t.Run(fmt.Sprintf("shards=%d", shards), func(t *testing.T) {
			srv := start(t)
			admin, other := srv.Store(t), srv.Store(t)
			a := redistest.MustActivity(t, admin, 10, redistest.Buckets(shards))
			alice := mustWin(t, other, a.ID, "alice")

			paused, err := admin.PauseActivity(ctx, a.ID, true)
			if err != nil {
				t.Fatalf("pause: %v", err)
			}
			if paused.Status != sale.StatusPaused || paused.PausedAt == nil {
				t.Fatalf("paused activity: status %q, paused_at %v", paused.Status, paused.PausedAt)
			}
			for i := range 20 {
				r, err := other.Purchase(ctx, a.ID, fmt.Sprintf("bob%d", i), sale.Rate{})
				if err != nil || r.Outcome != sale.OutcomePaused {
					t.Fatalf("purchase while paused: %+v, %v; want paused", r, err)
				}
			}
			if r, err := other.Purchase(ctx, a.ID, "alice", sale.Rate{}); err != nil || r.Outcome != sale.OutcomeAlreadyWon {
				t.Fatalf("alice while paused: %+v, %v; want already_won", r, err)
			}
			if o, err := payOrder(other, alice.ID); err != nil || o.Status != sale.OrderPaid {
				t.Fatalf("pay while paused: %+v, %v", o, err)
			}
			if again, err := admin.PauseActivity(ctx, a.ID, true); err != nil || !again.PausedAt.Equal(*paused.PausedAt) {
				t.Fatalf("pause again: %+v, %v; want the first pause kept", again, err)
			}
			resumed, err := admin.PauseActivity(ctx, a.ID, false)
			if err != nil || resumed.Status != sale.StatusRunning || resumed.PausedAt != nil {
				t.Fatalf("resume: %+v, %v", resumed, err)
			}
			if r, err := other.Purchase(ctx, a.ID, "carol", sale.Rate{}); err != nil || r.Outcome != sale.OutcomeWon {
				t.Fatalf("purchase after resume: %+v, %v; want won", r, err)
			}
			if st := mustConsistent(t, admin, a.ID); st.Pending+st.Paid != 2 {
				t.Fatalf("want 2 sold, got %+v", st)
			}
		})
	}
}

func TestPauseRefusals(t *testing.T) {
	s, _ := mustStore(t)
	_, err := s.PauseActivity(ctx, "0123456789abcdef", true)
	mustCode(t, err, sale.CodeActivityNotFound)
	a := mustActivity(t, s, 5, 900)
	if _, err := s.CancelActivity(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	_, err = s.PauseActivity(ctx, a.ID, true)
	mustCode(t, err, sale.CodeActivityCancelled)
}

// Pause is exact: while buyers race on two Stores, no purchase that starts
// after the pause was acknowledged wins, and every win happened before it.
func TestPauseRacesPurchases(t *testing.T) {
	srv := start(t)
	admin := srv.Store(t)
	buyers := []*redislib.Store{srv.Store(t), srv.Store(t)}
	a := redistest.MustActivity(t, admin, 100_000, redistest.Buckets(2))

	var pausedAt atomic.Int64 // UnixNano when PauseActivity returned; 0 before
	var wins, lateWins atomic.Int64
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				startedAfterPause := pausedAt.Load() != 0
				r, err := buyers[g%2].Purchase(ctx, a.ID, fmt.Sprintf("u%d-%d", g, i), sale.Rate{})
				if err != nil {
					t.Errorf("purchase: %v", err)
					return
				}
				if r.Outcome == sale.OutcomeWon {
					wins.Add(1)
					if startedAfterPause {
						lateWins.Add(1)
					}
				}
			}
		}()
	}
	for wins.Load() < 50 {
		time.Sleep(time.Millisecond)
	}
	if _, err := admin.PauseActivity(ctx, a.ID, true); err != nil {
		t.Fatalf("pause: %v", err)
	}
	pausedAt.Store(time.Now().UnixNano())
	before := wins.Load()
	time.Sleep(300 * time.Millisecond) // the racers keep trying while paused
	close(stop)
	wg.Wait()
	if n := lateWins.Load(); n != 0 {
		t.Fatalf("%d purchases started after the pause was acknowledged won", n)
	}
	st := mustConsistent(t, admin, a.ID)
	if st.Pending+st.Paid != wins.Load() {
		t.Fatalf("sold %d, but %d wins were answered", st.Pending+st.Paid, wins.Load())
	}
	t.Logf("%d wins before the pause (%d answered by the time it was acknowledged)", wins.Load(), before)
}

// A process answering a sold-out activity from its lease answers "paused"
// within the lease's life once the activity is paused.
func TestPauseReachesSoldOutLease(t *testing.T) {
	srv := start(t)
	admin, other := srv.Store(t), srv.Store(t)
	a := redistest.MustActivity(t, admin, 1)
	mustWin(t, other, a.ID, "alice")
	// Sold out: the other store takes a lease and answers from memory.
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, ok := other.LeaseAnswer(a.ID, "bob"); ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no sold-out lease within 5 s")
		}
		if r, err := other.Purchase(ctx, a.ID, "bob", sale.Rate{}); err != nil || r.Outcome != sale.OutcomeSoldOut {
			t.Fatalf("purchase: %+v, %v", r, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if _, err := admin.PauseActivity(ctx, a.ID, true); err != nil {
		t.Fatal(err)
	}
	acked := time.Now()
	for {
		r, err := other.Purchase(ctx, a.ID, "bob", sale.Rate{})
		if err != nil {
			t.Fatal(err)
		}
		if r.Outcome == sale.OutcomePaused {
			break
		}
		if r.Outcome != sale.OutcomeSoldOut {
			t.Fatalf("purchase while pausing: %+v", r)
		}
		if time.Since(acked) > redislib.SoldOutLease {
			t.Fatalf("still %q %s after the pause", r.Outcome, time.Since(acked))
		}
		time.Sleep(5 * time.Millisecond)
	}
	if r, err := other.Purchase(ctx, a.ID, "alice", sale.Rate{}); err != nil || r.Outcome != sale.OutcomeAlreadyWon {
		t.Fatalf("alice: %+v, %v", r, err)
	}
}
