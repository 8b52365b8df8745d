package all_test

import (
	"net/http"
	"testing"

	"seckill/functions/all"
	"seckill/functions/server/servertest"
)

// TestClosedOrderIsNotAWin is issue 23's demonstration, black-box over HTTP:
// a user wins, their order is cancelled (or expires), the sale shows the unit
// back on sale, and then neither the user's next purchase nor the result
// query reads as a win. One order per user per sale: the purchase answers
// order_closed with the order and its status, and the user may not buy again.
func TestClosedOrderIsNotAWin(t *testing.T) {
	for _, how := range []string{"cancelled", "expired"} {
		t.Run(how, func(t *testing.T) {
			env := servertest.New(t, all.Functions...)
			a := servertest.MustActivity(t, env.Store, 2, servertest.PaymentWindow(1))
			do := func(method, path string, body any, admin bool) map[string]any {
				t.Helper()
				r := env.Do(t, servertest.Request{Method: method, Path: path, Body: body, Admin: admin})
				if r.Status != http.StatusOK {
					t.Fatalf("%s %s: %d %s, want 200", method, path, r.Status, r.Body)
				}
				return r.JSON(t)
			}
			purchase := func(user string) map[string]any {
				t.Helper()
				return do(http.MethodPost, "/activities/"+a.ID+"/purchase", map[string]any{"user_id": user}, false)
			}
			result := func(user string) map[string]any {
				t.Helper()
				return do(http.MethodGet, "/activities/"+a.ID+"/purchases/"+user, nil, false)
			}

			won := purchase("alice")
			order, _ := won["order_id"].(string)
			if won["outcome"] != "won" || order == "" {
				t.Fatalf("alice: %v, want won", won)
			}
			if r := result("alice"); r["won"] != true || r["order_id"] != order || r["status"] != "pending" {
				t.Errorf("alice's result while pending: %v", r)
			}
			if r := purchase("alice"); r["outcome"] != "already_won" || r["order_id"] != order || r["status"] != nil {
				t.Fatalf("alice again while pending: %v", r)
			}
			if how == "cancelled" {
				if o := do(http.MethodPost, "/orders/"+order+"/cancel", map[string]any{"user_id": "alice"}, false); o["status"] != "cancelled" {
					t.Fatalf("cancel: %v", o)
				}
			} else {
				o, err := env.Store.Order(t.Context(), order)
				if err != nil {
					t.Fatal(err)
				}
				servertest.WaitRedisTime(t, env.Store, *o.ExpiresAt)
				if j := do(http.MethodPost, "/jobs/expire-orders", nil, true); j["expired"] != 1.0 {
					t.Fatalf("expire job: %v", j)
				}
			}
			if act := do(http.MethodGet, "/activities/"+a.ID, nil, false); act["sold"] != 0.0 || act["remaining"] != 2.0 {
				t.Fatalf("activity after the order closed: %v", act)
			}
			for range 2 {
				if r := purchase("alice"); r["outcome"] != "order_closed" || r["order_id"] != order || r["status"] != how {
					t.Fatalf("alice after her order %s: %v, want order_closed with %s and status %s", how, r, order, how)
				}
			}
			if r := result("alice"); r["won"] != false || r["order_id"] != order || r["status"] != how {
				t.Fatalf("alice's result after her order %s: %v, want won false, order %s, status %s", how, r, order, how)
			}
			if r := result("bob"); r["won"] != false || r["order_id"] != nil || r["status"] != nil {
				t.Fatalf("bob's result, who never tried: %v", r)
			}
			if act := do(http.MethodGet, "/activities/"+a.ID, nil, false); act["sold"] != 0.0 || act["remaining"] != 2.0 {
				t.Fatalf("activity after alice's attempts: %v", act)
			}
		})
	}
}
