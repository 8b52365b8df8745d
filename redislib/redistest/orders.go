package redistest

import (
	"context"
	"testing"
	"time"

	"seckill/redislib"
	"seckill/redislib/sale"
)

// MustWin makes userID win a unit of the activity through the store and
// returns the order.
func MustWin(t testing.TB, store *redislib.Store, activityID, userID string) sale.Order {
	t.Helper()
	r, err := store.Purchase(context.Background(), activityID, userID, sale.Rate{})
	if err != nil || r.Outcome != sale.OutcomeWon {
		t.Fatalf("purchase by %s: %+v, %v", userID, r, err)
	}
	o, err := store.Order(context.Background(), r.OrderID)
	if err != nil {
		t.Fatalf("read order %s: %v", r.OrderID, err)
	}
	return o
}

// WaitRedisTime polls Redis TIME until it reaches at, for tests that need a
// payment window to close.
func WaitRedisTime(t testing.TB, store *redislib.Store, at time.Time) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		now, err := store.Now(context.Background())
		if err != nil {
			t.Fatalf("TIME: %v", err)
		}
		if !now.Before(at) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("Redis TIME did not reach %v", at)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// MustStats reads an activity's stats through the store.
func MustStats(t testing.TB, store *redislib.Store, activityID string) sale.ActivityStats {
	t.Helper()
	st, err := store.ActivityStats(context.Background(), activityID)
	if err != nil {
		t.Fatalf("stats of %s: %v", activityID, err)
	}
	return st
}

// MustPay pays the order through the store as the payment service would: a
// confirmation of the order's price in USD (the tests' shop currency), with
// the reference "pay-<order ID>".
func MustPay(t testing.TB, store *redislib.Store, orderID string) sale.Order {
	t.Helper()
	o, err := store.Order(context.Background(), orderID)
	if err != nil {
		t.Fatalf("read order %s: %v", orderID, err)
	}
	paid, err := store.ConfirmPayment(context.Background(), sale.Payment{Ref: "pay-" + orderID, OrderID: orderID,
		Amount: o.Price, Currency: "USD", ShopCurrency: "USD"})
	if err != nil {
		t.Fatalf("pay order %s: %v", orderID, err)
	}
	return paid
}
