package all_test

import (
	"net/http"
	"strings"
	"testing"

	"seckill/functions/server"
	"seckill/functions/server/servertest"
	"seckill/redislib/redistest"
	"seckill/redislib/sale"
)

// TestUserTokensAcrossFunctions turns user JWTs on for every function and
// follows orders through purchase, pay, cancel and history: each user acts
// only as themself (403 otherwise, 401 without a token), an admin may cancel
// with the admin token, and refused requests change nothing.
func TestUserTokensAcrossFunctions(t *testing.T) {
	srv := redistest.Start(t)
	e := serveWith(t, srv, srv.Config(), func(c *server.Config) { c.UserAuth, c.UserJWTSecret = "on", jwtSecretAll })
	c := newClient(e.base, 4)
	a := c.mustActivity(t, 10)
	bearer := func(user string) string { return "Bearer " + userJWT(t, user) }
	admin := "Bearer " + servertest.AdminToken

	buy := func(user string) string {
		t.Helper()
		var res sale.PurchaseResult
		if st, err := c.doAuth("POST", "/activities/"+a.ID+"/purchase", map[string]string{"user_id": user}, bearer(user), &res); err != nil || st != 200 || res.Outcome != sale.OutcomeWon {
			t.Fatalf("purchase by %s: %d %v %+v", user, st, err, res)
		}
		return res.OrderID
	}
	alice, carol, dave := buy("alice"), buy("carol"), buy("dave")

	before := keyDump(t, e.admin)
	for _, tt := range []struct {
		name, method, path string
		body               any
		auth               string
		want               int
	}{
		{"purchase as another user", "POST", "/activities/" + a.ID + "/purchase", map[string]string{"user_id": "bob"}, bearer("alice"), 403},
		{"purchase without a token", "POST", "/activities/" + a.ID + "/purchase", map[string]string{"user_id": "bob"}, "", 401},
		{"alice marks her own order paid", "POST", "/orders/" + alice + "/pay", map[string]string{"user_id": "alice"}, bearer("alice"), 404},
		{"alice's demo payment, demo payments off", "POST", "/orders/" + alice + "/demo-payment", map[string]string{"user_id": "alice"}, bearer("alice"), 404},
		{"demo payment of alice's order as bob, claiming alice", "POST", "/orders/" + alice + "/demo-payment", map[string]string{"user_id": "alice"}, bearer("bob"), 403},
		{"demo payment without a token", "POST", "/orders/" + alice + "/demo-payment", map[string]string{"user_id": "alice"}, "", 401},
		{"a confirmation without a signature, as alice", "POST", "/payments/confirm", map[string]any{"payment_ref": "r", "order_id": alice, "amount": 999, "currency": "USD"}, bearer("alice"), 401},
		{"a confirmation without a signature, as the admin", "POST", "/payments/confirm", map[string]any{"payment_ref": "r", "order_id": alice, "amount": 999, "currency": "USD"}, admin, 401},
		{"cancel carol's order as bob", "POST", "/orders/" + carol + "/cancel", map[string]string{"user_id": "carol"}, bearer("bob"), 403},
		{"cancel without a token", "POST", "/orders/" + carol + "/cancel", map[string]string{"user_id": "carol"}, "", 401},
		{"bob cancels carol's order as himself", "POST", "/orders/" + carol + "/cancel", map[string]string{"user_id": "bob"}, bearer("bob"), 403},
		{"alice's history as bob", "GET", "/users/alice/orders", nil, bearer("bob"), 403},
		{"history without a token", "GET", "/users/alice/orders", nil, "", 401},
		{"purchase result as another user", "GET", "/activities/" + a.ID + "/purchases/alice", nil, bearer("bob"), 403},
	} {
		if st, err := c.doAuth(tt.method, tt.path, tt.body, tt.auth, nil); err != nil || st != tt.want {
			t.Errorf("%s: %d %v, want %d", tt.name, st, err, tt.want)
		}
	}
	// Refusals wrote nothing (rate-limit buckets of the requests that got
	// that far aside: they are not persisted).
	// A bucket also expires by itself once full again, so buckets are left
	// out on both sides.
	after := keyDump(t, e.admin)
	for _, dump := range []map[string]string{before, after} {
		for k := range dump {
			if strings.HasPrefix(k, "sk:{rl:") {
				delete(dump, k)
			}
		}
	}
	mustSameDump(t, before, after)

	var order struct{ Status string }
	o, err := e.store.Order(t.Context(), alice)
	if err != nil {
		t.Fatal(err)
	}
	conf := servertest.Confirmation(alice, "pi_alice", o.Price)
	if st, _, body := c.send(t, rawRequest{method: conf.Method, path: conf.Path, body: conf.Body.([]byte), header: conf.Header}); st != 200 || !strings.Contains(string(body), `"status":"paid"`) {
		t.Errorf("the payment service confirms alice's payment: %d %s", st, body)
	}
	if st, err := c.doAuth("POST", "/orders/"+carol+"/cancel", map[string]string{"user_id": "carol"}, bearer("carol"), &order); err != nil || st != 200 || order.Status != "cancelled" {
		t.Errorf("carol cancels her order: %d %v %+v", st, err, order)
	}
	if st, err := c.doAuth("POST", "/orders/"+dave+"/cancel", nil, admin, &order); err != nil || st != 200 || order.Status != "cancelled" {
		t.Errorf("an admin cancels dave's order: %d %v %+v", st, err, order)
	}
	var page struct{ Items []struct{ ID string } }
	if st, err := c.doAuth("GET", "/users/alice/orders", nil, bearer("alice"), &page); err != nil || st != http.StatusOK || len(page.Items) != 1 || page.Items[0].ID != alice {
		t.Errorf("alice's history: %d %v %+v", st, err, page)
	}
	holdings(t, e.rdb, a.ID)
}
