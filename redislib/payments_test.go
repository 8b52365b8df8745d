package redislib_test

import (
	"fmt"
	"slices"
	"sync"
	"testing"

	"seckill/redislib"
	"seckill/redislib/sale"
)

// usd is a confirmation of amount cents in the shop's currency.
func usd(ref, orderID string, amount int64) sale.Payment {
	return sale.Payment{Ref: ref, OrderID: orderID, Amount: amount, Currency: "USD", ShopCurrency: "USD"}
}

func TestConfirmPayment(t *testing.T) {
	s, be := mustStore(t)
	rdb := be.AdminClient(t) // reads the event stream, which the functions never read
	a := mustActivity(t, s, 10, 900)
	alice := mustWin(t, s, a.ID, "alice")
	bob := mustWin(t, s, a.ID, "bob")
	carol := mustWin(t, s, a.ID, "carol")
	dave := mustWin(t, s, a.ID, "dave")
	if _, err := s.CancelOrder(ctx, dave.ID, "dave", false); err != nil {
		t.Fatal(err)
	}

	paid, err := s.ConfirmPayment(ctx, usd("pi_alice", alice.ID, 999))
	if err != nil || paid.Status != sale.OrderPaid || paid.PaymentRef != "pi_alice" || paid.PaidAt == nil {
		t.Fatalf("confirm: %+v, %v", paid, err)
	}
	eventsBefore := len(events(t, rdb, a.ID))
	steps := []struct {
		name string
		p    sale.Payment
		want string // error code; "" is paid
	}{
		{"the same confirmation again", usd("pi_alice", alice.ID, 999), ""},
		{"the same reference for another order", usd("pi_alice", bob.ID, 999), sale.CodePaymentRefUsed},
		{"an unknown order", usd("pi_x", a.ID+"-0123456789abcdef", 999), sale.CodeOrderNotFound},
		{"an order ID of no activity", usd("pi_y", "nope-0123456789abcdef", 999), sale.CodeOrderNotFound},
	}
	for _, st := range steps {
		o, err := s.ConfirmPayment(ctx, st.p)
		if sale.ErrorCode(err) != st.want || (st.want == "" && (err != nil || !o.PaidAt.Equal(*paid.PaidAt))) {
			t.Fatalf("%s: %+v, %v; want %q", st.name, o, err, st.want)
		}
	}
	if n := len(events(t, rdb, a.ID)); n != eventsBefore {
		t.Fatalf("%d events after answers that write nothing, want %d", n, eventsBefore)
	}
	if got, _ := s.Order(ctx, bob.ID); got.Status != sale.OrderPending {
		t.Fatalf("bob's order: %+v", got)
	}

	// Refusals: each recorded once, the order left as it is.
	refusals := []struct {
		name   string
		p      sale.Payment
		code   string
		reason string
		status string
	}{
		{"a second payment of a paid order", usd("pi_alice_2", alice.ID, 999), sale.CodeAlreadyPaid, sale.RefusedAlreadyPaid, sale.OrderPaid},
		{"too little", usd("pi_bob_low", bob.ID, 998), sale.CodeAmountMismatch, sale.RefusedAmountMismatch, sale.OrderPending},
		{"another currency", sale.Payment{Ref: "pi_bob_eur", OrderID: bob.ID, Amount: 999, Currency: "EUR", ShopCurrency: "USD"},
			sale.CodeAmountMismatch, sale.RefusedAmountMismatch, sale.OrderPending},
		{"a cancelled order", usd("pi_dave", dave.ID, 999), sale.CodeOrderClosed, sale.RefusedCancelled, sale.OrderCancelled},
	}
	for _, r := range refusals {
		for try := range 2 {
			o, err := s.ConfirmPayment(ctx, r.p)
			if sale.ErrorCode(err) != r.code || o.Status != r.status {
				t.Fatalf("%s (try %d): %+v, %v; want %s", r.name, try, o, err, r.code)
			}
		}
	}
	refused, err := s.RefusedPayments(ctx, a.ID)
	if err != nil || len(refused) != len(refusals) {
		t.Fatalf("refused payments: %+v, %v", refused, err)
	}
	byRef := map[string]sale.RefusedPayment{}
	for _, r := range refused {
		byRef[r.PaymentRef] = r
	}
	for _, r := range refusals {
		got := byRef[r.p.Ref]
		if got.OrderID != r.p.OrderID || got.Reason != r.reason || got.Amount != r.p.Amount || got.Currency != r.p.Currency ||
			got.ActivityID != a.ID || got.OrderStatus != r.status || got.At == 0 || got.UserID == "" {
			t.Fatalf("%s recorded as %+v", r.name, got)
		}
	}
	types := eventTypesByOrder(t, rdb, a.ID)
	for id, want := range map[string][]string{
		alice.ID: {"won", "paid", "payment_refused"},
		bob.ID:   {"won", "payment_refused", "payment_refused"},
		dave.ID:  {"won", "cancelled", "payment_refused"},
	} {
		if !slices.Equal(types[id], want) {
			t.Fatalf("events of %s: %v, want %v", id, types[id], want)
		}
	}
	// A refused reference stays that order's.
	_, err = s.ConfirmPayment(ctx, usd("pi_dave", carol.ID, 999))
	mustCode(t, err, sale.CodePaymentRefUsed)

	// A reference sent with an unknown order is still free.
	erin := mustWin(t, s, a.ID, "erin")
	if o, err := s.ConfirmPayment(ctx, usd("pi_x", erin.ID, 999)); err != nil || o.Status != sale.OrderPaid {
		t.Fatalf("erin: %+v, %v", o, err)
	}

	// Bob pays right after all.
	if o, err := s.ConfirmPayment(ctx, usd("pi_bob", bob.ID, 999)); err != nil || o.Status != sale.OrderPaid {
		t.Fatalf("bob: %+v, %v", o, err)
	}
	if st := mustConsistent(t, s, a.ID); st.Paid != 3 || st.Pending != 1 || st.Cancelled != 1 {
		t.Fatalf("stats: %+v", st)
	}
}

// A payment for an order expired by the time it arrives expires it and is
// refused as closed, recorded for a refund, even before the expiry job runs.
func TestConfirmPaymentExpired(t *testing.T) {
	s, _ := mustStore(t)
	a := mustActivity(t, s, 3, 1)
	o := mustWin(t, s, a.ID, "late")
	waitRedisTime(t, s.Client(), *o.ExpiresAt)
	for range 2 {
		got, err := s.ConfirmPayment(ctx, usd("pi_late", o.ID, 999))
		mustCode(t, err, sale.CodeOrderClosed)
		if got.Status != sale.OrderExpired || got.ClosedAt == nil {
			t.Fatalf("order: %+v", got)
		}
	}
	if st := mustConsistent(t, s, a.ID); st.Expired != 1 || st.Remaining != 3 {
		t.Fatalf("stats: %+v", st)
	}
	if r, err := s.RefusedPayments(ctx, a.ID); err != nil || len(r) != 1 || r[0].Reason != sale.RefusedExpired {
		t.Fatalf("refused: %+v, %v", r, err)
	}
}

// The same confirmation sent many times at once through two processes (two
// Stores) pays the order once: one paid event, one paid counted, every
// answer the paid order.
func TestConfirmPaymentSameRefTwoStores(t *testing.T) {
	srv := start(t)
	stores := []*redislib.Store{srv.Store(t), srv.Store(t)}
	a := mustActivity(t, stores[0], 20, 900)
	const orders, per = 10, 8
	var wg sync.WaitGroup
	errs := make(chan error, orders*per)
	for i := range orders {
		o := mustWin(t, stores[0], a.ID, fmt.Sprintf("u%d", i))
		for j := range per {
			wg.Add(1)
			go func() {
				defer wg.Done()
				got, err := stores[j%2].ConfirmPayment(ctx, usd("pi_"+o.ID, o.ID, 999))
				if err == nil && (got.Status != sale.OrderPaid || got.PaymentRef != "pi_"+o.ID) {
					err = fmt.Errorf("answered %+v", got)
				}
				errs <- err
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("confirmation: %v", err)
		}
	}
	if st := mustConsistent(t, stores[1], a.ID); st.Paid != orders || st.Pending != 0 {
		t.Fatalf("stats: %+v", st)
	}
	for id, types := range eventTypesByOrder(t, srv.AdminClient(t), a.ID) {
		if !slices.Equal(types, []string{"won", "paid"}) {
			t.Fatalf("events of %s: %v", id, types)
		}
	}
}

// One reference confirmed at once for two orders of two activities (two
// slots on a cluster), through two Stores, pays exactly one of them.
func TestConfirmPaymentOneRefTwoOrders(t *testing.T) {
	srv := start(t)
	stores := []*redislib.Store{srv.Store(t), srv.Store(t)}
	const rounds = 20
	for i := range rounds {
		a1, a2 := mustActivity(t, stores[0], 1, 900), mustActivity(t, stores[0], 1, 900)
		o := []sale.Order{mustWin(t, stores[0], a1.ID, "u"), mustWin(t, stores[0], a2.ID, "u")}
		ref := fmt.Sprintf("pi_shared_%d", i)
		var errs [2]error
		var wg sync.WaitGroup
		for j := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[j] = stores[j].ConfirmPayment(ctx, usd(ref, o[j].ID, 999))
			}()
		}
		wg.Wait()
		codes := []string{sale.ErrorCode(errs[0]), sale.ErrorCode(errs[1])}
		slices.Sort(codes)
		if !slices.Equal(codes, []string{"", sale.CodePaymentRefUsed}) {
			t.Fatalf("round %d: answers %v, %v", i, errs[0], errs[1])
		}
		paid := 0
		for j, a := range []sale.Activity{a1, a2} {
			st := mustConsistent(t, stores[0], a.ID)
			paid += int(st.Paid)
			if (errs[j] == nil) != (st.Paid == 1) {
				t.Fatalf("round %d: order %d answered %v, stats %+v", i, j, errs[j], st)
			}
		}
		if paid != 1 {
			t.Fatalf("round %d: %d orders paid", i, paid)
		}
	}
}

func TestPaymentValidate(t *testing.T) {
	const order = "abc-0123456789abcdef"
	tests := []struct {
		p    sale.Payment
		want string
	}{
		{sale.Payment{Ref: "pi_3NxYz.1:2-a", OrderID: order, Amount: 0, Currency: "USD"}, ""},
		{sale.Payment{Ref: "", OrderID: order, Currency: "USD"}, sale.CodeInvalidPaymentRef},
		{sale.Payment{Ref: "a{b}", OrderID: order, Currency: "USD"}, sale.CodeInvalidPaymentRef},
		{sale.Payment{Ref: string(make([]byte, 129)), OrderID: order, Currency: "USD"}, sale.CodeInvalidPaymentRef},
		{sale.Payment{Ref: "r", OrderID: "nope", Currency: "USD"}, sale.CodeInvalidID},
		{sale.Payment{Ref: "r", OrderID: order, Amount: -1, Currency: "USD"}, sale.CodeInvalidAmount},
		{sale.Payment{Ref: "r", OrderID: order, Amount: sale.MaxPrice + 1, Currency: "USD"}, sale.CodeInvalidAmount},
		{sale.Payment{Ref: "r", OrderID: order, Currency: "usd"}, sale.CodeInvalidCurrency},
		{sale.Payment{Ref: "r", OrderID: order, Currency: ""}, sale.CodeInvalidCurrency},
	}
	for _, tc := range tests {
		if got := sale.ErrorCode(tc.p.Validate()); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.p, got, tc.want)
		}
	}
}
