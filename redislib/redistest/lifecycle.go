package redistest

import (
	"context"
	"testing"
	"time"

	"seckill/redislib"
	"seckill/redislib/sale"
)

// MustScheduled creates an activity that starts in an hour and ends in two.
func MustScheduled(t testing.TB, store *redislib.Store, stock int64) sale.Activity {
	t.Helper()
	return MustActivity(t, store, stock, Window(time.Hour, 2*time.Hour))
}

// MustEnded creates a running activity that ends within a moment and waits
// (polling Redis time through the store) until its status is ended.
func MustEnded(t testing.TB, store *redislib.Store, stock int64) sale.Activity {
	t.Helper()
	a := MustActivity(t, store, stock, Window(-time.Minute, 150*time.Millisecond))
	return waitStatus(t, store, a.ID, sale.StatusEnded)
}

// MustCancelled creates a running activity and cancels it.
func MustCancelled(t testing.TB, store *redislib.Store, stock int64) sale.Activity {
	t.Helper()
	a := MustActivity(t, store, stock)
	c, err := store.CancelActivity(context.Background(), a.ID)
	if err != nil {
		t.Fatalf("cancel activity: %v", err)
	}
	return c
}

// MustSoldOut creates a running activity with one unit and sells it.
func MustSoldOut(t testing.TB, store *redislib.Store) sale.Activity {
	t.Helper()
	a := MustActivity(t, store, 1)
	res, err := store.Purchase(context.Background(), a.ID, "buyer-of-last-unit", sale.Rate{})
	if err != nil || res.Outcome != sale.OutcomeWon {
		t.Fatalf("purchase: %+v, %v", res, err)
	}
	return waitStatus(t, store, a.ID, sale.StatusSoldOut)
}

// waitStatus polls the activity until it has the given status (10 s at most).
func waitStatus(t testing.TB, store *redislib.Store, id, status string) sale.Activity {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		a, err := store.Activity(context.Background(), id)
		if err != nil {
			t.Fatalf("read activity %s: %v", id, err)
		}
		if a.Status == status {
			return a
		}
		if time.Now().After(deadline) {
			t.Fatalf("activity %s is %s, not %s, after 10s", id, a.Status, status)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
