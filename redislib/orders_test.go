package redislib_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"seckill/redislib"
	"seckill/redislib/internal/key"
	"seckill/redislib/sale"
)

func TestOrderLifecycle(t *testing.T) {
	s, be := mustStore(t)
	rdb := be.AdminClient(t) // reads and seeds keys with commands the functions never run
	a := mustActivity(t, s, 5, 900)
	o := mustWin(t, s, a.ID, "alice")

	if o.Status != sale.OrderPending || o.UserID != "alice" || o.ActivityID != a.ID || o.ProductID != a.ProductID || o.Price != 999 {
		t.Fatalf("new order: %+v", o)
	}
	if o.ExpiresAt == nil || o.ExpiresAt.Sub(o.CreatedAt) != 900*time.Second || o.PaidAt != nil || o.ClosedAt != nil {
		t.Fatalf("new order times: %+v", o)
	}
	if st := mustConsistent(t, s, a.ID); st.Pending != 1 || st.Remaining != 4 || st.Buyers != 1 {
		t.Fatalf("after win: %+v", st)
	}

	_, err := s.CancelOrder(ctx, o.ID, "mallory", false)
	mustCode(t, err, sale.CodeForbidden)

	paid, err := payOrder(s, o.ID)
	if err != nil {
		t.Fatalf("pay: %v", err)
	}
	if paid.Status != sale.OrderPaid || paid.PaidAt == nil || paid.ClosedAt != nil || paid.ID != o.ID || paid.PaymentRef != "pay-"+o.ID {
		t.Fatalf("paid order: %+v", paid)
	}
	if got, _ := s.Order(ctx, o.ID); got.Status != sale.OrderPaid || !got.PaidAt.Equal(*paid.PaidAt) {
		t.Fatalf("read after pay: %+v", got)
	}
	if again, err := payOrder(s, o.ID); err != nil || again.Status != sale.OrderPaid || !again.PaidAt.Equal(*paid.PaidAt) {
		t.Fatalf("the same payment again: %+v, %v", again, err)
	}
	_, err = s.CancelOrder(ctx, o.ID, "alice", false)
	mustCode(t, err, sale.CodeAlreadyPaid)
	_, err = s.CancelOrder(ctx, o.ID, "", true)
	mustCode(t, err, sale.CodeAlreadyPaid)

	st := mustConsistent(t, s, a.ID)
	if st.Paid != 1 || st.Pending != 0 || st.Remaining != 4 || st.Stock != 5 || st.InitialStock != 5 {
		t.Fatalf("after pay: %+v", st)
	}
	if n, _ := rdb.ZCard(ctx, key.Pending(a.ID)).Result(); n != 0 {
		t.Fatalf("pending ZSET holds %d after pay", n)
	}
	ev := events(t, rdb, a.ID)
	if len(ev) != 2 || ev[0]["type"] != "won" || ev[1]["type"] != "paid" || ev[1]["status"] != "paid" ||
		ev[1]["order_id"] != o.ID || ev[1]["user_id"] != "alice" || ev[1]["activity_id"] != a.ID || ev[1]["price"] != "999" ||
		ev[1]["at"] != fmt.Sprint(paid.PaidAt.UnixMilli()) || ev[1]["payment_ref"] != "pay-"+o.ID {
		t.Fatalf("events: %v", ev)
	}
	page, err := s.UserOrders(ctx, "alice", mustPageQuery(t, "", 20))
	if err != nil || len(page.Items) != 1 || page.Items[0].ID != o.ID || page.Items[0].Status != sale.OrderPaid || page.NextCursor != nil {
		t.Fatalf("alice's history: %+v, %v", page, err)
	}
}

func TestCancelReturnsUnitOnce(t *testing.T) {
	s, be := mustStore(t)
	a := mustActivity(t, s, 1, 900)
	o := mustWin(t, s, a.ID, "alice")
	if r, _ := s.Purchase(ctx, a.ID, "bob", sale.Rate{}); r.Outcome != sale.OutcomeSoldOut {
		t.Fatalf("bob before the cancel: %+v", r)
	}
	c, err := s.CancelOrder(ctx, o.ID, "alice", false)
	if err != nil || c.Status != sale.OrderCancelled || c.ClosedAt == nil || c.PaidAt != nil {
		t.Fatalf("cancel: %+v, %v", c, err)
	}
	for _, admin := range []bool{false, true} {
		_, err = s.CancelOrder(ctx, o.ID, "alice", admin)
		mustCode(t, err, sale.CodeOrderCancelled)
	}
	_, err = payOrder(s, o.ID)
	mustCode(t, err, sale.CodeOrderClosed)
	if st := mustConsistent(t, s, a.ID); st.Remaining != 1 || st.Cancelled != 1 || st.Pending != 0 {
		t.Fatalf("after cancel: %+v", st)
	}
	if types := eventTypesByOrder(t, be.AdminClient(t), a.ID)[o.ID]; !slices.Equal(types, []string{"won", "cancelled", "payment_refused"}) {
		t.Fatalf("events of the order: %v", types)
	}
}

// A user who won and cancelled can never win again in that activity: the
// buyers HASH keeps their entry, their attempts answer order_closed with the
// order and its status, and the unit is free for someone else.
func TestCancelledWinnerCannotWinAgain(t *testing.T) {
	s, _ := mustStore(t)
	a := mustActivity(t, s, 1, 900)
	o := mustWin(t, s, a.ID, "alice")
	if _, err := s.CancelOrder(ctx, o.ID, "", true); err != nil {
		t.Fatalf("admin cancel: %v", err)
	}
	for range 3 {
		r, err := s.Purchase(ctx, a.ID, "alice", sale.Rate{})
		want := sale.PurchaseResult{Outcome: sale.OutcomeOrderClosed, OrderID: o.ID, Status: sale.OrderCancelled}
		if err != nil || r != want {
			t.Fatalf("alice again: %+v, %v; want %+v", r, err, want)
		}
	}
	if held, _ := s.OrderOf(ctx, a.ID, "alice"); held != o.ID {
		t.Fatalf("alice's order: %q", held)
	}
	b := mustWin(t, s, a.ID, "bob")
	if st := mustConsistent(t, s, a.ID); st.Remaining != 0 || st.Pending != 1 || st.Cancelled != 1 || st.Buyers != 2 {
		t.Fatalf("after bob: %+v (bob %s)", st, b.ID)
	}
}

func TestPaymentWindowZeroIsPaidAtOnce(t *testing.T) {
	s, _ := mustStore(t)
	a := mustActivity(t, s, 3, 0)
	o := mustWin(t, s, a.ID, "alice")
	if o.Status != sale.OrderPaid || o.ExpiresAt != nil || o.PaidAt == nil || !o.PaidAt.Equal(o.CreatedAt) {
		t.Fatalf("order: %+v", o)
	}
	_, err := payOrder(s, o.ID)
	mustCode(t, err, sale.CodeAlreadyPaid)
	_, err = s.CancelOrder(ctx, o.ID, "alice", false)
	mustCode(t, err, sale.CodeAlreadyPaid)
	if r, err := s.ExpireOrders(ctx, redislib.JobOptions{}); err != nil || r.Expired != 0 || !r.Complete {
		t.Fatalf("expire: %+v, %v", r, err)
	}
	if st := mustConsistent(t, s, a.ID); st.Paid != 1 || st.Pending != 0 || st.Remaining != 2 {
		t.Fatalf("stats: %+v", st)
	}
}

func TestOrderNotFound(t *testing.T) {
	s, _ := mustStore(t)
	a := mustActivity(t, s, 1, 900)
	for _, id := range []string{a.ID + "-0123456789abcdef", "nope-0123456789abcdef", "malformed", a.ID} {
		_, err := s.Order(ctx, id)
		mustCode(t, err, sale.CodeOrderNotFound)
		_, err = payOrder(s, id)
		mustCode(t, err, sale.CodeOrderNotFound)
		_, err = s.CancelOrder(ctx, id, "", true)
		mustCode(t, err, sale.CodeOrderNotFound)
	}
	_, err := s.ActivityStats(ctx, "nope")
	mustCode(t, err, sale.CodeActivityNotFound)
	_, err = s.ActivityOrders(ctx, "nope", "", mustPageQuery(t, "", 20))
	mustCode(t, err, sale.CodeActivityNotFound)
	if st := mustConsistent(t, s, a.ID); st.Remaining != 1 || st.Buyers != 0 {
		t.Fatalf("something was written: %+v", st)
	}
}

// TestOrderUnknownStatus checks an order holding a status this product never
// writes is an internal error (no store code, so never a 4xx) for payment
// and cancellation, and is left as it is.
func TestOrderUnknownStatus(t *testing.T) {
	s, _ := mustStore(t)
	a := mustActivity(t, s, 2, 900)
	o := mustWin(t, s, a.ID, "alice")
	key := key.Order(a.ID, o.ID)
	if err := s.Client().HSet(ctx, key, "status", "shipped").Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := payOrder(s, o.ID); err == nil || sale.ErrorCode(err) != "" {
		t.Fatalf("pay an order with an unknown status: err = %v, want an internal error", err)
	}
	if _, err := s.CancelOrder(ctx, o.ID, "alice", false); err == nil || sale.ErrorCode(err) != "" {
		t.Fatalf("cancel an order with an unknown status: err = %v, want an internal error", err)
	}
	if got := s.Client().HGet(ctx, key, "status").Val(); got != "shipped" {
		t.Fatalf("status = %q, want it left as it was", got)
	}
}

// A payment after the window has closed is refused and expires the order in
// the same script, before any job runs; so is a cancellation.
func TestLazyExpiry(t *testing.T) {
	s, be := mustStore(t)
	rdb := be.AdminClient(t) // reads and seeds keys with commands the functions never run
	a := mustActivity(t, s, 5, 1)
	late := mustWin(t, s, a.ID, "late-payer")
	quitter := mustWin(t, s, a.ID, "late-canceller")
	reader := mustWin(t, s, a.ID, "reader")
	waitRedisTime(t, rdb, *reader.ExpiresAt)

	// Reads already say expired; the unit is still held until it is recorded.
	got, err := s.Order(ctx, reader.ID)
	if err != nil || got.Status != sale.OrderExpired || got.ClosedAt != nil {
		t.Fatalf("overdue order reads: %+v, %v", got, err)
	}
	if st := mustConsistent(t, s, a.ID); st.Overdue != 3 || st.Pending != 3 || st.Remaining != 2 {
		t.Fatalf("before lazy expiry: %+v", st)
	}

	_, err = payOrder(s, late.ID)
	mustCode(t, err, sale.CodeOrderClosed)
	_, err = s.CancelOrder(ctx, quitter.ID, "late-canceller", false)
	mustCode(t, err, sale.CodeOrderExpired)
	for i := range 3 { // repeated attempts change nothing more
		_, err = payOrder(s, late.ID)
		mustCode(t, err, sale.CodeOrderClosed)
		_, err = s.CancelOrder(ctx, quitter.ID, "", true)
		mustCode(t, err, sale.CodeOrderExpired)
		if st := mustConsistent(t, s, a.ID); st.Expired != 2 || st.Pending != 1 || st.Overdue != 1 || st.Remaining != 4 || st.Cancelled != 0 {
			t.Fatalf("attempt %d: %+v", i, st)
		}
	}
	wantEvents := map[string][]string{late.ID: {"won", "expired", "payment_refused"}, quitter.ID: {"won", "expired"}}
	for id, want := range wantEvents {
		o, _ := s.Order(ctx, id)
		if o.Status != sale.OrderExpired || o.ClosedAt == nil || o.ClosedAt.Before(*o.ExpiresAt) {
			t.Fatalf("expired order: %+v", o)
		}
		if types := eventTypesByOrder(t, rdb, a.ID)[id]; !slices.Equal(types, want) {
			t.Fatalf("events of %s: %v", id, types)
		}
	}
	// The job records the last one.
	if r, err := s.ExpireOrders(ctx, redislib.JobOptions{}); err != nil || r.Expired != 1 || !r.Complete {
		t.Fatalf("expire job: %+v, %v", r, err)
	}
	if st := mustConsistent(t, s, a.ID); st.Expired != 3 || st.Pending != 0 || st.Remaining != 5 || st.Overdue != 0 {
		t.Fatalf("after the job: %+v", st)
	}
}

func TestExpireJob(t *testing.T) {
	s, be := mustStore(t)
	rdb := be.AdminClient(t) // reads and seeds keys with commands the functions never run
	short1 := mustActivity(t, s, 40, 1)
	short2 := mustActivity(t, s, 40, 1)
	long := mustActivity(t, s, 10, 900)
	instant := mustActivity(t, s, 10, 0)
	var last sale.Order
	for i := range 23 {
		mustWin(t, s, short1.ID, fmt.Sprintf("u%d", i))
		last = mustWin(t, s, short2.ID, fmt.Sprintf("u%d", i)) // the last to expire
	}
	paid := mustWin(t, s, short1.ID, "payer")
	if _, err := payOrder(s, paid.ID); err != nil {
		t.Fatalf("pay: %v", err)
	}
	mustWin(t, s, long.ID, "patient")
	mustWin(t, s, instant.ID, "instant")
	waitRedisTime(t, rdb, *last.ExpiresAt)

	r, err := s.ExpireOrders(ctx, redislib.JobOptions{Batch: 5})
	if err != nil || r.Expired != 46 || !r.Complete {
		t.Fatalf("expire: %+v, %v", r, err)
	}
	if r, err := s.ExpireOrders(ctx, redislib.JobOptions{Batch: 5}); err != nil || r.Expired != 0 {
		t.Fatalf("second run: %+v, %v", r, err)
	}
	if st := mustConsistent(t, s, short1.ID); st.Expired != 23 || st.Paid != 1 || st.Pending != 0 || st.Remaining != 39 {
		t.Fatalf("short1: %+v", st)
	}
	if st := mustConsistent(t, s, short2.ID); st.Expired != 23 || st.Remaining != 40 {
		t.Fatalf("short2: %+v", st)
	}
	if st := mustConsistent(t, s, long.ID); st.Pending != 1 || st.Expired != 0 {
		t.Fatalf("long: %+v", st)
	}
	if st := mustConsistent(t, s, instant.ID); st.Paid != 1 || st.Expired != 0 {
		t.Fatalf("instant: %+v", st)
	}
	for id, types := range eventTypesByOrder(t, rdb, short2.ID) {
		if !slices.Equal(types, []string{"won", "expired"}) {
			t.Fatalf("events of %s: %v", id, types)
		}
	}
}

func TestExpireJobStopsAtUntil(t *testing.T) {
	s, _ := mustStore(t)
	a := mustActivity(t, s, 5, 1)
	o := mustWin(t, s, a.ID, "alice")
	waitRedisTime(t, s.Client(), *o.ExpiresAt)
	r, err := s.ExpireOrders(ctx, redislib.JobOptions{Until: time.Now().Add(-time.Second)})
	if err != nil || r.Expired != 0 || r.Complete {
		t.Fatalf("expire past its deadline: %+v, %v", r, err)
	}
	if r, err := s.ExpireOrders(ctx, redislib.JobOptions{Until: time.Now().Add(time.Minute)}); err != nil || r.Expired != 1 || !r.Complete {
		t.Fatalf("expire: %+v, %v", r, err)
	}
}

// An order ID left in the pending ZSET for an order that is no longer pending
// is dropped by the job without touching stock or counters.
func TestExpireJobDropsStalePendingEntries(t *testing.T) {
	s, be := mustStore(t)
	rdb := be.AdminClient(t) // reads and seeds keys with commands the functions never run
	a := mustActivity(t, s, 5, 1)
	o := mustWin(t, s, a.ID, "alice")
	if _, err := payOrder(s, o.ID); err != nil {
		t.Fatalf("pay: %v", err)
	}
	rdb.ZAdd(ctx, key.Pending(a.ID), redisZ(o.ExpiresAt.UnixMilli(), o.ID))
	waitRedisTime(t, rdb, *o.ExpiresAt)
	if r, err := s.ExpireOrders(ctx, redislib.JobOptions{}); err != nil || r.Expired != 0 {
		t.Fatalf("expire: %+v, %v", r, err)
	}
	if n, _ := rdb.ZCard(ctx, key.Pending(a.ID)).Result(); n != 0 {
		t.Fatalf("stale entry kept: %d", n)
	}
	if st := mustConsistent(t, s, a.ID); st.Paid != 1 || st.Remaining != 4 {
		t.Fatalf("stats: %+v", st)
	}
}
