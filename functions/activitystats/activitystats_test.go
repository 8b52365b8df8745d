package activitystats_test

import (
	"fmt"
	"net/http"
	"testing"

	"seckill/functions/activitystats"
	"seckill/functions/server/servertest"
	"seckill/redislib/redistest"
	"seckill/redislib/sale"
)

func TestActivityStats(t *testing.T) {
	env := servertest.New(t, activitystats.Function)
	ctx := t.Context()
	a := servertest.MustActivity(t, env.Store, 10)
	for _, u := range []string{"paid", "cancelled", "pending"} {
		o := servertest.MustWin(t, env.Store, a.ID, u)
		switch u {
		case "paid":
			servertest.MustPay(t, env.Store, o.ID)
		case "cancelled":
			if _, err := env.Store.CancelOrder(ctx, o.ID, u, false); err != nil {
				t.Fatal(err)
			}
		}
	}
	path := "/activities/" + a.ID + "/stats"
	tests := []struct {
		name       string
		path       string
		admin      bool
		header     map[string]string
		wantStatus int
		wantCode   string
	}{
		{"stats", path, true, nil, http.StatusOK, ""},
		{"unknown activity", "/activities/nope/stats", true, nil, http.StatusNotFound, sale.CodeActivityNotFound},
		{"bad activity id", "/activities/a.b/stats", true, nil, http.StatusBadRequest, "invalid_id"},
		{"no token", path, false, nil, http.StatusUnauthorized, "unauthorized"},
		{"wrong token", path, false, map[string]string{"Authorization": "Bearer " + servertest.AdminToken + "x"}, http.StatusUnauthorized, "unauthorized"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := env.Do(t, servertest.Request{Method: http.MethodGet, Path: tc.path, Admin: tc.admin, Header: tc.header})
			if r.Status != tc.wantStatus || r.ErrorCode() != tc.wantCode {
				t.Fatalf("got %d %s, want %d %q", r.Status, r.Body, tc.wantStatus, tc.wantCode)
			}
		})
	}

	got := env.Do(t, servertest.Request{Method: http.MethodGet, Path: path, Admin: true}).JSON(t)
	want := map[string]any{"activity_id": a.ID, "shards": 1.0, "in_transfer": 0.0, "stock": 10.0, "initial_stock": 10.0, "remaining": 8.0, "pending": 1.0,
		"paid": 1.0, "cancelled": 1.0, "expired": 0.0, "overdue": 0.0, "buyers": 3.0, "consistent": true}
	if len(got) != len(want) {
		t.Fatalf("stats %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Fatalf("%s = %v, want %v (all: %v)", k, got[k], v, got)
		}
	}

	// A stock key out of line with the counters is reported, not hidden.
	env.Redis.Client(t).IncrBy(ctx, redistest.StockKey(a.ID), 1)
	if got := env.Do(t, servertest.Request{Method: http.MethodGet, Path: path, Admin: true}).JSON(t); got["consistent"] != false {
		t.Fatalf("inconsistent stock reported as %v", got)
	}

	// Four buckets: the counters are the sums over them.
	b := servertest.MustActivity(t, env.Store, 12, redistest.Buckets(4))
	for i := range 7 {
		o := servertest.MustWin(t, env.Store, b.ID, fmt.Sprintf("user-%d", i))
		if i < 2 {
			servertest.MustPay(t, env.Store, o.ID)
		}
		if i == 6 {
			if _, err := env.Store.CancelOrder(ctx, o.ID, "", true); err != nil {
				t.Fatal(err)
			}
		}
	}
	got = env.Do(t, servertest.Request{Method: http.MethodGet, Path: "/activities/" + b.ID + "/stats", Admin: true}).JSON(t)
	want = map[string]any{"activity_id": b.ID, "shards": 4.0, "in_transfer": 0.0, "stock": 12.0, "initial_stock": 12.0,
		"remaining": 6.0, "pending": 4.0, "paid": 2.0, "cancelled": 1.0, "expired": 0.0, "overdue": 0.0, "buyers": 7.0, "consistent": true}
	for k, v := range want {
		if got[k] != v {
			t.Fatalf("four buckets: %s = %v, want %v (all: %v)", k, got[k], v, got)
		}
	}

	env.Redis.Kill()
	r := env.Do(t, servertest.Request{Method: http.MethodGet, Path: path, Admin: true})
	if r.Status != http.StatusServiceUnavailable || r.ErrorCode() != sale.CodeStoreUnavailable {
		t.Fatalf("Redis down: %d %s", r.Status, r.Body)
	}
}
