package createactivity_test

import (
	"fmt"
	"testing"
	"time"

	"seckill/functions/createactivity"
	"seckill/functions/server/servertest"
	"seckill/redislib/redistest"
	"seckill/redislib/sale"
)

// TestCreateActivityAdmission: the admission modes and their settings, each
// rule with its 400 code; a refused request writes nothing.
func TestCreateActivityAdmission(t *testing.T) {
	env := servertest.New(t, createactivity.Function)
	product := servertest.MustProduct(t, env.Store)
	now := time.Now().UTC()
	at := func(d time.Duration) string { return now.Add(d).Format(time.RFC3339) }
	body := func(extra string) string {
		return fmt.Sprintf(`{"product_id":%q,"stock":10,"price":100,"starts_at":%q,"ends_at":%q%s}`, product.ID, at(time.Hour), at(3*time.Hour), extra)
	}
	tests := []struct {
		name       string
		extra      string
		wantStatus int
		wantCode   string
		wantMode   string
	}{
		{"open by default", "", 201, "", "open"},
		{"open", `,"admission":"open"`, 201, "", "open"},
		{"queue", fmt.Sprintf(`,"admission":"queue","queue_opens_at":%q,"admit_rate":50`, at(0)), 201, "", "queue"},
		{"queue with ttl", fmt.Sprintf(`,"admission":"queue","queue_opens_at":%q,"admit_rate":50,"admission_ttl":30`, at(0)), 201, "", "queue"},
		{"draw", fmt.Sprintf(`,"admission":"draw","registration_opens_at":%q,"draw_at":%q`, at(0), at(2*time.Hour)), 201, "", "draw"},
		{"unknown mode", `,"admission":"raffle"`, 400, sale.CodeInvalidAdmission, ""},
		{"empty mode", `,"admission":""`, 400, sale.CodeInvalidAdmission, ""},
		{"queue without rate", fmt.Sprintf(`,"admission":"queue","queue_opens_at":%q`, at(0)), 400, "missing_field", ""},
		{"queue opening after the start", fmt.Sprintf(`,"admission":"queue","queue_opens_at":%q,"admit_rate":5`, at(2*time.Hour)), 400, sale.CodeInvalidTimeRange, ""},
		{"queue opening time malformed", `,"admission":"queue","queue_opens_at":"soon","admit_rate":5`, 400, sale.CodeInvalidTime, ""},
		{"queue rate as text", fmt.Sprintf(`,"admission":"queue","queue_opens_at":%q,"admit_rate":"5"`, at(0)), 400, "invalid_field_type", ""},
		{"queue rate 0", fmt.Sprintf(`,"admission":"queue","queue_opens_at":%q,"admit_rate":0`, at(0)), 400, sale.CodeInvalidAdmission, ""},
		{"queue ttl 5", fmt.Sprintf(`,"admission":"queue","queue_opens_at":%q,"admit_rate":5,"admission_ttl":5`, at(0)), 400, sale.CodeInvalidAdmission, ""},
		{"queue with draw_at", fmt.Sprintf(`,"admission":"queue","queue_opens_at":%q,"admit_rate":5,"draw_at":%q`, at(0), at(2*time.Hour)), 400, sale.CodeInvalidAdmission, ""},
		{"open with admit_rate", `,"admit_rate":5`, 400, sale.CodeInvalidAdmission, ""},
		{"draw after the end", fmt.Sprintf(`,"admission":"draw","registration_opens_at":%q,"draw_at":%q`, at(0), at(4*time.Hour)), 400, sale.CodeInvalidTimeRange, ""},
		{"draw before registration", fmt.Sprintf(`,"admission":"draw","registration_opens_at":%q,"draw_at":%q`, at(2*time.Hour+time.Minute), at(2*time.Hour)), 400, sale.CodeInvalidTimeRange, ""},
	}
	created := 0
	for _, tt := range tests {
		resp := env.Do(t, servertest.Request{Method: "POST", Path: "/activities", Body: body(tt.extra), Admin: true})
		if resp.Status != tt.wantStatus || resp.ErrorCode() != tt.wantCode {
			t.Fatalf("%s: got %d %s, want %d %q", tt.name, resp.Status, resp.Body, tt.wantStatus, tt.wantCode)
		}
		if tt.wantStatus == 201 {
			created++
			var a sale.Activity
			resp.Decode(t, &a)
			if a.Admission != tt.wantMode {
				t.Fatalf("%s: admission %q, want %q", tt.name, a.Admission, tt.wantMode)
			}
		}
	}
	if n := env.Redis.Client(t).ZCard(t.Context(), redistest.ActivitiesIndexKey()).Val(); n != int64(created) {
		t.Fatalf("%d activities in the index, want %d: a refused request wrote", n, created)
	}
}
