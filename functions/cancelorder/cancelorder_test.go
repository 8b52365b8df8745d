package cancelorder_test

import (
	"net/http"
	"testing"

	"seckill/functions/auth"
	"seckill/functions/cancelorder"
	"seckill/functions/server/servertest"
	"seckill/redislib/sale"
)

func TestCancelOrder(t *testing.T) {
	env := servertest.New(t, cancelorder.Function)
	ctx := t.Context()
	a := servertest.MustActivity(t, env.Store, 10)
	byUser := servertest.MustWin(t, env.Store, a.ID, "bob")
	byAdmin := servertest.MustWin(t, env.Store, a.ID, "carol")
	byAdminEmpty := servertest.MustWin(t, env.Store, a.ID, "dave")
	paid := servertest.MustWin(t, env.Store, a.ID, "erin")
	servertest.MustPay(t, env.Store, paid.ID)
	other := servertest.MustWin(t, env.Store, a.ID, "frank")
	short := servertest.MustActivity(t, env.Store, 5, servertest.PaymentWindow(1))
	late := servertest.MustWin(t, env.Store, short.ID, "gina")
	servertest.WaitRedisTime(t, env.Store, *late.ExpiresAt)

	cancel := func(id string) string { return "/orders/" + id + "/cancel" }
	user := func(u string) map[string]any { return map[string]any{"user_id": u} }
	tests := []struct {
		name       string
		path       string
		body       any
		admin      bool
		header     map[string]string
		wantStatus int
		wantCode   string
	}{
		{"user cancels", cancel(byUser.ID), user("bob"), false, nil, http.StatusOK, ""},
		{"user cancels twice", cancel(byUser.ID), user("bob"), false, nil, http.StatusConflict, sale.CodeOrderCancelled},
		{"admin cancels with {}", cancel(byAdmin.ID), map[string]any{}, true, nil, http.StatusOK, ""},
		{"admin cancels without a body", cancel(byAdminEmpty.ID), nil, true, nil, http.StatusOK, ""},
		{"admin cancels a cancelled order", cancel(byAdminEmpty.ID), nil, true, nil, http.StatusConflict, sale.CodeOrderCancelled},
		{"paid", cancel(paid.ID), user("erin"), false, nil, http.StatusConflict, sale.CodeAlreadyPaid},
		{"paid, by an admin", cancel(paid.ID), nil, true, nil, http.StatusConflict, sale.CodeAlreadyPaid},
		{"window closed", cancel(late.ID), user("gina"), false, nil, http.StatusConflict, sale.CodeOrderExpired},
		{"someone else's order", cancel(other.ID), user("mallory"), false, nil, http.StatusForbidden, "forbidden"},
		{"admin naming the wrong user", cancel(other.ID), user("mallory"), true, nil, http.StatusForbidden, "forbidden"},
		{"wrong admin token", cancel(other.ID), nil, false, map[string]string{"Authorization": "Bearer nope"}, http.StatusUnauthorized, "unauthorized"},
		{"not a bearer token", cancel(other.ID), user("frank"), false, map[string]string{"Authorization": "Basic Zm9vOmJhcg=="}, http.StatusUnauthorized, "unauthorized"},
		{"unknown order", cancel(a.ID + "-0123456789abcdef"), user("frank"), false, nil, http.StatusNotFound, sale.CodeOrderNotFound},
		{"malformed order id", cancel("x-1"), user("frank"), false, nil, http.StatusBadRequest, "invalid_id"},
		{"user without a body", cancel(other.ID), nil, false, nil, http.StatusBadRequest, "empty_body"},
		{"missing user_id", cancel(other.ID), map[string]any{}, false, nil, http.StatusBadRequest, "missing_field"},
		{"malformed json", cancel(other.ID), `{"user_id"`, false, nil, http.StatusBadRequest, "malformed_json"},
		{"malformed json from an admin", cancel(other.ID), `{`, true, nil, http.StatusBadRequest, "malformed_json"},
		{"unknown field", cancel(other.ID), map[string]any{"user_id": "frank", "reason": "x"}, false, nil, http.StatusBadRequest, "unknown_field"},
		{"user_id not a string", cancel(other.ID), map[string]any{"user_id": true}, false, nil, http.StatusBadRequest, "invalid_field_type"},
		{"bad user_id", cancel(other.ID), user("{x}"), false, nil, http.StatusBadRequest, "invalid_user_id"},
		{"bad user_id from an admin", cancel(other.ID), user(""), true, nil, http.StatusBadRequest, "invalid_user_id"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := env.Do(t, servertest.Request{Method: http.MethodPost, Path: tc.path, Body: tc.body, Admin: tc.admin, Header: tc.header})
			if r.Status != tc.wantStatus || r.ErrorCode() != tc.wantCode {
				t.Fatalf("got %d %s, want %d %q", r.Status, r.Body, tc.wantStatus, tc.wantCode)
			}
			if r.Status == http.StatusOK {
				var o sale.Order
				r.Decode(t, &o)
				if o.Status != sale.OrderCancelled || o.ClosedAt == nil {
					t.Fatalf("answer: %+v", o)
				}
			}
		})
	}

	if o, _ := env.Store.Order(ctx, other.ID); o.Status != sale.OrderPending {
		t.Fatalf("order refused every time: %+v", o)
	}
	if st := servertest.MustStats(t, env.Store, a.ID); st.Cancelled != 3 || st.Paid != 1 || st.Pending != 1 || st.Remaining != 8 || !st.Consistent {
		t.Fatalf("stats: %+v", st)
	}
	if st := servertest.MustStats(t, env.Store, short.ID); st.Expired != 1 || st.Cancelled != 0 || st.Remaining != 5 {
		t.Fatalf("stats of the short window: %+v", st)
	}

	// The two admin cancellations made, and only those, are in the trail,
	// under the admin token's actor.
	trail, err := env.Store.ActivityAudit(ctx, a.ID, sale.PageQuery{Limit: 20})
	if err != nil {
		t.Fatal(err)
	}
	cancelled := map[any]bool{}
	for _, e := range trail.Items {
		if e.Action == sale.AuditCancelOrder && e.Actor == auth.AdminActor(servertest.AdminToken) {
			cancelled[e.After["order_id"]] = true
		}
	}
	if len(cancelled) != 2 || !cancelled[byAdmin.ID] || !cancelled[byAdminEmpty.ID] {
		t.Fatalf("admin cancellations in the audit trail: %v", cancelled)
	}

	env.Redis.Kill()
	r := env.Do(t, servertest.Request{Method: http.MethodPost, Path: cancel(other.ID), Body: user("frank")})
	if r.Status != http.StatusServiceUnavailable || r.ErrorCode() != sale.CodeStoreUnavailable {
		t.Fatalf("Redis down: %d %s", r.Status, r.Body)
	}
}
