package platform_test

import (
	"testing"
	"time"

	"seckill/functions/platform"
)

func TestTime(t *testing.T) {
	tests := []struct {
		in   string
		want string // UTC, RFC 3339; "" when refused with invalid_time
	}{
		{"2030-01-02T15:04:05Z", "2030-01-02T15:04:05Z"},
		{"2030-01-02T15:04:05.5+02:00", "2030-01-02T13:04:05.5Z"},
		{"2030-01-02T15:04:05-23:59", "2030-01-03T15:03:05Z"},
		{"2030-01-02T5:04:05Z", ""},             // one-digit hour
		{"0000-01-01T00:00:00+24:60", ""},       // offset hour and minute out of range (found by FuzzTime)
		{"2030-01-02T15:04:05+02:60", ""},       // offset minute 60
		{"2030-01-02T15:04:05", ""},             // no offset
		{"2030-01-02t15:04:05z", ""},            // lower case, which time.Parse refuses too
		{"2030-01-02T15:04:05.1234567890Z", ""}, // more than nanoseconds
		{"2030-01-02", ""},
	}
	for _, tt := range tests {
		got, err := platform.Time(tt.in, "starts_at")
		if tt.want == "" {
			mustBadRequest(t, err, tt.in)
			continue
		}
		if err != nil || got.UTC().Format(time.RFC3339Nano) != tt.want {
			t.Errorf("Time(%q) = %v, %v; want %s", tt.in, got.UTC().Format(time.RFC3339Nano), err, tt.want)
		}
	}
}
