package purchase

import (
	"encoding/json"
	"seckill/redislib/sale"
	"strings"
	"testing"
)

// TestPlainUserIDAgreesWithDecoder checks the fast read of the body never
// accepts a body the strict decoder would read differently or reject.
func TestPlainUserIDAgreesWithDecoder(t *testing.T) {
	tests := []struct {
		body   string
		want   string
		wantOK bool
	}{
		{`{"user_id":"alice"}`, "alice", true},
		{`{"user_id":"a.b_c:d@e-f"}`, "a.b_c:d@e-f", true},
		{`{"user_id":"` + strings.Repeat("u", 128) + `"}`, strings.Repeat("u", 128), true},
		{`{"user_id":"auth0|abc"}`, "auth0|abc", true},
		{`{"user_id":"` + strings.Repeat("u", 129) + `"}`, "", false},
		{`{"user_id":""}`, "", false},
		{`{"user_id":"a b"}`, "", false},
		{`{"user_id":"a\"b"}`, "", false},
		{`{"user_id":"a\u0062"}`, "", false},
		{`{"user_id":"x","qty":"y"}`, "", false},
		{`{"user_id":"x"} `, "", false},
		{` {"user_id":"x"}`, "", false},
		{`{"user_id": "x"}`, "", false},
		{`{"user_id":"x"`, "", false},
		{`{"user_id":"}`, "", false},
		{`{"user_id":42}`, "", false},
		{``, "", false},
	}
	for _, tt := range tests {
		got, ok := plainUserID([]byte(tt.body))
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("plainUserID(%s) = %q, %v; want %q, %v", tt.body, got, ok, tt.want, tt.wantOK)
		}
		if !ok {
			continue
		}
		var req request
		dec := json.NewDecoder(strings.NewReader(tt.body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req); err != nil || req.UserID == nil || *req.UserID != got {
			t.Errorf("strict decoder reads %s as %v, %v; fast path read %q", tt.body, req.UserID, err, got)
		}
	}
}

// TestAppendResultMatchesEncodingJSON checks the hand-written answer is byte
// for byte what encoding/json writes.
func TestAppendResultMatchesEncodingJSON(t *testing.T) {
	order := sale.NewOrderID(sale.NewID(), 3)
	for _, res := range []sale.PurchaseResult{
		{Outcome: sale.OutcomeWon, OrderID: order},
		{Outcome: sale.OutcomeAlreadyWon, OrderID: order},
		{Outcome: sale.OutcomeSoldOut},
		{Outcome: sale.OutcomeNotStarted},
		{Outcome: sale.OutcomeEnded},
		{Outcome: sale.OutcomeCancelled},
		{Outcome: sale.OutcomeOrderClosed, OrderID: order, Status: sale.OrderCancelled},
		{Outcome: sale.OutcomeOrderClosed, OrderID: order, Status: sale.OrderExpired},
	} {
		want, _ := json.Marshal(res)
		if got := appendResult(nil, res); string(got) != string(want) {
			t.Errorf("appendResult(%+v) = %s, want %s", res, got, want)
		}
	}
}
