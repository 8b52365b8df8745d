package getactivity_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"seckill/functions/getactivity"
	"seckill/functions/server/servertest"
	"seckill/redislib/redistest"
	"seckill/redislib/sale"
)

func TestGetActivity(t *testing.T) {
	env := servertest.New(t, getactivity.Function)
	running := servertest.MustActivity(t, env.Store, 3)
	scheduled := servertest.MustActivity(t, env.Store, 3, servertest.Window(time.Hour, 2*time.Hour))
	if _, err := env.Store.Purchase(context.Background(), running.ID, "u1", sale.Rate{}); err != nil {
		t.Fatal(err)
	}
	// Six buckets: users spread over them, and a bucket that runs out takes
	// units from the others; the answer sums the buckets.
	sharded := servertest.MustActivity(t, env.Store, 8, redistest.Buckets(6))
	for i := range 5 {
		if _, err := env.Store.Purchase(context.Background(), sharded.ID, fmt.Sprintf("s%d", i), sale.Rate{}); err != nil {
			t.Fatal(err)
		}
	}
	soldOut := servertest.MustActivity(t, env.Store, 3, redistest.Buckets(3))
	for i := range 6 {
		if _, err := env.Store.Purchase(context.Background(), soldOut.ID, fmt.Sprintf("s%d", i), sale.Rate{}); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name       string
		path       string
		wantStatus int
		wantCode   string
		want       map[string]any
	}{
		{"running after a sale", "/activities/" + running.ID, 200, "",
			map[string]any{"id": running.ID, "stock": 3.0, "remaining": 2.0, "sold": 1.0, "status": "running"}},
		{"six buckets", "/activities/" + sharded.ID, 200, "",
			map[string]any{"stock": 8.0, "remaining": 3.0, "sold": 5.0, "shards": 6.0, "status": "running"}},
		{"three buckets sold out", "/activities/" + soldOut.ID, 200, "",
			map[string]any{"stock": 3.0, "remaining": 0.0, "sold": 3.0, "shards": 3.0, "status": "sold_out"}},
		{"scheduled", "/activities/" + scheduled.ID, 200, "", map[string]any{"status": "scheduled", "remaining": 3.0}},
		{"unknown", "/activities/nosuch", 404, "activity_not_found", nil},
		{"invalid id", "/activities/x%20y", 400, "invalid_id", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := env.Do(t, servertest.Request{Method: "GET", Path: tt.path})
			if resp.Status != tt.wantStatus || resp.ErrorCode() != tt.wantCode {
				t.Fatalf("got %d %s, want %d %q", resp.Status, resp.Body, tt.wantStatus, tt.wantCode)
			}
			got := map[string]any{}
			if tt.want != nil {
				got = resp.JSON(t)
			}
			for k, v := range tt.want {
				if got[k] != v {
					t.Errorf("%s = %v, want %v", k, got[k], v)
				}
			}
			for _, field := range []string{"product_id", "price", "starts_at", "ends_at"} {
				if _, ok := got[field]; tt.want != nil && !ok {
					t.Errorf("field %s missing", field)
				}
			}
		})
	}
}
