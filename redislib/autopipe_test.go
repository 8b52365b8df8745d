package redislib_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"seckill/redislib/internal/key"
	"seckill/redislib/redistest"
	"seckill/redislib/sale"
)

// TestPurchasePipelinedAcrossActivities races attempts on several activities
// through one store, so pipelines mix them, and checks every answer reached
// the caller it belongs to: exact winners per activity, each order ID naming
// the activity it was bought in, and the buyers hash agreeing with every answer.
func TestPurchasePipelinedAcrossActivities(t *testing.T) {
	const activities, stock, users, workers = 6, 7, 300, 64
	ctx := context.Background()
	store := start(t).Store(t)
	ids := make([]string, activities)
	for i := range ids {
		ids[i] = redistest.MustActivity(t, store, stock).ID
	}
	type job struct{ activity, user string }
	type answer struct {
		job
		res sale.PurchaseResult
	}
	jobs := make(chan job)
	answers := make(chan answer, 2*activities*users)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				res, err := store.Purchase(ctx, j.activity, j.user, sale.Rate{})
				if err != nil {
					t.Errorf("purchase %+v: %v", j, err)
					continue
				}
				answers <- answer{j, res}
			}
		}()
	}
	for i := 0; i < 2*users; i++ {
		for _, id := range ids {
			jobs <- job{id, fmt.Sprintf("u%d", i/2)}
		}
	}
	close(jobs)
	wg.Wait()
	close(answers)

	wins := map[string]int{}
	held := map[job]string{}
	for a := range answers {
		switch a.res.Outcome {
		case sale.OutcomeWon, sale.OutcomeAlreadyWon:
			if a.res.Outcome == sale.OutcomeWon {
				wins[a.activity]++
			}
			if got, ok := sale.ActivityOfOrder(a.res.OrderID); !ok || got != a.activity {
				t.Errorf("%s in %s got order %s of activity %q", a.user, a.activity, a.res.OrderID, got)
			}
			if prev, ok := held[a.job]; ok && prev != a.res.OrderID {
				t.Errorf("%s in %s got orders %s and %s", a.user, a.activity, prev, a.res.OrderID)
			}
			held[a.job] = a.res.OrderID
		case sale.OutcomeSoldOut:
		default:
			t.Errorf("%+v: unexpected outcome", a)
		}
	}
	for _, id := range ids {
		if wins[id] != stock {
			t.Errorf("activity %s: %d won answers, want %d", id, wins[id], stock)
		}
		buyers := store.Client().HGetAll(ctx, key.Buyers(id)).Val()
		if len(buyers) != stock {
			t.Errorf("activity %s: %d buyers, want %d", id, len(buyers), stock)
		}
		for user, order := range buyers {
			if held[job{id, user}] != order {
				t.Errorf("activity %s: buyers[%s] = %s, answered %q", id, user, order, held[job{id, user}])
			}
		}
	}
}

// TestPurchaseAfterScriptCacheFlush checks the pipelined EVALSHA falls back to
// EVAL when Redis lost its script cache (as after a restart).
func TestPurchaseAfterScriptCacheFlush(t *testing.T) {
	ctx := context.Background()
	b := start(t)
	store := b.Store(t)
	a := redistest.MustActivity(t, store, 2)
	mustPurchaseOutcome(t, store, a.ID, "first", sale.OutcomeWon)
	if err := b.AdminClient(t).ScriptFlush(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	mustPurchaseOutcome(t, store, a.ID, "second", sale.OutcomeWon)
	mustPurchaseOutcome(t, store, a.ID, "third", sale.OutcomeSoldOut)
}

// TestPurchaseGivesUpWithItsContext checks an attempt whose context has ended
// answers store_unavailable and, when it never reached Redis, writes nothing.
func TestPurchaseGivesUpWithItsContext(t *testing.T) {
	store := start(t).Store(t)
	a := redistest.MustActivity(t, store, 1)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := store.Purchase(ctx, a.ID, "alice", sale.Rate{}); sale.ErrorCode(err) != sale.CodeStoreUnavailable {
		t.Fatalf("purchase with an ended context: err = %v, want %s", err, sale.CodeStoreUnavailable)
	}
	if n := store.Client().HLen(context.Background(), key.Buyers(a.ID)).Val(); n != 0 {
		t.Fatalf("buyers = %d, want 0", n)
	}
}

// TestPurchaseRedisDown checks attempts fail with store_unavailable, within
// their deadline, when Redis is gone, and succeed again once it is back.
func TestPurchaseRedisDown(t *testing.T) {
	singleOnly(t, "kills its redis-server")
	srv := redistest.Start(t)
	store := srv.Store(t)
	a := redistest.MustActivity(t, store, 5)
	srv.Kill()
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
			defer cancel()
			start := time.Now()
			_, err := store.Purchase(ctx, a.ID, fmt.Sprintf("u%d", i), sale.Rate{})
			if sale.ErrorCode(err) != sale.CodeStoreUnavailable {
				t.Errorf("purchase with Redis down: err = %v, want %s", err, sale.CodeStoreUnavailable)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("purchase with Redis down took %s", d)
			}
		}()
	}
	wg.Wait()
	srv.Restart()
	mustPurchaseOutcome(t, store, a.ID, "after-restart", sale.OutcomeWon)
}
