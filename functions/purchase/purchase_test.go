package purchase_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"seckill/functions/purchase"
	"seckill/functions/server/servertest"
	"seckill/redislib/redistest"
	"seckill/redislib/sale"
)

func TestPurchase(t *testing.T) {
	env := servertest.New(t, purchase.Function)
	a := servertest.MustActivity(t, env.Store, 1)
	scheduled := servertest.MustActivity(t, env.Store, 1, servertest.Window(time.Hour, 2*time.Hour))
	path := "/activities/" + a.ID + "/purchase"
	tests := []struct {
		name        string
		path        string
		body        any
		wantStatus  int
		wantCode    string
		wantOutcome string
	}{
		{"won", path, `{"user_id":"alice"}`, 200, "", "won"},
		{"repeat", path, `{"user_id":"alice"}`, 200, "", "already_won"},
		{"sold out", path, `{"user_id":"bob"}`, 200, "", "sold_out"},
		{"not started", "/activities/" + scheduled.ID + "/purchase", `{"user_id":"bob"}`, 200, "", "not_started"},
		{"unknown activity", "/activities/nosuch/purchase", `{"user_id":"bob"}`, 404, "activity_not_found", ""},
		{"invalid activity id", "/activities/a.b/purchase", `{"user_id":"bob"}`, 400, "invalid_id", ""},
		{"missing user", path, `{}`, 400, "missing_field", ""},
		{"empty user", path, `{"user_id":""}`, 400, "invalid_user_id", ""},
		{"user with brace", path, `{"user_id":"a{b}"}`, 400, "invalid_user_id", ""},
		{"user with space", path, `{"user_id":"a b"}`, 400, "invalid_user_id", ""},
		{"user too long", path, `{"user_id":"` + strings.Repeat("u", 129) + `"}`, 400, "invalid_user_id", ""},
		{"user as number", path, `{"user_id":42}`, 400, "invalid_field_type", ""},
		{"null user", path, `{"user_id":null}`, 400, "missing_field", ""},
		{"empty body", path, ``, 400, "empty_body", ""},
		{"truncated", path, `{"user_id":"carol"`, 400, "malformed_json", ""},
		{"unknown field", path, `{"user_id":"carol","qty":2}`, 400, "unknown_field", ""},
	}
	var order string
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := env.Do(t, servertest.Request{Method: "POST", Path: tt.path, Body: tt.body})
			if resp.Status != tt.wantStatus || resp.ErrorCode() != tt.wantCode {
				t.Fatalf("got %d %s, want %d %q", resp.Status, resp.Body, tt.wantStatus, tt.wantCode)
			}
			if tt.wantOutcome == "" {
				return
			}
			var res sale.PurchaseResult
			resp.Decode(t, &res)
			if string(res.Outcome) != tt.wantOutcome {
				t.Fatalf("outcome %s, want %s", res.Outcome, tt.wantOutcome)
			}
			switch res.Outcome {
			case sale.OutcomeWon:
				order = res.OrderID
			case sale.OutcomeAlreadyWon:
				if res.OrderID != order {
					t.Fatalf("repeat answered order %s, first answered %s", res.OrderID, order)
				}
			default:
				if res.OrderID != "" {
					t.Fatalf("%s carries order %s", res.Outcome, res.OrderID)
				}
			}
		})
	}
	if n := env.Redis.Client(t).HLen(context.Background(), redistest.BuyersKey(a.ID)).Val(); n != 1 {
		t.Fatalf("%d buyers, want 1", n)
	}
}

func TestPurchaseStoreUnavailable(t *testing.T) {
	env := servertest.New(t, purchase.Function)
	a := servertest.MustActivity(t, env.Store, 1)
	env.Redis.Kill()
	start := time.Now()
	resp := env.Do(t, servertest.Request{Method: "POST", Path: "/activities/" + a.ID + "/purchase", Body: `{"user_id":"alice"}`})
	if resp.Status != 503 || resp.ErrorCode() != sale.CodeStoreUnavailable {
		t.Fatalf("got %d %s, want 503 store_unavailable", resp.Status, resp.Body)
	}
	if secs, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || secs < 1 || secs > 4 {
		t.Fatalf("Retry-After %q, want 1 to 4 s", resp.Header.Get("Retry-After"))
	}
	if limit := env.Deps.Config.RequestTimeout + time.Second; time.Since(start) > limit {
		t.Fatalf("answered after %v, want within %v", time.Since(start), limit)
	}
}
