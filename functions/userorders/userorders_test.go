package userorders_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"seckill/functions/server"
	"seckill/functions/server/servertest"
	"seckill/functions/userorders"
	"seckill/redislib/redistest"
	"seckill/redislib/sale"
)

type page struct {
	Items      []sale.Order `json:"items"`
	NextCursor *string      `json:"next_cursor"`
}

func TestUserOrders(t *testing.T) {
	env := servertest.New(t, userorders.Function)
	// The test reads alice's history far faster than a person would: her
	// rate limit is off (TestUserOrdersRateLimited keeps it).
	env.Deps.Config.RateLimitReadRPS = 0
	env.App = server.NewApp(env.Deps, nil, userorders.Function)
	var want []string // newest first
	for range 5 {
		a := servertest.MustActivity(t, env.Store, 3)
		want = append([]string{servertest.MustWin(t, env.Store, a.ID, "alice").ID}, want...)
	}
	got, err := env.Redis.Client(t).ZRevRange(t.Context(), redistest.UserOrdersKey("alice"), 0, -1).Result()
	if err != nil {
		t.Fatal(err)
	}
	want = got // ties on a millisecond list by order ID; the index is the reference

	tests := []struct {
		name       string
		path       string
		wantStatus int
		wantCode   string
		wantItems  int
	}{
		{"default limit", "/users/alice/orders", http.StatusOK, "", 5},
		{"limit", "/users/alice/orders?limit=2", http.StatusOK, "", 2},
		{"no orders", "/users/nobody/orders", http.StatusOK, "", 0},
		{"limit 100", "/users/alice/orders?limit=100", http.StatusOK, "", 5},
		{"limit 0", "/users/alice/orders?limit=0", http.StatusBadRequest, "invalid_limit", 0},
		{"limit 101", "/users/alice/orders?limit=101", http.StatusBadRequest, "invalid_limit", 0},
		{"limit not a number", "/users/alice/orders?limit=ten", http.StatusBadRequest, "invalid_limit", 0},
		{"negative limit", "/users/alice/orders?limit=-3", http.StatusBadRequest, "invalid_limit", 0},
		{"garbage cursor", "/users/alice/orders?cursor=zzz", http.StatusBadRequest, sale.CodeInvalidCursor, 0},
		{"huge cursor", "/users/alice/orders?cursor=" + strings.Repeat("a", 300), http.StatusBadRequest, sale.CodeInvalidCursor, 0},
		{"bad user id", "/users/a%20b/orders", http.StatusBadRequest, "invalid_user_id", 0},
		{"long user id", "/users/" + strings.Repeat("u", 129) + "/orders", http.StatusBadRequest, "invalid_user_id", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := env.Do(t, servertest.Request{Method: http.MethodGet, Path: tc.path})
			if r.Status != tc.wantStatus || r.ErrorCode() != tc.wantCode {
				t.Fatalf("got %d %s, want %d %q", r.Status, r.Body, tc.wantStatus, tc.wantCode)
			}
			if r.Status == http.StatusOK {
				var p page
				r.Decode(t, &p)
				if len(p.Items) != tc.wantItems {
					t.Fatalf("%d items, want %d", len(p.Items), tc.wantItems)
				}
				if !strings.Contains(string(r.Body), `"items":[`) || !strings.Contains(string(r.Body), `"next_cursor":`) {
					t.Fatalf("body shape: %s", r.Body)
				}
			}
		})
	}

	// Follow the cursor across pages of two.
	var ids []string
	path := "/users/alice/orders?limit=2"
	for {
		r := env.Do(t, servertest.Request{Method: http.MethodGet, Path: path})
		var p page
		r.Decode(t, &p)
		for _, o := range p.Items {
			ids = append(ids, o.ID)
		}
		if p.NextCursor == nil {
			break
		}
		path = "/users/alice/orders?limit=2&cursor=" + *p.NextCursor
	}
	if !slices.Equal(ids, want) {
		t.Fatalf("listed %v, want %v", ids, want)
	}

	env.Redis.Kill()
	r := env.Do(t, servertest.Request{Method: http.MethodGet, Path: "/users/alice/orders"})
	if r.Status != http.StatusServiceUnavailable || r.ErrorCode() != sale.CodeStoreUnavailable {
		t.Fatalf("Redis down: %d %s", r.Status, r.Body)
	}
}

// TestUserOrdersRateLimited: one user's history is rate limited, so it
// cannot be read at line rate.
func TestUserOrdersRateLimited(t *testing.T) {
	env := servertest.New(t, userorders.Function)
	env.Deps.Config.RateLimitReadRPS, env.Deps.Config.RateLimitReadBurst = 0.01, 10 // no refill during the test
	env.App = server.NewApp(env.Deps, nil, userorders.Function)
	statuses := make([]int, 12)
	for i := range statuses {
		statuses[i] = env.Do(t, servertest.Request{Method: http.MethodGet, Path: "/users/alice/orders"}).Status
	}
	if statuses[9] != http.StatusOK || statuses[10] != http.StatusTooManyRequests {
		t.Fatalf("statuses %v: want 200 up to the burst of 10, then 429", statuses)
	}
}
