package sale_test

import (
	"testing"
	"time"

	"seckill/redislib/sale"
)

func TestAdmissionRules(t *testing.T) {
	start := time.Now().Add(time.Hour)
	end := start.Add(2 * time.Hour)
	at := func(d time.Duration) *time.Time { v := start.Add(d); return &v }
	n := func(v int64) *int64 { return &v }
	base := func(s sale.AdmissionSettings) sale.NewActivity {
		return sale.NewActivity{ProductID: "p1", Stock: 10, Price: 100, StartsAt: start, EndsAt: end, PaymentWindow: 60, Buckets: 1,
			AdmissionSettings: s}
	}
	tests := []struct {
		name string
		in   sale.AdmissionSettings
		want string
	}{
		{"open by default", sale.AdmissionSettings{}, ""},
		{"open", sale.AdmissionSettings{Admission: "open"}, ""},
		{"unknown mode", sale.AdmissionSettings{Admission: "lottery"}, sale.CodeInvalidAdmission},
		{"open with a queue setting", sale.AdmissionSettings{Admission: "open", AdmitRate: n(5)}, sale.CodeInvalidAdmission},
		{"no mode with a draw setting", sale.AdmissionSettings{DrawAt: at(time.Minute)}, sale.CodeInvalidAdmission},
		{"queue", sale.AdmissionSettings{Admission: "queue", QueueOpensAt: at(-time.Minute), AdmitRate: n(5)}, ""},
		{"queue with ttl", sale.AdmissionSettings{Admission: "queue", QueueOpensAt: at(-time.Minute), AdmitRate: n(5), AdmissionTTL: n(10)}, ""},
		{"queue without opening", sale.AdmissionSettings{Admission: "queue", AdmitRate: n(5)}, sale.CodeMissingSetting},
		{"queue without rate", sale.AdmissionSettings{Admission: "queue", QueueOpensAt: at(-time.Minute)}, sale.CodeMissingSetting},
		{"queue opening at start", sale.AdmissionSettings{Admission: "queue", QueueOpensAt: at(0), AdmitRate: n(5)}, sale.CodeInvalidTimeRange},
		{"queue rate 0", sale.AdmissionSettings{Admission: "queue", QueueOpensAt: at(-time.Minute), AdmitRate: n(0)}, sale.CodeInvalidAdmission},
		{"queue ttl too short", sale.AdmissionSettings{Admission: "queue", QueueOpensAt: at(-time.Minute), AdmitRate: n(1), AdmissionTTL: n(9)}, sale.CodeInvalidAdmission},
		{"queue ttl too long", sale.AdmissionSettings{Admission: "queue", QueueOpensAt: at(-time.Minute), AdmitRate: n(1), AdmissionTTL: n(3601)}, sale.CodeInvalidAdmission},
		{"queue with a draw setting", sale.AdmissionSettings{Admission: "queue", QueueOpensAt: at(-time.Minute), AdmitRate: n(5), DrawAt: at(time.Minute)}, sale.CodeInvalidAdmission},
		{"draw", sale.AdmissionSettings{Admission: "draw", RegistrationOpensAt: at(-time.Hour), DrawAt: at(0)}, ""},
		{"draw without draw_at", sale.AdmissionSettings{Admission: "draw", RegistrationOpensAt: at(-time.Hour)}, sale.CodeMissingSetting},
		{"draw without registration", sale.AdmissionSettings{Admission: "draw", DrawAt: at(0)}, sale.CodeMissingSetting},
		{"draw registration after draw", sale.AdmissionSettings{Admission: "draw", RegistrationOpensAt: at(time.Minute), DrawAt: at(0)}, sale.CodeInvalidTimeRange},
		{"draw before start", sale.AdmissionSettings{Admission: "draw", RegistrationOpensAt: at(-time.Hour), DrawAt: at(-time.Minute)}, sale.CodeInvalidTimeRange},
		{"draw at the end", sale.AdmissionSettings{Admission: "draw", RegistrationOpensAt: at(-time.Hour), DrawAt: at(2 * time.Hour)}, sale.CodeInvalidTimeRange},
		{"draw with a queue setting", sale.AdmissionSettings{Admission: "draw", RegistrationOpensAt: at(-time.Hour), DrawAt: at(0), AdmitRate: n(1)}, sale.CodeInvalidAdmission},
	}
	for _, tt := range tests {
		mustRule(t, base(tt.in).Validate(), tt.want, tt.name)
	}
	// A change is checked on its own; its fit with the stored activity is
	// the update script's to check.
	for _, tt := range []struct {
		name string
		ch   sale.ActivityChanges
		want string
	}{
		{"mode alone", sale.ActivityChanges{AdmissionSettings: sale.AdmissionSettings{Admission: "draw"}}, ""},
		{"rate alone", sale.ActivityChanges{AdmissionSettings: sale.AdmissionSettings{AdmitRate: n(3)}}, ""},
		{"bad rate", sale.ActivityChanges{AdmissionSettings: sale.AdmissionSettings{AdmitRate: n(-1)}}, sale.CodeInvalidAdmission},
		{"two modes' settings", sale.ActivityChanges{AdmissionSettings: sale.AdmissionSettings{AdmitRate: n(3), DrawAt: at(0)}}, sale.CodeInvalidAdmission},
		{"bad mode", sale.ActivityChanges{AdmissionSettings: sale.AdmissionSettings{Admission: "x"}}, sale.CodeInvalidAdmission},
	} {
		mustRule(t, tt.ch.Validate(), tt.want, tt.name)
	}
}
