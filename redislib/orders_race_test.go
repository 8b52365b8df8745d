package redislib_test

import (
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"seckill/redislib"
	"seckill/redislib/sale"
)

// runExpirers runs ExpireOrders in a loop on several goroutines until stop
// is closed, and returns a func that waits for them and gives the number of
// orders they expired.
func runExpirers(t *testing.T, s *redislib.Store, workers int, stop <-chan struct{}) func() int64 {
	t.Helper()
	var total atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				r, err := s.ExpireOrders(ctx, redislib.JobOptions{Batch: 4})
				if err != nil {
					errs <- err
					return
				}
				total.Add(int64(r.Expired))
			}
		}()
	}
	return func() int64 {
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Errorf("expire job: %v", err)
		}
		return total.Load()
	}
}

// spread returns the moment at which attempt i of n is made: from 300 ms
// before the order's window closes to 300 ms after, by the local clock
// corrected for Redis's (the same host in tests).
func spread(o sale.Order, skew time.Duration, i, n int) time.Time {
	off := -300*time.Millisecond + time.Duration(i)*600*time.Millisecond/time.Duration(n-1)
	return o.ExpiresAt.Add(off - skew)
}

// Confirmations race the expiry job and lazy expiry around each order's
// deadline: every order ends either paid or expired, never both; the same
// confirmation sent twice at once gets one answer twice; a refused payment
// is recorded once; stock is exact afterwards.
func TestPayExpireRace(t *testing.T) {
	s, be := mustStore(t)
	rdb := be.AdminClient(t) // reads and seeds keys with commands the functions never run
	const n, stock = 60, 70
	a := mustActivity(t, s, stock, 1)
	orders := make([]sale.Order, n)
	for i := range orders {
		orders[i] = mustWin(t, s, a.ID, fmt.Sprintf("user-%d", i))
	}
	skew := redisNow(t, rdb).Sub(time.Now())

	stop := make(chan struct{})
	waitExpirers := runExpirers(t, s, 2, stop)
	results := make([][2]error, n)
	var wg sync.WaitGroup
	for i, o := range orders {
		at := spread(o, skew, i, n)
		for j := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				time.Sleep(time.Until(at))
				_, results[i][j] = payOrder(s, o.ID)
			}()
		}
	}
	wg.Wait()
	close(stop)
	byJob := waitExpirers()

	paid := 0
	byOrder := eventTypesByOrder(t, rdb, a.ID)
	for i, o := range orders {
		r := results[i]
		codes := []string{sale.ErrorCode(r[0]), sale.ErrorCode(r[1])}
		slices.Sort(codes)
		got, err := s.Order(ctx, o.ID)
		if err != nil {
			t.Fatalf("read %s: %v", o.ID, err)
		}
		switch {
		case slices.Equal(codes, []string{"", ""}):
			paid++
			if got.Status != sale.OrderPaid || !got.PaidAt.Before(*got.ExpiresAt) {
				t.Fatalf("order %d answered paid but is %+v", i, got)
			}
			if !slices.Equal(byOrder[o.ID], []string{"won", "paid"}) {
				t.Fatalf("events of paid order %d: %v", i, byOrder[o.ID])
			}
		case slices.Equal(codes, []string{sale.CodeOrderClosed, sale.CodeOrderClosed}):
			if got.Status != sale.OrderExpired || got.ClosedAt == nil || got.ClosedAt.Before(*got.ExpiresAt) {
				t.Fatalf("order %d answered expired but is %+v", i, got)
			}
			if !slices.Equal(byOrder[o.ID], []string{"won", "expired", "payment_refused"}) {
				t.Fatalf("events of expired order %d: %v", i, byOrder[o.ID])
			}
		default:
			t.Fatalf("order %d: answers %v, %v", i, r[0], r[1])
		}
	}
	st := mustConsistent(t, s, a.ID)
	if st.Paid != int64(paid) || st.Expired != int64(n-paid) || st.Pending != 0 || st.Remaining != stock-int64(paid) {
		t.Fatalf("stats %+v after %d paid of %d", st, paid, n)
	}
	if byJob > int64(n-paid) {
		t.Fatalf("the job reports %d expired, only %d orders expired", byJob, n-paid)
	}
	if refused, err := s.RefusedPayments(ctx, a.ID); err != nil || len(refused) != n-paid {
		t.Fatalf("%d refused payments recorded (%v), want %d", len(refused), err, n-paid)
	}
	if paid == n {
		t.Fatalf("no payment came late: the race was not exercised")
	}
	t.Logf("%d paid, %d expired (%d by the job, the rest lazily)", paid, n-paid, byJob)
}

// Cancellations by the user and by an admin race the expiry job around each
// order's deadline: each order is cancelled or expired exactly once, so every
// unit is back in stock exactly once.
func TestCancelExpireRace(t *testing.T) {
	s, be := mustStore(t)
	rdb := be.AdminClient(t) // reads and seeds keys with commands the functions never run
	const n, stock = 60, 60
	a := mustActivity(t, s, stock, 1)
	orders := make([]sale.Order, n)
	for i := range orders {
		orders[i] = mustWin(t, s, a.ID, fmt.Sprintf("user-%d", i))
	}
	skew := redisNow(t, rdb).Sub(time.Now())

	stop := make(chan struct{})
	waitExpirers := runExpirers(t, s, 2, stop)
	results := make([][2]error, n)
	var wg sync.WaitGroup
	for i, o := range orders {
		at := spread(o, skew, i, n)
		for j, admin := range []bool{false, true} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				user := o.UserID
				if admin {
					user = ""
				}
				time.Sleep(time.Until(at))
				_, results[i][j] = s.CancelOrder(ctx, o.ID, user, admin)
			}()
		}
	}
	wg.Wait()
	close(stop)
	byJob := waitExpirers()

	cancelled := 0
	byOrder := eventTypesByOrder(t, rdb, a.ID)
	for i, o := range orders {
		codes := []string{sale.ErrorCode(results[i][0]), sale.ErrorCode(results[i][1])}
		slices.Sort(codes)
		got, _ := s.Order(ctx, o.ID)
		switch {
		case slices.Equal(codes, []string{"", sale.CodeOrderCancelled}):
			cancelled++
			if got.Status != sale.OrderCancelled || !slices.Equal(byOrder[o.ID], []string{"won", "cancelled"}) {
				t.Fatalf("order %d answered cancelled but is %+v with events %v", i, got, byOrder[o.ID])
			}
		case slices.Equal(codes, []string{sale.CodeOrderExpired, sale.CodeOrderExpired}):
			if got.Status != sale.OrderExpired || !slices.Equal(byOrder[o.ID], []string{"won", "expired"}) {
				t.Fatalf("order %d answered expired but is %+v with events %v", i, got, byOrder[o.ID])
			}
		default:
			t.Fatalf("order %d: answers %v, %v", i, results[i][0], results[i][1])
		}
	}
	st := mustConsistent(t, s, a.ID)
	if st.Remaining != stock || st.Cancelled != int64(cancelled) || st.Expired != int64(n-cancelled) || st.Pending != 0 {
		t.Fatalf("stats %+v after %d cancelled of %d", st, cancelled, n)
	}
	if cancelled == n {
		t.Fatalf("no cancellation came late: the race was not exercised")
	}
	t.Logf("%d cancelled, %d expired (%d by the job)", cancelled, n-cancelled, byJob)
}

// Many simultaneous confirmations (one payment, sent several times) and
// cancellations of the same orders, within the window: each order ends paid
// or cancelled. Paid: every confirmation answers paid and every cancellation
// already_paid. Cancelled: one cancellation succeeded, the confirmations
// answer order_closed and the payment is recorded once for a refund.
func TestConcurrentTransitionsOnOneOrder(t *testing.T) {
	s, be := mustStore(t)
	const n, per, stock = 20, 9, 30
	a := mustActivity(t, s, stock, 900)
	orders := make([]sale.Order, n)
	for i := range orders {
		orders[i] = mustWin(t, s, a.ID, fmt.Sprintf("user-%d", i))
	}
	start := make(chan struct{})
	results := make([][per]sale.Order, n)
	errs := make([][per]error, n)
	var wg sync.WaitGroup
	for i, o := range orders {
		for j := range per {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				switch j % 3 {
				case 0:
					results[i][j], errs[i][j] = payOrder(s, o.ID)
				case 1:
					results[i][j], errs[i][j] = s.CancelOrder(ctx, o.ID, o.UserID, false)
				default:
					results[i][j], errs[i][j] = s.CancelOrder(ctx, o.ID, "", true)
				}
			}()
		}
	}
	close(start)
	wg.Wait()

	var paid, cancelled int64
	for i, o := range orders {
		got, err := s.Order(ctx, o.ID)
		if err != nil {
			t.Fatal(err)
		}
		cancels := 0
		for j := range per {
			code := sale.ErrorCode(errs[i][j])
			switch {
			case j%3 == 0 && got.Status == sale.OrderPaid:
				if errs[i][j] != nil || results[i][j].Status != sale.OrderPaid {
					t.Fatalf("order %d is paid, a confirmation got %+v, %v", i, results[i][j], errs[i][j])
				}
			case j%3 == 0 && got.Status == sale.OrderCancelled:
				if code != sale.CodeOrderClosed {
					t.Fatalf("order %d is cancelled, a confirmation got %v", i, errs[i][j])
				}
			case got.Status == sale.OrderPaid:
				if code != sale.CodeAlreadyPaid {
					t.Fatalf("order %d is paid, a cancellation got %v", i, errs[i][j])
				}
			case got.Status == sale.OrderCancelled && errs[i][j] == nil:
				cancels++
			case got.Status == sale.OrderCancelled:
				if code != sale.CodeOrderCancelled {
					t.Fatalf("order %d is cancelled, a cancellation got %v", i, errs[i][j])
				}
			default:
				t.Fatalf("order %d ends %s", i, got.Status)
			}
		}
		if got.Status == sale.OrderPaid {
			paid++
		} else if cancels != 1 {
			t.Fatalf("order %d: %d cancellations succeeded", i, cancels)
		} else {
			cancelled++
		}
	}
	st := mustConsistent(t, s, a.ID)
	if st.Paid != paid || st.Cancelled != cancelled || st.Pending != 0 || st.Remaining != stock-paid {
		t.Fatalf("stats %+v, want paid %d cancelled %d", st, paid, cancelled)
	}
	if n := len(events(t, be.AdminClient(t), a.ID)); n != 2*len(orders)+int(cancelled) {
		t.Fatalf("%d events, want %d", n, 2*len(orders)+int(cancelled))
	}
	if refused, err := s.RefusedPayments(ctx, a.ID); err != nil || len(refused) != int(cancelled) {
		t.Fatalf("%d refused payments recorded (%v), want %d", len(refused), err, cancelled)
	}
}
