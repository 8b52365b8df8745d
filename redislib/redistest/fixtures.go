package redistest

import (
	"context"
	"testing"
	"time"

	"seckill/redislib"
	"seckill/redislib/sale"
)

// MustProduct creates a product through the store.
func MustProduct(t testing.TB, store *redislib.Store) sale.Product {
	t.Helper()
	p, err := store.CreateProduct(context.Background(), sale.NewProduct{Name: "Test product", Description: "for tests", Price: 1999})
	if err != nil {
		t.Fatalf("create product: %v", err)
	}
	return p
}

// ActivityOption changes the activity MustActivity creates.
type ActivityOption func(*sale.NewActivity)

// Window sets the activity's time window relative to now.
func Window(startsIn, endsIn time.Duration) ActivityOption {
	return func(a *sale.NewActivity) {
		a.StartsAt, a.EndsAt = time.Now().Add(startsIn), time.Now().Add(endsIn)
	}
}

// PaymentWindow sets the payment window in seconds.
func PaymentWindow(seconds int64) ActivityOption {
	return func(a *sale.NewActivity) { a.PaymentWindow = seconds }
}

// MustActivity creates a product and a running activity with the given stock
// (started a minute ago, ending in an hour, payment window 900 s).
func MustActivity(t testing.TB, store *redislib.Store, stock int64, opts ...ActivityOption) sale.Activity {
	t.Helper()
	p := MustProduct(t, store)
	in := sale.NewActivity{ProductID: p.ID, Stock: stock, Price: 999,
		StartsAt: time.Now().Add(-time.Minute), EndsAt: time.Now().Add(time.Hour), PaymentWindow: 900}
	for _, o := range opts {
		o(&in)
	}
	a, err := store.CreateActivity(context.Background(), in)
	if err != nil {
		t.Fatalf("create activity: %v", err)
	}
	return a
}

// Buckets sets how many stock buckets the activity's stock is split into.
func Buckets(n int) ActivityOption {
	return func(a *sale.NewActivity) { a.Buckets = n }
}
