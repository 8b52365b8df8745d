package redislib_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"seckill/redislib"
	"seckill/redislib/internal/key"
	"seckill/redislib/redistest"
	"seckill/redislib/sale"
)

func TestPurchaseOutcomes(t *testing.T) {
	ctx := context.Background()
	store := start(t).Store(t)
	running := redistest.MustActivity(t, store, 1)
	scheduled := redistest.MustActivity(t, store, 1, redistest.Window(time.Hour, 2*time.Hour))
	ended := redistest.MustActivity(t, store, 1, redistest.Window(-time.Hour, 200*time.Millisecond))
	mustPollActivityStatus(t, store, ended.ID, sale.StatusEnded)

	first, err := store.Purchase(ctx, running.ID, "alice", sale.Rate{})
	if err != nil || first.Outcome != sale.OutcomeWon || first.OrderID == "" {
		t.Fatalf("first purchase = %+v, %v; want won with an order", first, err)
	}
	if got, ok := sale.ActivityOfOrder(first.OrderID); !ok || got != running.ID {
		t.Fatalf("order %s encodes activity %q, %v; want %s", first.OrderID, got, ok, running.ID)
	}
	tests := []struct {
		name       string
		activity   string
		user       string
		want       sale.Outcome
		wantOrder  string
		wantErrors string
	}{
		{name: "repeat by winner", activity: running.ID, user: "alice", want: sale.OutcomeAlreadyWon, wantOrder: first.OrderID},
		{name: "sold out", activity: running.ID, user: "bob", want: sale.OutcomeSoldOut},
		{name: "not started", activity: scheduled.ID, user: "bob", want: sale.OutcomeNotStarted},
		{name: "ended", activity: ended.ID, user: "bob", want: sale.OutcomeEnded},
		{name: "unknown activity", activity: "nope", user: "bob", wantErrors: sale.CodeActivityNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := store.Purchase(ctx, tt.activity, tt.user, sale.Rate{})
			if tt.wantErrors != "" {
				if sale.ErrorCode(err) != tt.wantErrors {
					t.Fatalf("err = %v, want code %s", err, tt.wantErrors)
				}
				return
			}
			if err != nil || got.Outcome != tt.want || got.OrderID != tt.wantOrder {
				t.Fatalf("got %+v, %v; want %s with order %q", got, err, tt.want, tt.wantOrder)
			}
		})
	}
	// Losing attempts write nothing: still exactly one order, one buyer.
	rdb := store.Client()
	if n := rdb.HLen(ctx, key.Buyers(running.ID)).Val(); n != 1 {
		t.Errorf("buyers = %d, want 1", n)
	}
	if n := rdb.ZCard(ctx, key.OrdersIndex(running.ID)).Val(); n != 1 {
		t.Errorf("orders = %d, want 1", n)
	}
	for _, a := range []string{scheduled.ID, ended.ID} {
		if n := rdb.HLen(ctx, key.Buyers(a)).Val(); n != 0 {
			t.Errorf("activity %s has %d buyers, want 0", a, n)
		}
	}
}

// TestPurchaseConcurrent races many goroutines, each user trying twice, and
// checks the exact result: winners == stock, no user twice, every winner's
// attempts agree on one order, and the order, buyer and history records match.
func TestPurchaseConcurrent(t *testing.T) {
	const stock, users, workers = 50, 5000, 64
	ctx := context.Background()
	store := start(t).Store(t)
	a := redistest.MustActivity(t, store, stock)

	type attempt struct {
		user string
		res  sale.PurchaseResult
	}
	jobs := make(chan string)
	results := make(chan attempt, 2*users)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for u := range jobs {
				res, err := store.Purchase(ctx, a.ID, u, sale.Rate{})
				if err != nil {
					t.Errorf("purchase %s: %v", u, err)
					continue
				}
				results <- attempt{u, res}
			}
		}()
	}
	for i := 0; i < 2*users; i++ {
		jobs <- fmt.Sprintf("user-%d", i%users)
	}
	close(jobs)
	wg.Wait()
	close(results)

	orders := map[string]string{} // user -> order
	wins := 0
	for r := range results {
		switch r.res.Outcome {
		case sale.OutcomeWon:
			wins++
			fallthrough
		case sale.OutcomeAlreadyWon:
			if prev, ok := orders[r.user]; ok && prev != r.res.OrderID {
				t.Errorf("user %s got two orders: %s and %s", r.user, prev, r.res.OrderID)
			}
			orders[r.user] = r.res.OrderID
		case sale.OutcomeSoldOut:
		default:
			t.Errorf("unexpected outcome %q", r.res.Outcome)
		}
	}
	if wins != stock || len(orders) != stock {
		t.Fatalf("won answers = %d, winning users = %d; want %d each", wins, len(orders), stock)
	}
	got, err := store.Activity(ctx, a.ID)
	if err != nil || got.Remaining != 0 || got.Sold != stock || got.Status != sale.StatusSoldOut {
		t.Fatalf("activity = %+v, %v; want remaining 0, sold %d, sold_out", got, err, stock)
	}
	rdb := store.Client()
	buyers := rdb.HGetAll(ctx, key.Buyers(a.ID)).Val()
	if len(buyers) != stock {
		t.Fatalf("buyers hash has %d entries, want %d", len(buyers), stock)
	}
	for user, order := range orders {
		if buyers[user] != order {
			t.Errorf("buyers[%s] = %s, answered %s", user, buyers[user], order)
		}
		o := rdb.HGetAll(ctx, key.Order(a.ID, order)).Val()
		if o["user_id"] != user || o["status"] != "pending" {
			t.Errorf("order %s = %v, want pending order of %s", order, o, user)
		}
		if rdb.ZScore(ctx, key.UserOrders(user), order).Err() != nil {
			t.Errorf("order %s missing from %s's history", order, user)
		}
	}
}

// TestPurchaseSurvivesRedisCrash SIGKILLs Redis after acknowledged wins and
// checks every one of them is still there after a restart from the same AOF.
func TestPurchaseSurvivesRedisCrash(t *testing.T) {
	singleOnly(t, "kills its redis-server")
	ctx := context.Background()
	srv := redistest.Start(t)
	store := srv.Store(t)
	a := redistest.MustActivity(t, store, 20)
	won := map[string]string{}
	for i := 0; i < 30; i++ {
		user := fmt.Sprintf("u%d", i)
		res, err := store.Purchase(ctx, a.ID, user, sale.Rate{})
		if err != nil {
			t.Fatal(err)
		}
		if res.Outcome == sale.OutcomeWon {
			won[user] = res.OrderID
		}
	}
	srv.Kill()
	srv.Restart()
	for user, order := range won {
		got, err := store.OrderOf(ctx, a.ID, user)
		if err != nil || got != order {
			t.Errorf("after restart, %s's order = %q, %v; want %s", user, got, err, order)
		}
	}
	after, err := store.Activity(ctx, a.ID)
	if err != nil || after.Remaining != 0 || after.Sold != 20 || len(won) != 20 {
		t.Fatalf("after restart: %+v, %v, %d winners; want 20 sold, 0 remaining", after, err, len(won))
	}
}

func TestKeysOfOneActivityShareASlot(t *testing.T) {
	const id = "abc123"
	keys := []string{key.Activity(id), key.Stock(id), key.Buyers(id),
		key.Order(id, sale.NewOrderID(id, 0)), key.OrdersIndex(id), key.Pending(id), key.Events(id, 0)}
	for _, k := range keys {
		if tag := hashTag(k); tag != "act:"+id {
			t.Errorf("key %s has hash tag %q, want act:%s", k, tag, id)
		}
	}
	catalog := []string{key.Product("p"), key.ProductsIndex(), key.ProductActivities("p"), key.ActivitiesIndex()}
	for _, k := range catalog {
		if tag := hashTag(k); tag != "catalog" {
			t.Errorf("key %s has hash tag %q, want catalog", k, tag)
		}
	}
}

// hashTag returns what Redis Cluster hashes: the text between the first {
// and the next }.
func hashTag(key string) string {
	for i := 0; i < len(key); i++ {
		if key[i] == '{' {
			for j := i + 1; j < len(key); j++ {
				if key[j] == '}' {
					return key[i+1 : j]
				}
			}
		}
	}
	return key
}

func mustPollActivityStatus(t *testing.T, store *redislib.Store, id, want string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		a, err := store.Activity(context.Background(), id)
		if err == nil && a.Status == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("activity %s status = %q, %v; want %s within 5s", id, a.Status, err, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestPurchaseLimitCountsEveryAnswerButAWin: the user's rate limit in an
// activity, taken by the purchase script, counts every answer but a win
// (a user wins once; the attempts after it answer already_won and count).
func TestPurchaseLimitCountsEveryAnswerButAWin(t *testing.T) {
	ctx := context.Background()
	store := start(t).Store(t)
	limit := sale.Rate{PerSecond: 0.001, Burst: 2} // only the burst passes within the test
	running := redistest.MustActivity(t, store, 5)
	scheduled := redistest.MustActivity(t, store, 5, redistest.Window(time.Hour, 2*time.Hour))
	tests := []struct {
		name     string
		activity string
		want     []sale.Outcome // "" for rate limited
	}{
		{name: "winner", activity: running.ID, want: []sale.Outcome{
			sale.OutcomeWon, sale.OutcomeAlreadyWon, sale.OutcomeAlreadyWon, "", ""}},
		{name: "not started", activity: scheduled.ID, want: []sale.Outcome{
			sale.OutcomeNotStarted, sale.OutcomeNotStarted, "", ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			user := "limited-" + strings.ReplaceAll(tt.name, " ", "-")
			for i, want := range tt.want {
				got, err := store.Purchase(ctx, tt.activity, user, limit)
				var limited *sale.RateLimitedError
				switch {
				case want == "" && !errors.As(err, &limited):
					t.Fatalf("attempt %d: %+v, %v; want rate limited", i+1, got, err)
				case want != "" && (err != nil || got.Outcome != want):
					t.Fatalf("attempt %d: %+v, %v; want %s", i+1, got, err, want)
				}
			}
		})
	}
	if a, err := store.Activity(ctx, running.ID); err != nil || a.Remaining != 4 {
		t.Fatalf("running activity %+v, %v; want one unit sold", a, err)
	}
}
