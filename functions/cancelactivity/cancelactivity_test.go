package cancelactivity_test

import (
	"context"
	"net/http"
	"testing"

	"seckill/functions/cancelactivity"
	"seckill/functions/getactivity"
	"seckill/functions/httpapi"
	"seckill/functions/purchase"
	"seckill/functions/purchaseresult"
	"seckill/functions/server/servertest"
	"seckill/redislib/redistest"
	"seckill/redislib/sale"
)

func TestCancelActivity(t *testing.T) {
	env := servertest.New(t, cancelactivity.Function, getactivity.Function)
	running := func() sale.Activity { return servertest.MustActivity(t, env.Store, 10) }
	tests := []struct {
		name       string
		activity   func() sale.Activity
		path       string
		noAdmin    bool
		header     map[string]string
		wantStatus int
		wantCode   string
	}{
		{name: "running", activity: running, wantStatus: 200},
		{name: "scheduled", activity: func() sale.Activity { return servertest.MustScheduled(t, env.Store, 5) }, wantStatus: 200},
		{name: "sold out", activity: func() sale.Activity { return servertest.MustSoldOut(t, env.Store) }, wantStatus: 200},
		{name: "ended", activity: func() sale.Activity { return servertest.MustEnded(t, env.Store, 5) },
			wantStatus: 409, wantCode: sale.CodeActivityEnded},
		{name: "bad id", activity: running, path: "/activities/a%20b/cancel", wantStatus: 400, wantCode: sale.CodeInvalidID},
		{name: "unknown activity", activity: running, path: "/activities/nosuch/cancel", wantStatus: 404, wantCode: sale.CodeActivityNotFound},
		{name: "no token", activity: running, noAdmin: true, wantStatus: 401, wantCode: httpapi.CodeUnauthorized},
		{name: "wrong token", activity: running, noAdmin: true, header: map[string]string{"Authorization": "Bearer wrong"},
			wantStatus: 401, wantCode: httpapi.CodeUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := tt.activity()
			path := tt.path
			if path == "" {
				path = "/activities/" + a.ID + "/cancel"
			}
			get := servertest.Request{Method: http.MethodGet, Path: "/activities/" + a.ID}
			before := env.Do(t, get)
			resp := env.Do(t, servertest.Request{Method: http.MethodPost, Path: path, Admin: !tt.noAdmin, Header: tt.header})
			if resp.Status != tt.wantStatus || resp.ErrorCode() != tt.wantCode {
				t.Fatalf("status %d code %q, want %d %q: %s", resp.Status, resp.ErrorCode(), tt.wantStatus, tt.wantCode, resp.Body)
			}
			after := env.Do(t, get)
			if tt.wantStatus != 200 {
				if string(after.Body) != string(before.Body) {
					t.Fatalf("a refused cancel wrote:\n%s\n%s", before.Body, after.Body)
				}
				if after.JSON(t)["cancelled_at"] != nil {
					t.Fatalf("a refused cancel set cancelled_at: %s", after.Body)
				}
				return
			}
			got := resp.JSON(t)
			if got["status"] != sale.StatusCancelled || got["cancelled_at"] == nil || string(after.Body) != string(resp.Body) {
				t.Fatalf("answer %s, stored %s", resp.Body, after.Body)
			}
			// Cancelling again is idempotent: same answer, nothing written.
			again := env.Do(t, servertest.Request{Method: http.MethodPost, Path: path, Admin: true})
			if again.Status != 200 || again.JSON(t)["cancelled_at"] != got["cancelled_at"] || again.JSON(t)["updated_at"] != got["updated_at"] {
				t.Fatalf("second cancel: %d %s, first %s", again.Status, again.Body, resp.Body)
			}
		})
	}
}

// TestCancelKeepsOrders cancels a running activity with a winner: the next
// purchase answers "cancelled", the winner's order is kept and still found.
func TestCancelKeepsOrders(t *testing.T) {
	env := servertest.New(t, cancelactivity.Function, purchase.Function, purchaseresult.Function)
	a := servertest.MustActivity(t, env.Store, 10)
	won, err := env.Store.Purchase(context.Background(), a.ID, "early", sale.Rate{})
	if err != nil || won.Outcome != sale.OutcomeWon {
		t.Fatalf("purchase: %+v %v", won, err)
	}
	if resp := env.Do(t, servertest.Request{Method: http.MethodPost, Path: "/activities/" + a.ID + "/cancel", Admin: true}); resp.Status != 200 {
		t.Fatalf("cancel: %d %s", resp.Status, resp.Body)
	}
	late := env.Do(t, servertest.Request{Method: http.MethodPost, Path: "/activities/" + a.ID + "/purchase", Body: `{"user_id":"late"}`})
	if late.Status != 200 || late.JSON(t)["outcome"] != "cancelled" {
		t.Fatalf("purchase after cancel: %d %s", late.Status, late.Body)
	}
	again := env.Do(t, servertest.Request{Method: http.MethodPost, Path: "/activities/" + a.ID + "/purchase", Body: `{"user_id":"early"}`})
	if again.JSON(t)["outcome"] != "already_won" || again.JSON(t)["order_id"] != won.OrderID {
		t.Fatalf("winner after cancel: %s", again.Body)
	}
	res := env.Do(t, servertest.Request{Method: http.MethodGet, Path: "/activities/" + a.ID + "/purchases/early"})
	if res.Status != 200 || res.JSON(t)["order_id"] != won.OrderID {
		t.Fatalf("purchase result after cancel: %d %s", res.Status, res.Body)
	}
	order, err := env.Redis.Client(t).HGet(context.Background(), redistest.OrderKey(a.ID, won.OrderID), "status").Result()
	if err != nil || order != "pending" {
		t.Fatalf("order after cancel: %q %v", order, err)
	}
}
