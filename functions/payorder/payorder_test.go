package payorder_test

import (
	"net/http"
	"strings"
	"testing"

	"seckill/functions/payorder"
	"seckill/functions/server/servertest"
	"seckill/redislib"
)

func TestPayOrder(t *testing.T) {
	env := servertest.New(t, payorder.Function)
	ctx := t.Context()
	a := servertest.MustActivity(t, env.Store, 10)
	open := servertest.MustWin(t, env.Store, a.ID, "bob")
	paid := servertest.MustWin(t, env.Store, a.ID, "carol")
	if _, err := env.Store.PayOrder(ctx, paid.ID, "carol"); err != nil {
		t.Fatal(err)
	}
	cancelled := servertest.MustWin(t, env.Store, a.ID, "dave")
	if _, err := env.Store.CancelOrder(ctx, cancelled.ID, "dave", false); err != nil {
		t.Fatal(err)
	}
	other := servertest.MustWin(t, env.Store, a.ID, "frank")
	short := servertest.MustActivity(t, env.Store, 5, servertest.PaymentWindow(1))
	late := servertest.MustWin(t, env.Store, short.ID, "erin")
	servertest.WaitRedisTime(t, env.Store, *late.ExpiresAt)

	pay := func(id string) string { return "/orders/" + id + "/pay" }
	tests := []struct {
		name       string
		path       string
		body       any
		wantStatus int
		wantCode   string
	}{
		{"pays", pay(open.ID), map[string]any{"user_id": "bob"}, http.StatusOK, ""},
		{"already paid", pay(paid.ID), map[string]any{"user_id": "carol"}, http.StatusConflict, redislib.CodeAlreadyPaid},
		{"paying twice", pay(open.ID), map[string]any{"user_id": "bob"}, http.StatusConflict, redislib.CodeAlreadyPaid},
		{"cancelled", pay(cancelled.ID), map[string]any{"user_id": "dave"}, http.StatusConflict, redislib.CodeOrderCancelled},
		{"window closed", pay(late.ID), map[string]any{"user_id": "erin"}, http.StatusConflict, redislib.CodeOrderExpired},
		{"window closed, again", pay(late.ID), map[string]any{"user_id": "erin"}, http.StatusConflict, redislib.CodeOrderExpired},
		{"someone else's order", pay(other.ID), map[string]any{"user_id": "mallory"}, http.StatusForbidden, "forbidden"},
		{"unknown order", pay(a.ID + "-0123456789abcdef"), map[string]any{"user_id": "bob"}, http.StatusNotFound, redislib.CodeOrderNotFound},
		{"malformed order id", pay("nope"), map[string]any{"user_id": "bob"}, http.StatusBadRequest, "invalid_id"},
		{"empty body", pay(other.ID), "", http.StatusBadRequest, "empty_body"},
		{"malformed json", pay(other.ID), `{"user_id":`, http.StatusBadRequest, "malformed_json"},
		{"two objects", pay(other.ID), `{"user_id":"frank"}{}`, http.StatusBadRequest, "malformed_json"},
		{"unknown field", pay(other.ID), map[string]any{"user_id": "frank", "amount": 1}, http.StatusBadRequest, "unknown_field"},
		{"user_id not a string", pay(other.ID), map[string]any{"user_id": 7}, http.StatusBadRequest, "invalid_field_type"},
		{"missing user_id", pay(other.ID), map[string]any{}, http.StatusBadRequest, "missing_field"},
		{"bad user_id", pay(other.ID), map[string]any{"user_id": "a b"}, http.StatusBadRequest, "invalid_user_id"},
		{"long user_id", pay(other.ID), map[string]any{"user_id": strings.Repeat("u", 129)}, http.StatusBadRequest, "invalid_user_id"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := env.Do(t, servertest.Request{Method: http.MethodPost, Path: tc.path, Body: tc.body})
			if r.Status != tc.wantStatus || r.ErrorCode() != tc.wantCode {
				t.Fatalf("got %d %s, want %d %q", r.Status, r.Body, tc.wantStatus, tc.wantCode)
			}
		})
	}

	// Only the first "pays" changed anything, and the late payment expired its order.
	if o, _ := env.Store.Order(ctx, open.ID); o.Status != redislib.OrderPaid || o.PaidAt == nil {
		t.Fatalf("paid order: %+v", o)
	}
	if o, _ := env.Store.Order(ctx, other.ID); o.Status != redislib.OrderPending {
		t.Fatalf("order refused every time: %+v", o)
	}
	if st := servertest.MustStats(t, env.Store, a.ID); st.Paid != 2 || st.Pending != 1 || st.Cancelled != 1 || !st.Consistent {
		t.Fatalf("stats: %+v", st)
	}
	if st := servertest.MustStats(t, env.Store, short.ID); st.Expired != 1 || st.Remaining != 5 || !st.Consistent {
		t.Fatalf("stats of the short window: %+v", st)
	}

	env.Redis.Kill()
	r := env.Do(t, servertest.Request{Method: http.MethodPost, Path: pay(other.ID), Body: map[string]any{"user_id": "frank"}})
	if r.Status != http.StatusServiceUnavailable || r.ErrorCode() != redislib.CodeStoreUnavailable {
		t.Fatalf("Redis down: %d %s", r.Status, r.Body)
	}
}
