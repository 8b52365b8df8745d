package adjuststock_test

import (
	"context"
	"net/http"
	"testing"

	"seckill/functions/adjuststock"
	"seckill/functions/getactivity"
	"seckill/functions/httpapi"
	"seckill/functions/server/servertest"
	"seckill/redislib/sale"
)

func TestAdjustStock(t *testing.T) {
	env := servertest.New(t, adjuststock.Function, getactivity.Function)
	running := func() sale.Activity { return servertest.MustActivity(t, env.Store, 10) }
	// sold3 is a running activity of 10 units with 3 sold.
	sold3 := func() sale.Activity {
		a := running()
		for _, u := range []string{"u1", "u2", "u3"} {
			if _, err := env.Store.Purchase(context.Background(), a.ID, u, sale.Rate{}); err != nil {
				t.Fatal(err)
			}
		}
		return a
	}
	tests := []struct {
		name          string
		activity      func() sale.Activity
		path          string
		body          any
		noAdmin       bool
		header        map[string]string
		wantStatus    int
		wantCode      string
		wantStock     int64
		wantRemaining int64
	}{
		{name: "add", activity: running, body: `{"delta":5}`, wantStatus: 200, wantStock: 15, wantRemaining: 15},
		{name: "remove unsold", activity: sold3, body: `{"delta":-7}`, wantStatus: 200, wantStock: 3, wantRemaining: 0},
		{name: "add to sold-out", activity: func() sale.Activity { return servertest.MustSoldOut(t, env.Store) },
			body: `{"delta":2}`, wantStatus: 200, wantStock: 3, wantRemaining: 2},
		{name: "add before start", activity: func() sale.Activity { return servertest.MustScheduled(t, env.Store, 10) },
			body: `{"delta":1}`, wantStatus: 200, wantStock: 11, wantRemaining: 11},
		{name: "up to the maximum", activity: running, body: `{"delta":9999990}`, wantStatus: 200, wantStock: 10_000_000, wantRemaining: 10_000_000},
		{name: "below sold", activity: sold3, body: `{"delta":-8}`, wantStatus: 409, wantCode: sale.CodeStockBelowSold},
		{name: "to zero", activity: running, body: `{"delta":-10}`, wantStatus: 409, wantCode: sale.CodeStockOutOfRange},
		{name: "above the maximum", activity: running, body: `{"delta":9999991}`, wantStatus: 409, wantCode: sale.CodeStockOutOfRange},
		{name: "ended", activity: func() sale.Activity { return servertest.MustEnded(t, env.Store, 10) },
			body: `{"delta":1}`, wantStatus: 409, wantCode: sale.CodeActivityEnded},
		{name: "cancelled", activity: func() sale.Activity { return servertest.MustCancelled(t, env.Store, 10) },
			body: `{"delta":1}`, wantStatus: 409, wantCode: sale.CodeActivityCancelled},
		{name: "zero delta", activity: running, body: `{"delta":0}`, wantStatus: 400, wantCode: sale.CodeInvalidDelta},
		{name: "delta too large", activity: running, body: `{"delta":10000001}`, wantStatus: 400, wantCode: sale.CodeInvalidDelta},
		{name: "delta too small", activity: running, body: `{"delta":-10000001}`, wantStatus: 400, wantCode: sale.CodeInvalidDelta},
		{name: "fractional delta", activity: running, body: `{"delta":1.5}`, wantStatus: 400, wantCode: httpapi.CodeInvalidFieldType},
		{name: "string delta", activity: running, body: `{"delta":"1"}`, wantStatus: 400, wantCode: httpapi.CodeInvalidFieldType},
		{name: "missing delta", activity: running, body: `{}`, wantStatus: 400, wantCode: httpapi.CodeMissingField},
		{name: "unknown field", activity: running, body: `{"delta":1,"stock":3}`, wantStatus: 400, wantCode: httpapi.CodeUnknownField},
		{name: "empty body", activity: running, body: "", wantStatus: 400, wantCode: httpapi.CodeEmptyBody},
		{name: "malformed", activity: running, body: `{"delta":`, wantStatus: 400, wantCode: httpapi.CodeMalformedJSON},
		{name: "bad id", activity: running, path: "/activities/x-y/stock", body: `{"delta":1}`, wantStatus: 400, wantCode: sale.CodeInvalidID},
		{name: "unknown activity", activity: running, path: "/activities/nosuch/stock", body: `{"delta":1}`,
			wantStatus: 404, wantCode: sale.CodeActivityNotFound},
		{name: "no token", activity: running, body: `{"delta":1}`, noAdmin: true, wantStatus: 401, wantCode: httpapi.CodeUnauthorized},
		{name: "wrong token", activity: running, body: `{"delta":1}`, noAdmin: true, header: map[string]string{"Authorization": "Basic x"},
			wantStatus: 401, wantCode: httpapi.CodeUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := tt.activity()
			path := tt.path
			if path == "" {
				path = "/activities/" + a.ID + "/stock"
			}
			get := servertest.Request{Method: http.MethodGet, Path: "/activities/" + a.ID}
			before := env.Do(t, get).JSON(t)
			resp := env.Do(t, servertest.Request{Method: http.MethodPost, Path: path, Body: tt.body, Admin: !tt.noAdmin, Header: tt.header})
			if resp.Status != tt.wantStatus || resp.ErrorCode() != tt.wantCode {
				t.Fatalf("status %d code %q, want %d %q: %s", resp.Status, resp.ErrorCode(), tt.wantStatus, tt.wantCode, resp.Body)
			}
			after := env.Do(t, get).JSON(t)
			if tt.wantStatus != 200 {
				if after["stock"] != before["stock"] || after["remaining"] != before["remaining"] || after["updated_at"] != before["updated_at"] {
					t.Fatalf("a refused change wrote: before %v, after %v", before, after)
				}
				return
			}
			var got sale.Activity
			resp.Decode(t, &got)
			if got.Stock != tt.wantStock || got.Remaining != tt.wantRemaining || got.Sold != tt.wantStock-tt.wantRemaining {
				t.Fatalf("stock %d remaining %d sold %d, want %d %d", got.Stock, got.Remaining, got.Sold, tt.wantStock, tt.wantRemaining)
			}
			if after["stock"] != float64(tt.wantStock) || after["remaining"] != float64(tt.wantRemaining) {
				t.Fatalf("stored %v", after)
			}
		})
	}
}
