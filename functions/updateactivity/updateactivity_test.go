package updateactivity_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"seckill/functions/getactivity"
	"seckill/functions/httpapi"
	"seckill/functions/server/servertest"
	"seckill/functions/updateactivity"
	"seckill/redislib/redistest"
	"seckill/redislib/sale"
)

func TestUpdateActivity(t *testing.T) {
	env := servertest.New(t, updateactivity.Function, getactivity.Function)
	ctx := context.Background()
	now := time.Now().UTC()
	at := func(d time.Duration) string { return now.Add(d).Truncate(time.Millisecond).Format(time.RFC3339Nano) }
	other := servertest.MustProduct(t, env.Store)
	gone := servertest.MustProduct(t, env.Store)
	if _, err := env.Store.DeleteProduct(ctx, gone.ID); err != nil {
		t.Fatal(err)
	}
	scheduled := func() sale.Activity { return servertest.MustScheduled(t, env.Store, 10) }
	running := func() sale.Activity { return servertest.MustActivity(t, env.Store, 10) }
	// scheduledWithSold is scheduled with 5 of its 10 units gone from its
	// remaining stock, as if sold, a state no API call makes before the
	// start; the rule holds regardless.
	scheduledWithSold := func() sale.Activity {
		a := scheduled()
		rdb := env.Redis.Client(t)
		rdb.DecrBy(ctx, redistest.StockKey(a.ID), 5)
		return a
	}
	type check func(t *testing.T, before, got sale.Activity)
	tests := []struct {
		name       string
		activity   func() sale.Activity
		path       string
		body       string
		bodyOf     func(a sale.Activity) string // instead of body
		noAdmin    bool
		header     map[string]string
		wantStatus int
		wantCode   string
		check      check
	}{
		{name: "scheduled: every field", activity: scheduled, wantStatus: 200,
			body: fmt.Sprintf(`{"product_id":%q,"stock":20,"price":5,"starts_at":%q,"ends_at":%q,"payment_window":0}`, other.ID, at(30*time.Minute), at(3*time.Hour)),
			check: func(t *testing.T, _, got sale.Activity) {
				if got.ProductID != other.ID || got.Stock != 20 || got.Remaining != 20 || got.Price != 5 || got.PaymentWindow != 0 ||
					got.StartsAt.Format(time.RFC3339Nano) != at(30*time.Minute) || got.EndsAt.Format(time.RFC3339Nano) != at(3*time.Hour) {
					t.Fatalf("got %+v", got)
				}
			}},
		{name: "scheduled: stock down", activity: scheduled, body: `{"stock":1}`, wantStatus: 200,
			check: func(t *testing.T, _, got sale.Activity) {
				if got.Stock != 1 || got.Remaining != 1 || got.Status != sale.StatusScheduled {
					t.Fatalf("got %+v", got)
				}
			}},
		{name: "scheduled: stock down to the units sold", activity: scheduledWithSold, body: `{"stock":5}`, wantStatus: 200,
			check: func(t *testing.T, _, got sale.Activity) {
				if got.Stock != 5 || got.Remaining != 0 || got.Sold != 5 {
					t.Fatalf("got %+v", got)
				}
			}},
		{name: "scheduled: start now", activity: scheduled, body: fmt.Sprintf(`{"starts_at":%q}`, at(-time.Minute)), wantStatus: 200,
			check: func(t *testing.T, _, got sale.Activity) {
				if got.Status != sale.StatusRunning {
					t.Fatalf("status %s", got.Status)
				}
			}},
		{name: "scheduled: longest payment window", activity: scheduled, body: `{"payment_window":604800}`, wantStatus: 200,
			check: func(t *testing.T, _, got sale.Activity) {
				if got.PaymentWindow != 604800 {
					t.Fatalf("payment window %d", got.PaymentWindow)
				}
			}},
		{name: "running: extend", activity: running, body: fmt.Sprintf(`{"ends_at":%q}`, at(3*time.Hour)), wantStatus: 200,
			check: func(t *testing.T, _, got sale.Activity) {
				if got.EndsAt.Format(time.RFC3339Nano) != at(3*time.Hour) || got.Status != sale.StatusRunning {
					t.Fatalf("got %+v", got)
				}
			}},
		{name: "running: shorten", activity: running, body: fmt.Sprintf(`{"ends_at":%q}`, at(10*time.Minute)), wantStatus: 200,
			check: func(t *testing.T, _, got sale.Activity) {
				if got.EndsAt.Format(time.RFC3339Nano) != at(10*time.Minute) {
					t.Fatalf("ends at %v", got.EndsAt)
				}
			}},
		{name: "running: unchanged fields are no change", activity: running, wantStatus: 200,
			body: fmt.Sprintf(`{"price":999,"stock":10,"payment_window":900,"ends_at":%q}`, at(3*time.Hour)),
			check: func(t *testing.T, before, got sale.Activity) {
				if got.Price != before.Price || got.EndsAt.Format(time.RFC3339Nano) != at(3*time.Hour) {
					t.Fatalf("got %+v", got)
				}
			}},
		{name: "running: same product", activity: running, wantStatus: 200,
			bodyOf: func(a sale.Activity) string { return fmt.Sprintf(`{"product_id":%q}`, a.ProductID) },
			check: func(t *testing.T, before, got sale.Activity) {
				if got.UpdatedAt != before.UpdatedAt {
					t.Fatalf("an update with no change wrote: %v -> %v", before.UpdatedAt, got.UpdatedAt)
				}
			}},
		{name: "running: price", activity: running, body: `{"price":1}`, wantStatus: 409, wantCode: sale.CodeActivityStarted},
		{name: "running: stock", activity: running, body: `{"stock":11}`, wantStatus: 409, wantCode: sale.CodeActivityStarted},
		{name: "running: starts_at", activity: running, body: fmt.Sprintf(`{"starts_at":%q}`, at(-2*time.Minute)), wantStatus: 409, wantCode: sale.CodeActivityStarted},
		{name: "running: payment window", activity: running, body: `{"payment_window":60}`, wantStatus: 409, wantCode: sale.CodeActivityStarted},
		{name: "running: product", activity: running, body: fmt.Sprintf(`{"product_id":%q}`, other.ID), wantStatus: 409, wantCode: sale.CodeActivityStarted},
		{name: "running: ends_at with a change of price", activity: running, body: fmt.Sprintf(`{"price":1,"ends_at":%q}`, at(3*time.Hour)),
			wantStatus: 409, wantCode: sale.CodeActivityStarted},
		{name: "running: ends_at in the past", activity: running, body: fmt.Sprintf(`{"ends_at":%q}`, at(-time.Second)), wantStatus: 400, wantCode: sale.CodeEndsInPast},
		{name: "sold out: ends_at", activity: func() sale.Activity { return servertest.MustSoldOut(t, env.Store) },
			body: fmt.Sprintf(`{"ends_at":%q}`, at(3*time.Hour)), wantStatus: 200},
		{name: "ended", activity: func() sale.Activity { return servertest.MustEnded(t, env.Store, 10) },
			body: fmt.Sprintf(`{"ends_at":%q}`, at(3*time.Hour)), wantStatus: 409, wantCode: sale.CodeActivityEnded},
		{name: "cancelled", activity: func() sale.Activity { return servertest.MustCancelled(t, env.Store, 10) },
			body: fmt.Sprintf(`{"ends_at":%q}`, at(3*time.Hour)), wantStatus: 409, wantCode: sale.CodeActivityCancelled},
		{name: "stock below sold", activity: scheduledWithSold, body: `{"stock":4}`, wantStatus: 409, wantCode: sale.CodeStockBelowSold},
		{name: "ends before the stored start", activity: scheduled, body: fmt.Sprintf(`{"ends_at":%q}`, at(30*time.Minute)),
			wantStatus: 400, wantCode: sale.CodeInvalidTimeRange},
		{name: "starts after the stored end", activity: scheduled, body: fmt.Sprintf(`{"starts_at":%q}`, at(3*time.Hour)),
			wantStatus: 400, wantCode: sale.CodeInvalidTimeRange},
		{name: "starts after the given end", activity: scheduled, body: fmt.Sprintf(`{"starts_at":%q,"ends_at":%q}`, at(3*time.Hour), at(2*time.Hour)),
			wantStatus: 400, wantCode: sale.CodeInvalidTimeRange},
		{name: "unknown product", activity: scheduled, body: `{"product_id":"nosuchproduct"}`, wantStatus: 400, wantCode: sale.CodeUnknownProduct},
		{name: "deleted product", activity: scheduled, body: fmt.Sprintf(`{"product_id":%q}`, gone.ID), wantStatus: 400, wantCode: sale.CodeProductDeleted},
		{name: "bad product id", activity: scheduled, body: `{"product_id":"a-b"}`, wantStatus: 400, wantCode: sale.CodeInvalidID},
		{name: "zero stock", activity: scheduled, body: `{"stock":0}`, wantStatus: 400, wantCode: sale.CodeInvalidStock},
		{name: "too much stock", activity: scheduled, body: `{"stock":10000001}`, wantStatus: 400, wantCode: sale.CodeInvalidStock},
		{name: "negative price", activity: scheduled, body: `{"price":-1}`, wantStatus: 400, wantCode: sale.CodeInvalidPrice},
		{name: "bad starts_at", activity: scheduled, body: `{"starts_at":"tomorrow"}`, wantStatus: 400, wantCode: sale.CodeInvalidTime},
		{name: "bad ends_at", activity: scheduled, body: `{"ends_at":"2030-01-01"}`, wantStatus: 400, wantCode: sale.CodeInvalidTime},
		{name: "negative payment window", activity: scheduled, body: `{"payment_window":-1}`, wantStatus: 400, wantCode: sale.CodeInvalidPaymentWindow},
		{name: "payment window too long", activity: scheduled, body: `{"payment_window":604801}`, wantStatus: 400, wantCode: sale.CodeInvalidPaymentWindow},
		{name: "nothing to change", activity: scheduled, body: `{}`, wantStatus: 400, wantCode: sale.CodeEmptyUpdate},
		{name: "null only", activity: scheduled, body: `{"price":null}`, wantStatus: 400, wantCode: sale.CodeEmptyUpdate},
		{name: "unknown field", activity: scheduled, body: `{"status":"running"}`, wantStatus: 400, wantCode: httpapi.CodeUnknownField},
		{name: "wrong type", activity: scheduled, body: `{"stock":"5"}`, wantStatus: 400, wantCode: httpapi.CodeInvalidFieldType},
		{name: "empty body", activity: scheduled, body: "", wantStatus: 400, wantCode: httpapi.CodeEmptyBody},
		{name: "malformed", activity: scheduled, body: `{"stock":5`, wantStatus: 400, wantCode: httpapi.CodeMalformedJSON},
		{name: "bad id", activity: scheduled, path: "/activities/bad.id", body: `{"price":1}`, wantStatus: 400, wantCode: sale.CodeInvalidID},
		{name: "unknown activity", activity: scheduled, path: "/activities/nosuch", body: `{"price":1}`, wantStatus: 404, wantCode: sale.CodeActivityNotFound},
		{name: "unknown activity, with product", activity: scheduled, path: "/activities/nosuch", body: fmt.Sprintf(`{"product_id":%q}`, other.ID),
			wantStatus: 404, wantCode: sale.CodeActivityNotFound},
		{name: "no token", activity: scheduled, body: `{"price":1}`, noAdmin: true, wantStatus: 401, wantCode: httpapi.CodeUnauthorized},
		{name: "wrong token", activity: scheduled, body: `{"price":1}`, noAdmin: true, header: map[string]string{"Authorization": "Bearer x"},
			wantStatus: 401, wantCode: httpapi.CodeUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := tt.activity()
			path := tt.path
			if path == "" {
				path = "/activities/" + a.ID
			}
			body := tt.body
			if tt.bodyOf != nil {
				body = tt.bodyOf(a)
			}
			get := servertest.Request{Method: http.MethodGet, Path: "/activities/" + a.ID}
			before := env.Do(t, get)
			resp := env.Do(t, servertest.Request{Method: http.MethodPatch, Path: path, Body: body, Admin: !tt.noAdmin, Header: tt.header})
			if resp.Status != tt.wantStatus || resp.ErrorCode() != tt.wantCode {
				t.Fatalf("status %d code %q, want %d %q: %s", resp.Status, resp.ErrorCode(), tt.wantStatus, tt.wantCode, resp.Body)
			}
			after := env.Do(t, get)
			if tt.wantStatus != 200 {
				if string(after.Body) != string(before.Body) {
					t.Fatalf("a refused update wrote:\n%s\n%s", before.Body, after.Body)
				}
				return
			}
			var b, got, stored sale.Activity
			before.Decode(t, &b)
			resp.Decode(t, &got)
			after.Decode(t, &stored)
			if got.ID != a.ID || got.Remaining+got.Sold != got.Stock || stored.UpdatedAt != got.UpdatedAt || stored.EndsAt != got.EndsAt {
				t.Fatalf("answer %s, stored %s", resp.Body, after.Body)
			}
			if tt.check != nil {
				tt.check(t, b, got)
			}
		})
	}
}
