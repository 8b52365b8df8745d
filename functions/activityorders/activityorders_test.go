package activityorders_test

import (
	"fmt"
	"net/http"
	"testing"

	"seckill/functions/activityorders"
	"seckill/functions/server/servertest"
	"seckill/redislib/sale"
)

type page struct {
	Items      []sale.Order `json:"items"`
	NextCursor *string      `json:"next_cursor"`
}

func TestActivityOrders(t *testing.T) {
	env := servertest.New(t, activityorders.Function)
	a := servertest.MustActivity(t, env.Store, 10)
	for i := range 6 {
		o := servertest.MustWin(t, env.Store, a.ID, fmt.Sprintf("u%d", i))
		if i < 2 {
			servertest.MustPay(t, env.Store, o.ID)
		}
	}
	base := "/activities/" + a.ID + "/orders"
	tests := []struct {
		name       string
		path       string
		admin      bool
		header     map[string]string
		wantStatus int
		wantCode   string
		wantItems  int
	}{
		{"all", base, true, nil, http.StatusOK, "", 6},
		{"paid", base + "?status=paid", true, nil, http.StatusOK, "", 2},
		{"pending, limit 3", base + "?status=pending&limit=3", true, nil, http.StatusOK, "", 3},
		{"expired", base + "?status=expired", true, nil, http.StatusOK, "", 0},
		{"unknown status", base + "?status=shipped", true, nil, http.StatusBadRequest, "invalid_status", 0},
		{"limit 0", base + "?limit=0", true, nil, http.StatusBadRequest, "invalid_limit", 0},
		{"limit 1000", base + "?limit=1000", true, nil, http.StatusBadRequest, "invalid_limit", 0},
		{"bad cursor", base + "?cursor=%21", true, nil, http.StatusBadRequest, sale.CodeInvalidCursor, 0},
		{"unknown activity", "/activities/nope/orders", true, nil, http.StatusNotFound, sale.CodeActivityNotFound, 0},
		{"bad activity id", "/activities/a-b/orders", true, nil, http.StatusBadRequest, "invalid_id", 0},
		{"no token", base, false, nil, http.StatusUnauthorized, "unauthorized", 0},
		{"wrong token", base, false, map[string]string{"Authorization": "Bearer wrong"}, http.StatusUnauthorized, "unauthorized", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := env.Do(t, servertest.Request{Method: http.MethodGet, Path: tc.path, Admin: tc.admin, Header: tc.header})
			if r.Status != tc.wantStatus || r.ErrorCode() != tc.wantCode {
				t.Fatalf("got %d %s, want %d %q", r.Status, r.Body, tc.wantStatus, tc.wantCode)
			}
			if r.Status == http.StatusOK {
				var p page
				r.Decode(t, &p)
				if len(p.Items) != tc.wantItems {
					t.Fatalf("%d items, want %d", len(p.Items), tc.wantItems)
				}
			}
		})
	}

	// Pages of the pending orders, followed to the end.
	seen := map[string]bool{}
	path := base + "?status=pending&limit=3"
	for {
		var p page
		env.Do(t, servertest.Request{Method: http.MethodGet, Path: path, Admin: true}).Decode(t, &p)
		for _, o := range p.Items {
			if o.Status != sale.OrderPending || seen[o.ID] {
				t.Fatalf("listed %+v (seen before: %v)", o, seen[o.ID])
			}
			seen[o.ID] = true
		}
		if p.NextCursor == nil {
			break
		}
		path = base + "?status=pending&limit=3&cursor=" + *p.NextCursor
	}
	if len(seen) != 4 {
		t.Fatalf("%d pending orders listed, want 4", len(seen))
	}

	env.Redis.Kill()
	r := env.Do(t, servertest.Request{Method: http.MethodGet, Path: base, Admin: true})
	if r.Status != http.StatusServiceUnavailable || r.ErrorCode() != sale.CodeStoreUnavailable {
		t.Fatalf("Redis down: %d %s", r.Status, r.Body)
	}
}
