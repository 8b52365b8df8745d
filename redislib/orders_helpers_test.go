package redislib_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"seckill/redislib"
	"seckill/redislib/internal/key"
	"seckill/redislib/sale"
)

var ctx = context.Background()

// mustStore returns a store on the Redis of this pass (see start).
func mustStore(t *testing.T) (*redislib.Store, backend) {
	t.Helper()
	srv := start(t)
	return srv.Store(t), srv
}

// mustActivity creates a product and a running activity with the given stock
// and payment window (seconds).
func mustActivity(t *testing.T, s *redislib.Store, stock, window int64) sale.Activity {
	t.Helper()
	p, err := s.CreateProduct(ctx, sale.NewProduct{Name: "p", Price: 500})
	if err != nil {
		t.Fatalf("create product: %v", err)
	}
	a, err := s.CreateActivity(ctx, sale.NewActivity{ProductID: p.ID, Stock: stock, Price: 999,
		StartsAt: time.Now().Add(-time.Minute), EndsAt: time.Now().Add(time.Hour), PaymentWindow: window})
	if err != nil {
		t.Fatalf("create activity: %v", err)
	}
	return a
}

// mustWin makes userID win in the activity and returns the order.
func mustWin(t *testing.T, s *redislib.Store, activityID, userID string) sale.Order {
	t.Helper()
	r, err := s.Purchase(ctx, activityID, userID, sale.Rate{})
	if err != nil || r.Outcome != sale.OutcomeWon {
		t.Fatalf("purchase by %s: %+v, %v", userID, r, err)
	}
	o, err := s.Order(ctx, r.OrderID)
	if err != nil {
		t.Fatalf("read order %s: %v", r.OrderID, err)
	}
	return o
}

// mustStats reads the activity's stats.
func mustStats(t *testing.T, s *redislib.Store, activityID string) sale.ActivityStats {
	t.Helper()
	st, err := s.ActivityStats(ctx, activityID)
	if err != nil {
		t.Fatalf("stats: %v", err)
	}
	return st
}

// mustConsistent checks the activity's invariants: the stock identity, one
// order per buyer, and that every buyer's order is counted in one status.
func mustConsistent(t *testing.T, s *redislib.Store, activityID string) sale.ActivityStats {
	t.Helper()
	st := mustStats(t, s, activityID)
	if !st.Consistent || st.Remaining+st.Pending+st.Paid != st.Stock {
		t.Fatalf("stock identity broken: %+v", st)
	}
	if st.Buyers != st.Pending+st.Paid+st.Cancelled+st.Expired {
		t.Fatalf("buyers %d != pending+paid+cancelled+expired in %+v", st.Buyers, st)
	}
	if st.Remaining < 0 {
		t.Fatalf("negative remaining: %+v", st)
	}
	return st
}

// mustCode checks that err carries the store error code want.
func mustCode(t *testing.T, err error, want string) {
	t.Helper()
	if got := sale.ErrorCode(err); got != want {
		t.Fatalf("error code %q (%v), want %q", got, err, want)
	}
}

// redisNow returns Redis TIME.
func redisNow(t *testing.T, rdb redis.UniversalClient) time.Time {
	t.Helper()
	now, err := rdb.Time(ctx).Result()
	if err != nil {
		t.Fatalf("TIME: %v", err)
	}
	return now
}

// waitRedisTime polls Redis TIME until it reaches at.
func waitRedisTime(t *testing.T, rdb redis.UniversalClient, at time.Time) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for redisNow(t, rdb).Before(at) {
		if time.Now().After(deadline) {
			t.Fatalf("Redis TIME did not reach %v", at)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// events returns the activity's events as maps, oldest first.
func events(t *testing.T, rdb redis.UniversalClient, activityID string) []map[string]any {
	t.Helper()
	msgs, err := rdb.XRange(ctx, key.Events(activityID, 0), "-", "+").Result()
	if err != nil {
		t.Fatalf("XRANGE: %v", err)
	}
	out := make([]map[string]any, len(msgs))
	for i, m := range msgs {
		out[i] = m.Values
	}
	return out
}

// eventTypesByOrder returns, per order ID, the event types in stream order.
func eventTypesByOrder(t *testing.T, rdb redis.UniversalClient, activityID string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, e := range events(t, rdb, activityID) {
		id := fmt.Sprint(e["order_id"])
		out[id] = append(out[id], fmt.Sprint(e["type"]))
	}
	return out
}

// payOrder confirms a payment of the order's price, as the payment service
// would, with a reference of its own.
func payOrder(s *redislib.Store, orderID string) (sale.Order, error) {
	return payOrderRef(s, orderID, "pay-"+orderID)
}

// payOrderRef confirms a payment of the order's price with the reference ref.
func payOrderRef(s *redislib.Store, orderID, ref string) (sale.Order, error) {
	var price int64
	if o, err := s.Order(ctx, orderID); err == nil {
		price = o.Price
	}
	return s.ConfirmPayment(ctx, sale.Payment{Ref: ref, OrderID: orderID, Amount: price, Currency: "USD", ShopCurrency: "USD"})
}
