package redislib_test

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"

	"seckill/redislib"
	"seckill/redislib/redistest"
	"seckill/redislib/sale"
)

// The purchase paths, each through Store.Purchase on a private durable Redis
// (appendfsync always), one attempt at a time (Serial) and from many
// goroutines at once (Parallel, where concurrent attempts share round trips).
//
//	go test -run '^$' -bench Purchase -benchtime 20000x ./redislib/
//
// Won writes and so waits for an fsync of the AOF per trip; the others write
// nothing. SoldOut is answered from memory under a sold-out lease once the
// store has seen the activity sold out, as in production; SoldOutScript runs
// the script for every attempt, for comparison.

func BenchmarkPurchaseWon(b *testing.B) {
	benchPurchase(b, func(b *testing.B, store *redislib.Store) (string, func(i int64) string) {
		a := redistest.MustActivity(b, store, int64(b.N)+1)
		return a.ID, func(i int64) string { return "w" + strconv.FormatInt(i, 10) }
	}, sale.OutcomeWon)
}

func BenchmarkPurchaseSoldOut(b *testing.B) {
	benchPurchase(b, func(b *testing.B, store *redislib.Store) (string, func(i int64) string) {
		a := redistest.MustActivity(b, store, 1)
		mustPurchaseOutcome(b, store, a.ID, "winner", sale.OutcomeWon)
		return a.ID, func(i int64) string { return "l" + strconv.FormatInt(i, 10) }
	}, sale.OutcomeSoldOut)
}

func BenchmarkPurchaseSoldOutScript(b *testing.B) {
	benchPurchaseOn(b, scriptOnly, func(b *testing.B, store *redislib.Store) (string, func(i int64) string) {
		a := redistest.MustActivity(b, store, 1)
		mustPurchaseOutcome(b, store, a.ID, "winner", sale.OutcomeWon)
		return a.ID, func(i int64) string { return "l" + strconv.FormatInt(i, 10) }
	}, sale.OutcomeSoldOut)
}

func BenchmarkPurchaseAlreadyWon(b *testing.B) {
	benchPurchase(b, func(b *testing.B, store *redislib.Store) (string, func(i int64) string) {
		a := redistest.MustActivity(b, store, 1)
		mustPurchaseOutcome(b, store, a.ID, "winner", sale.OutcomeWon)
		return a.ID, func(int64) string { return "winner" }
	}, sale.OutcomeAlreadyWon)
}

// benchPurchase runs the attempts setup prepares (an activity and the user of
// attempt i) and fails unless every one of them has the outcome want.
func benchPurchase(b *testing.B, setup func(*testing.B, *redislib.Store) (string, func(int64) string), want sale.Outcome) {
	benchPurchaseOn(b, (*redistest.Server).Store, setup, want)
}

// scriptOnly returns a store without sold-out leases: it runs the purchase
// script for every attempt.
func scriptOnly(srv *redistest.Server, b testing.TB) *redislib.Store {
	return redislib.NewStore(srv.Client(b), redislib.SoldOutBuyers(0))
}

func benchPurchaseOn(b *testing.B, newStore func(*redistest.Server, testing.TB) *redislib.Store,
	setup func(*testing.B, *redislib.Store) (string, func(int64) string), want sale.Outcome) {
	srv := redistest.Start(b)
	b.Run("Serial", func(b *testing.B) {
		store := newStore(srv, b)
		id, user := setup(b, store)
		ctx := context.Background()
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			res, err := store.Purchase(ctx, id, user(int64(i)), sale.Rate{})
			if err != nil || res.Outcome != want {
				b.Fatalf("attempt %d: %+v, %v; want %s", i, res, err, want)
			}
		}
	})
	b.Run("Parallel", func(b *testing.B) {
		store := newStore(srv, b)
		id, user := setup(b, store)
		ctx := context.Background()
		var next atomic.Int64
		b.SetParallelism(32) // 32 x GOMAXPROCS goroutines, like many HTTP connections
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				i := next.Add(1)
				res, err := store.Purchase(ctx, id, user(i), sale.Rate{})
				if err != nil || res.Outcome != want {
					b.Errorf("attempt %d: %+v, %v; want %s", i, res, err, want)
					return
				}
			}
		})
	})
}

func mustPurchaseOutcome(t testing.TB, store *redislib.Store, activityID, user string, want sale.Outcome) sale.PurchaseResult {
	t.Helper()
	res, err := store.Purchase(context.Background(), activityID, user, sale.Rate{})
	if err != nil || res.Outcome != want {
		t.Fatalf("purchase by %s: %+v, %v; want %s", user, res, err, want)
	}
	return res
}
