package purchaseresult_test

import (
	"context"
	"testing"

	"seckill/functions/purchaseresult"
	"seckill/functions/server/servertest"
	"seckill/redislib/sale"
)

func TestPurchaseResult(t *testing.T) {
	env := servertest.New(t, purchaseresult.Function)
	a := servertest.MustActivity(t, env.Store, 1)
	won, err := env.Store.Purchase(context.Background(), a.ID, "alice", sale.Rate{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.Store.Purchase(context.Background(), a.ID, "bob", sale.Rate{}); err != nil {
		t.Fatal(err)
	}
	// carol's order is cancelled: it stays hers, but holds nothing.
	b := servertest.MustActivity(t, env.Store, 1)
	closed, err := env.Store.Purchase(context.Background(), b.ID, "carol", sale.Rate{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.Store.CancelOrder(context.Background(), closed.OrderID, "carol", false); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name        string
		path        string
		wantStatus  int
		wantCode    string
		wantWon     bool
		wantOrder   string
		orderStatus string
	}{
		{"winner", "/activities/" + a.ID + "/purchases/alice", 200, "", true, won.OrderID, "pending"},
		{"loser", "/activities/" + a.ID + "/purchases/bob", 200, "", false, "", ""},
		{"never tried", "/activities/" + a.ID + "/purchases/carol", 200, "", false, "", ""},
		{"cancelled order", "/activities/" + b.ID + "/purchases/carol", 200, "", false, closed.OrderID, "cancelled"},
		{"unknown activity", "/activities/nosuch/purchases/alice", 404, "activity_not_found", false, "", ""},
		{"invalid user", "/activities/" + a.ID + "/purchases/a%20b", 400, "invalid_user_id", false, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := env.Do(t, servertest.Request{Method: "GET", Path: tt.path})
			if resp.Status != tt.wantStatus || resp.ErrorCode() != tt.wantCode {
				t.Fatalf("got %d %s, want %d %q", resp.Status, resp.Body, tt.wantStatus, tt.wantCode)
			}
			if tt.wantStatus != 200 {
				return
			}
			var got purchaseresult.Result
			resp.Decode(t, &got)
			if got.Won != tt.wantWon || got.OrderID != tt.wantOrder || got.Status != tt.orderStatus {
				t.Fatalf("got %+v, want won=%v order=%q status=%q", got, tt.wantWon, tt.wantOrder, tt.orderStatus)
			}
		})
	}
}
