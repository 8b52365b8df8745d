package createactivity

import (
	"seckill/redislib/sale"
	"testing"
)

// FuzzValidate checks that validate either refuses with one of its codes or
// returns an activity that keeps every documented limit.
func FuzzValidate(f *testing.F) {
	f.Add("p1", int64(100), int64(999), "2030-01-01T00:00:00Z", "2030-01-02T00:00:00Z", true, int64(900))
	f.Add("p1", int64(0), int64(999), "2030-01-01T00:00:00Z", "2030-01-02T00:00:00Z", false, int64(0))
	f.Add("p-1", int64(1), int64(1), "2030-01-01T00:00:00Z", "2030-01-02T00:00:00Z", false, int64(0))
	f.Add("p1", int64(1), int64(-5), "2030-01-01T00:00:00Z", "2030-01-02T00:00:00Z", false, int64(0))
	f.Add("p1", int64(sale.MaxStock+1), int64(1), "2030-01-01", "2030-01-02T00:00:00Z", true, int64(-1))
	f.Add("p1", int64(1), int64(1), "2030-01-02T00:00:00Z", "2030-01-01T00:00:00Z", true, int64(sale.MaxPaymentWindow+1))
	f.Add("p1", int64(1), int64(1), "2030-01-01T00:00:00+14:00", "2030-01-01T00:00:00-12:00", true, int64(0))
	f.Fuzz(func(t *testing.T, productID string, stock, price int64, startsAt, endsAt string, hasWindow bool, window int64) {
		req := request{ProductID: &productID, Stock: &stock, Price: &price, StartsAt: &startsAt, EndsAt: &endsAt}
		if hasWindow {
			req.PaymentWindow = &window
		}
		in, err := validate(req)
		if err != nil {
			switch code := sale.ErrorCode(err); code {
			case sale.CodeInvalidID, sale.CodeInvalidStock, sale.CodeInvalidPrice, sale.CodeInvalidTime,
				sale.CodeInvalidTimeRange, sale.CodeInvalidPaymentWindow:
			default:
				t.Fatalf("validate(%+v) = %v: unexpected code %q", req, err, code)
			}
			return
		}
		switch {
		case !sale.ValidID(in.ProductID):
			t.Fatalf("accepted product id %q", in.ProductID)
		case in.Stock < 1 || in.Stock > sale.MaxStock:
			t.Fatalf("accepted stock %d", in.Stock)
		case in.Price < 0 || in.Price > sale.MaxPrice:
			t.Fatalf("accepted price %d", in.Price)
		case !in.StartsAt.Before(in.EndsAt):
			t.Fatalf("accepted starts_at %v not before ends_at %v", in.StartsAt, in.EndsAt)
		case in.PaymentWindow < 0 || in.PaymentWindow > sale.MaxPaymentWindow:
			t.Fatalf("accepted payment window %d", in.PaymentWindow)
		case in.Buckets != 1:
			t.Fatalf("shards %d without shards in the request", in.Buckets)
		case !hasWindow && in.PaymentWindow != sale.DefaultPaymentWindow:
			t.Fatalf("payment window %d without one in the request", in.PaymentWindow)
		}
	})
}
