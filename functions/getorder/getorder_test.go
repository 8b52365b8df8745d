package getorder_test

import (
	"net/http"
	"testing"

	"seckill/functions/getorder"
	"seckill/functions/server/servertest"
	"seckill/redislib/sale"
)

func TestGetOrder(t *testing.T) {
	env := servertest.New(t, getorder.Function)
	a := servertest.MustActivity(t, env.Store, 5)
	o := servertest.MustWin(t, env.Store, a.ID, "alice")
	short := servertest.MustActivity(t, env.Store, 5, servertest.PaymentWindow(1))
	overdue := servertest.MustWin(t, env.Store, short.ID, "bob")
	servertest.WaitRedisTime(t, env.Store, *overdue.ExpiresAt)

	tests := []struct {
		name       string
		path       string
		wantStatus int
		wantCode   string
		wantState  string
	}{
		{"pending order", "/orders/" + o.ID, http.StatusOK, "", sale.OrderPending},
		{"overdue order reads expired", "/orders/" + overdue.ID, http.StatusOK, "", sale.OrderExpired},
		{"unknown order", "/orders/" + a.ID + "-0123456789abcdef", http.StatusNotFound, sale.CodeOrderNotFound, ""},
		{"unknown activity", "/orders/nope-0123456789abcdef", http.StatusNotFound, sale.CodeOrderNotFound, ""},
		{"not an order id", "/orders/" + a.ID, http.StatusBadRequest, "invalid_id", ""},
		{"upper-case hex", "/orders/" + a.ID + "-0123456789ABCDEF", http.StatusBadRequest, "invalid_id", ""},
		{"short suffix", "/orders/" + a.ID + "-0123", http.StatusBadRequest, "invalid_id", ""},
		{"bad activity part", "/orders/a%7Bb-0123456789abcdef", http.StatusBadRequest, "invalid_id", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := env.Do(t, servertest.Request{Method: http.MethodGet, Path: tc.path})
			if r.Status != tc.wantStatus || r.ErrorCode() != tc.wantCode {
				t.Fatalf("got %d %s, want %d %q", r.Status, r.Body, tc.wantStatus, tc.wantCode)
			}
			if tc.wantState != "" {
				var got sale.Order
				r.Decode(t, &got)
				if got.Status != tc.wantState {
					t.Fatalf("status %q, want %q", got.Status, tc.wantState)
				}
			}
		})
	}

	body := env.Do(t, servertest.Request{Method: http.MethodGet, Path: "/orders/" + o.ID}).JSON(t)
	for _, f := range []string{"id", "activity_id", "product_id", "user_id", "price", "status", "created_at", "expires_at", "paid_at", "closed_at"} {
		if _, ok := body[f]; !ok {
			t.Fatalf("field %s missing from %v", f, body)
		}
	}
	if body["id"] != o.ID || body["user_id"] != "alice" || body["paid_at"] != nil || body["expires_at"] == nil || body["price"] != float64(999) {
		t.Fatalf("body: %v", body)
	}

	env.Redis.Kill()
	r := env.Do(t, servertest.Request{Method: http.MethodGet, Path: "/orders/" + o.ID})
	if r.Status != http.StatusServiceUnavailable || r.ErrorCode() != sale.CodeStoreUnavailable {
		t.Fatalf("Redis down: %d %s", r.Status, r.Body)
	}
}
