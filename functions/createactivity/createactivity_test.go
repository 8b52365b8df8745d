package createactivity_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"seckill/functions/createactivity"
	"seckill/functions/httpapi"
	"seckill/functions/listactivities"
	"seckill/functions/server/servertest"
	"seckill/redislib/sale"
)

// TestCreateActivityValidation checks that each creation rule fails with its
// own 400 code and writes nothing.
func TestCreateActivityValidation(t *testing.T) {
	env := servertest.New(t, createactivity.Function, listactivities.Function)
	product := servertest.MustProduct(t, env.Store)
	gone := servertest.MustProduct(t, env.Store)
	if _, err := env.Store.DeleteProduct(context.Background(), gone.ID); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	at := func(d time.Duration) string { return now.Add(d).Format(time.RFC3339) }
	body := func(productID string, stock, price int64, starts, ends string) string {
		return fmt.Sprintf(`{"product_id":%q,"stock":%d,"price":%d,"starts_at":%q,"ends_at":%q}`, productID, stock, price, starts, ends)
	}
	tests := []struct {
		name       string
		body       string
		noAdmin    bool
		wantStatus int
		wantCode   string
	}{
		{"valid", body(product.ID, 10, 100, at(-time.Hour), at(time.Hour)), false, 201, ""},
		{"smallest stock, free", body(product.ID, 1, 0, at(time.Hour), at(2*time.Hour)), false, 201, ""},
		{"largest stock", body(product.ID, 10_000_000, 1, at(time.Hour), at(2*time.Hour)), false, 201, ""},
		{"unknown product", body("nosuchproduct", 10, 100, at(-time.Hour), at(time.Hour)), false, 400, sale.CodeUnknownProduct},
		{"deleted product", body(gone.ID, 10, 100, at(-time.Hour), at(time.Hour)), false, 400, sale.CodeProductDeleted},
		{"bad product id", body("a b", 10, 100, at(-time.Hour), at(time.Hour)), false, 400, sale.CodeInvalidID},
		{"zero stock", body(product.ID, 0, 100, at(-time.Hour), at(time.Hour)), false, 400, sale.CodeInvalidStock},
		{"too much stock", body(product.ID, 10_000_001, 100, at(-time.Hour), at(time.Hour)), false, 400, sale.CodeInvalidStock},
		{"negative price", body(product.ID, 10, -1, at(-time.Hour), at(time.Hour)), false, 400, sale.CodeInvalidPrice},
		{"starts at the end", body(product.ID, 10, 100, at(time.Hour), at(time.Hour)), false, 400, sale.CodeInvalidTimeRange},
		{"starts after the end", body(product.ID, 10, 100, at(2*time.Hour), at(time.Hour)), false, 400, sale.CodeInvalidTimeRange},
		{"ends in the past", body(product.ID, 10, 100, at(-2*time.Hour), at(-time.Hour)), false, 400, sale.CodeEndsInPast},
		{"bad time", body(product.ID, 10, 100, "now", at(time.Hour)), false, 400, sale.CodeInvalidTime},
		{"negative payment window", fmt.Sprintf(`{"product_id":%q,"stock":1,"price":1,"starts_at":%q,"ends_at":%q,"payment_window":-1}`,
			product.ID, at(-time.Hour), at(time.Hour)), false, 400, sale.CodeInvalidPaymentWindow},
		{"payment window too long", fmt.Sprintf(`{"product_id":%q,"stock":1,"price":1,"starts_at":%q,"ends_at":%q,"payment_window":604801}`,
			product.ID, at(-time.Hour), at(time.Hour)), false, 400, sale.CodeInvalidPaymentWindow},
		{"six shards", withShards(body(product.ID, 60, 100, at(-time.Hour), at(time.Hour)), "6"), false, 201, ""},
		{"most shards", withShards(body(product.ID, 10, 100, at(-time.Hour), at(time.Hour)), "64"), false, 201, ""},
		{"one shard", withShards(body(product.ID, 10, 100, at(-time.Hour), at(time.Hour)), "1"), false, 201, ""},
		{"zero shards", withShards(body(product.ID, 10, 100, at(-time.Hour), at(time.Hour)), "0"), false, 400, sale.CodeInvalidShards},
		{"too many shards", withShards(body(product.ID, 10, 100, at(-time.Hour), at(time.Hour)), "65"), false, 400, sale.CodeInvalidShards},
		{"negative shards", withShards(body(product.ID, 10, 100, at(-time.Hour), at(time.Hour)), "-1"), false, 400, sale.CodeInvalidShards},
		{"shards as a string", withShards(body(product.ID, 10, 100, at(-time.Hour), at(time.Hour)), `"6"`), false, 400, httpapi.CodeInvalidFieldType},
		{"fractional shards", withShards(body(product.ID, 10, 100, at(-time.Hour), at(time.Hour)), "1.5"), false, 400, httpapi.CodeInvalidFieldType},
		{"missing stock", fmt.Sprintf(`{"product_id":%q,"price":1,"starts_at":%q,"ends_at":%q}`, product.ID, at(-time.Hour), at(time.Hour)),
			false, 400, httpapi.CodeMissingField},
		{"no token", body(product.ID, 10, 100, at(-time.Hour), at(time.Hour)), true, 401, httpapi.CodeUnauthorized},
	}
	created := 0
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := env.Do(t, servertest.Request{Method: http.MethodPost, Path: "/activities", Body: tt.body, Admin: !tt.noAdmin})
			if resp.Status != tt.wantStatus || resp.ErrorCode() != tt.wantCode {
				t.Fatalf("status %d code %q, want %d %q: %s", resp.Status, resp.ErrorCode(), tt.wantStatus, tt.wantCode, resp.Body)
			}
			if resp.Status == 201 {
				created++
			}
			var page sale.Page[sale.Activity]
			env.Do(t, servertest.Request{Method: http.MethodGet, Path: "/activities?limit=100"}).Decode(t, &page)
			if len(page.Items) != created {
				t.Fatalf("%d activities listed, %d created", len(page.Items), created)
			}
		})
	}
}

// withShards adds "shards": value to a JSON object body.
func withShards(body, value string) string {
	return body[:len(body)-1] + `,"shards":` + value + "}"
}

// TestCreateShardedActivity: the answer and later reads carry the shards
// and the whole stock; the default is one bucket.
func TestCreateShardedActivity(t *testing.T) {
	env := servertest.New(t, createactivity.Function)
	product := servertest.MustProduct(t, env.Store)
	now := time.Now().UTC()
	base := fmt.Sprintf(`{"product_id":%q,"stock":60,"price":100,"starts_at":%q,"ends_at":%q}`,
		product.ID, now.Add(-time.Hour).Format(time.RFC3339), now.Add(time.Hour).Format(time.RFC3339))
	tests := []struct {
		name       string
		body       string
		wantShards int
	}{
		{"default", base, 1},
		{"six", withShards(base, "6"), 6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := env.Do(t, servertest.Request{Method: http.MethodPost, Path: "/activities", Body: tt.body, Admin: true})
			var a sale.Activity
			resp.Decode(t, &a)
			if resp.Status != 201 || a.Buckets != tt.wantShards || a.Remaining != 60 || a.Stock != 60 {
				t.Fatalf("status %d, activity %+v; want 201 with %d shards and 60 remaining", resp.Status, a, tt.wantShards)
			}
			stored, err := env.Store.Activity(context.Background(), a.ID)
			if err != nil || stored.Buckets != tt.wantShards || stored.Remaining != 60 {
				t.Fatalf("stored %+v, %v", stored, err)
			}
		})
	}
}
