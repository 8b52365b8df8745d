package all_test

import (
	"net/http"
	"testing"

	"seckill/functions/all"
	"seckill/functions/server/servertest"
	"seckill/redislib/sale"
)

// The order lifecycle over HTTP, every function on one app: win, read, pay,
// history, stats; win and cancel, then the unit is sold again; win and let
// the window close, then the job expires it.
func TestOrderLifecycleOverHTTP(t *testing.T) {
	env := servertest.New(t, all.Functions...)
	a := servertest.MustActivity(t, env.Store, 2, servertest.PaymentWindow(1))
	do := func(method, path string, body any, admin bool, want int) map[string]any {
		t.Helper()
		r := env.Do(t, servertest.Request{Method: method, Path: path, Body: body, Admin: admin})
		if r.Status != want {
			t.Fatalf("%s %s: %d %s, want %d", method, path, r.Status, r.Body, want)
		}
		return r.JSON(t)
	}
	stats := func() map[string]any {
		return do(http.MethodGet, "/activities/"+a.ID+"/stats", nil, true, http.StatusOK)
	}
	buy := func(user string) string {
		t.Helper()
		r := do(http.MethodPost, "/activities/"+a.ID+"/purchase", map[string]any{"user_id": user}, false, http.StatusOK)
		if r["outcome"] != "won" {
			t.Fatalf("purchase by %s: %v", user, r)
		}
		return r["order_id"].(string)
	}

	alice := buy("alice")
	if o := do(http.MethodGet, "/orders/"+alice, nil, false, http.StatusOK); o["status"] != "pending" || o["user_id"] != "alice" {
		t.Fatalf("alice's order: %v", o)
	}
	// The shopper cannot mark the order paid; the payment service's signed
	// confirmation pays it, once even when sent twice.
	if r := env.Do(t, servertest.Request{Method: http.MethodPost, Path: "/orders/" + alice + "/pay", Body: map[string]any{"user_id": "alice"}}); r.Status != http.StatusNotFound {
		t.Fatalf("the shopper's own pay: %d %s", r.Status, r.Body)
	}
	for range 2 {
		r := env.Do(t, servertest.Confirmation(alice, "pi_alice", 999))
		if o := r.JSON(t); r.Status != http.StatusOK || o["status"] != "paid" || o["paid_at"] == nil || o["payment_ref"] != "pi_alice" {
			t.Fatalf("paid: %d %s", r.Status, r.Body)
		}
	}
	h := do(http.MethodGet, "/users/alice/orders", nil, false, http.StatusOK)
	if items := h["items"].([]any); len(items) != 1 || items[0].(map[string]any)["status"] != "paid" || h["next_cursor"] != nil {
		t.Fatalf("alice's history: %v", h)
	}

	bob := buy("bob")
	if r := do(http.MethodPost, "/activities/"+a.ID+"/purchase", map[string]any{"user_id": "carol"}, false, http.StatusOK); r["outcome"] != "sold_out" {
		t.Fatalf("carol while sold out: %v", r)
	}
	do(http.MethodPost, "/orders/"+bob+"/cancel", map[string]any{"user_id": "bob"}, false, http.StatusOK)
	if r := do(http.MethodPost, "/activities/"+a.ID+"/purchase", map[string]any{"user_id": "bob"}, false, http.StatusOK); r["outcome"] != "order_closed" || r["order_id"] != bob || r["status"] != "cancelled" {
		t.Fatalf("bob after cancelling: %v", r)
	}
	// The unit bob gave back is held while a process may still answer
	// sold_out from memory (see redislib/purchase.md): carol gets it once the
	// hold ends.
	var carol string
	mustPoll(t, func() bool {
		resp := env.Do(t, servertest.Request{Method: http.MethodPost, Path: "/activities/" + a.ID + "/purchase",
			Body: map[string]any{"user_id": "carol"}})
		if resp.Status == http.StatusTooManyRequests {
			return false // asking often: the rate limit says when to ask again
		}
		r := resp.JSON(t)
		if resp.Status != http.StatusOK || r["outcome"] != "won" && r["outcome"] != "sold_out" {
			t.Fatalf("purchase by carol: %d %s", resp.Status, resp.Body)
		}
		if r["outcome"] == "sold_out" {
			return false
		}
		carol = r["order_id"].(string)
		return true
	}, "carol buys the unit bob gave back")
	if s := stats(); s["remaining"] != 0.0 || s["paid"] != 1.0 || s["cancelled"] != 1.0 || s["pending"] != 1.0 || s["consistent"] != true {
		t.Fatalf("stats: %v", s)
	}

	o, err := env.Store.Order(t.Context(), carol)
	if err != nil {
		t.Fatal(err)
	}
	servertest.WaitRedisTime(t, env.Store, *o.ExpiresAt)
	if o := do(http.MethodGet, "/orders/"+carol, nil, false, http.StatusOK); o["status"] != "expired" {
		t.Fatalf("carol's overdue order reads %v", o)
	}
	if j := do(http.MethodPost, "/jobs/expire-orders", nil, true, http.StatusOK); j["expired"] != 1.0 {
		t.Fatalf("job: %v", j)
	}
	r := env.Do(t, servertest.Confirmation(carol, "pi_carol", 999))
	if r.Status != http.StatusConflict || r.ErrorCode() != sale.CodeOrderClosed {
		t.Fatalf("late payment: %d %s", r.Status, r.Body)
	}
	if refused, err := env.Store.RefusedPayments(t.Context(), a.ID); err != nil || len(refused) != 1 || refused[0].PaymentRef != "pi_carol" {
		t.Fatalf("refused payments: %+v, %v", refused, err)
	}
	if s := stats(); s["remaining"] != 1.0 || s["expired"] != 1.0 || s["pending"] != 0.0 || s["buyers"] != 3.0 || s["consistent"] != true {
		t.Fatalf("stats after expiry: %v", s)
	}
	l := do(http.MethodGet, "/activities/"+a.ID+"/orders?status=expired", nil, true, http.StatusOK)
	if items := l["items"].([]any); len(items) != 1 || items[0].(map[string]any)["id"] != carol {
		t.Fatalf("expired orders: %v", l)
	}
}
