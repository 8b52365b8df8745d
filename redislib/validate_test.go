package redislib_test

import (
	"strings"
	"testing"
	"time"

	"seckill/redislib"
)

// mustRule fails unless err carries the code want ("" for no error).
func mustRule(t *testing.T, err error, want string, input any) {
	t.Helper()
	if got := redislib.ErrorCode(err); got != want || (want == "") != (err == nil) {
		t.Errorf("%v: error %v (code %q), want code %q", input, err, got, want)
	}
}

func TestParseTime(t *testing.T) {
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
		got, err := redislib.ParseTime(tt.in, "starts_at")
		if tt.want == "" {
			mustRule(t, err, redislib.CodeInvalidTime, tt.in)
			continue
		}
		if err != nil || got.UTC().Format(time.RFC3339Nano) != tt.want {
			t.Errorf("ParseTime(%q) = %v, %v; want %s", tt.in, got.UTC().Format(time.RFC3339Nano), err, tt.want)
		}
	}
}

func TestFieldRules(t *testing.T) {
	order, bucketOrder := "a_1-0123456789abcdef", "a_1-s12-0123456789abcdef"
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"product ID", redislib.CheckID("product_id", "p_1"), ""},
		{"longest ID", redislib.CheckID("id", strings.Repeat("a", redislib.MaxIDLen)), ""},
		{"ID too long", redislib.CheckID("id", strings.Repeat("a", redislib.MaxIDLen+1)), redislib.CodeInvalidID},
		{"ID with a dash", redislib.CheckID("id", "a-b"), redislib.CodeInvalidID},
		{"empty ID", redislib.CheckID("id", ""), redislib.CodeInvalidID},
		{"user ID", redislib.CheckUserID("u@x.io:1_a-b"), ""},
		{"user ID with a brace", redislib.CheckUserID("a{b}"), redislib.CodeInvalidUserID},
		{"user ID with a space", redislib.CheckUserID("a b"), redislib.CodeInvalidUserID},
		{"remove most", redislib.CheckStockDelta(-redislib.MaxStock), ""},
		{"add one", redislib.CheckStockDelta(1), ""},
		{"no change", redislib.CheckStockDelta(0), redislib.CodeInvalidDelta},
		{"remove too much", redislib.CheckStockDelta(-redislib.MaxStock - 1), redislib.CodeInvalidDelta},
		{"add too much", redislib.CheckStockDelta(redislib.MaxStock + 1), redislib.CodeInvalidDelta},
	}
	for _, tt := range tests {
		mustRule(t, tt.err, tt.want, tt.name)
	}

	for _, tt := range []struct {
		in, activity, want string
	}{
		{order, "a_1", ""},
		{bucketOrder, "a_1", ""},
		{"a_1-s64-0123456789abcdef", "", redislib.CodeInvalidID},  // no such bucket
		{"a_1-s012-0123456789abcdef", "", redislib.CodeInvalidID}, // leading zero
		{"a_1-0123456789ABCDEF", "", redislib.CodeInvalidID},      // upper-case hex
		{"a_1-0123456789abcde", "", redislib.CodeInvalidID},       // 15 hex characters
		{"-0123456789abcdef", "", redislib.CodeInvalidID},         // no activity
		{"a b-0123456789abcdef", "", redislib.CodeInvalidID},      // bad activity ID
	} {
		got, err := redislib.ParseOrderID("id", tt.in)
		mustRule(t, err, tt.want, tt.in)
		if got != tt.activity {
			t.Errorf("ParseOrderID(%q) = %q, want %q", tt.in, got, tt.activity)
		}
	}
}

func TestProductRules(t *testing.T) {
	str := func(s string) *string { return &s }
	price := func(p int64) *int64 { return &p }
	long := strings.Repeat("é", redislib.MaxNameLen)
	tests := []struct {
		name string
		in   interface{ Validate() error }
		want string
	}{
		{"new", redislib.NewProduct{Name: "Phone", Description: "a\tphone\n", Price: 19900}, ""},
		{"new, longest name, no description, free", redislib.NewProduct{Name: long}, ""},
		{"new, empty name", redislib.NewProduct{Price: 1}, redislib.CodeInvalidName},
		{"new, name too long", redislib.NewProduct{Name: long + "e"}, redislib.CodeInvalidName},
		{"new, control character in the name", redislib.NewProduct{Name: "a\x00b"}, redislib.CodeInvalidName},
		{"new, invalid UTF-8 in the description", redislib.NewProduct{Name: "a", Description: "\xff"}, redislib.CodeInvalidDescription},
		{"new, description too long", redislib.NewProduct{Name: "a", Description: strings.Repeat("d", redislib.MaxDescriptionLen+1)},
			redislib.CodeInvalidDescription},
		{"new, dearest", redislib.NewProduct{Name: "a", Price: redislib.MaxPrice}, ""},
		{"new, negative price", redislib.NewProduct{Name: "a", Price: -1}, redislib.CodeInvalidPrice},
		{"new, price too high", redislib.NewProduct{Name: "a", Price: redislib.MaxPrice + 1}, redislib.CodeInvalidPrice},
		{"new, name checked first", redislib.NewProduct{Price: -1}, redislib.CodeInvalidName},
		{"changes: none", redislib.ProductChanges{}, redislib.CodeEmptyUpdate},
		{"changes: price", redislib.ProductChanges{Price: price(0)}, ""},
		{"changes: empty description", redislib.ProductChanges{Description: str("")}, ""},
		{"changes: empty name", redislib.ProductChanges{Name: str("")}, redislib.CodeInvalidName},
		{"changes: bad description", redislib.ProductChanges{Description: str("\x07")}, redislib.CodeInvalidDescription},
		{"changes: price too high", redislib.ProductChanges{Name: str("a"), Price: price(redislib.MaxPrice + 1)}, redislib.CodeInvalidPrice},
	}
	for _, tt := range tests {
		mustRule(t, tt.in.Validate(), tt.want, tt.name)
	}
}

func TestActivityRules(t *testing.T) {
	start := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	end := start.Add(time.Hour)
	valid := redislib.NewActivity{ProductID: "p1", Stock: 1, Price: 0, StartsAt: start, EndsAt: end, PaymentWindow: 0, Shards: 1}
	with := func(change func(*redislib.NewActivity)) redislib.NewActivity {
		in := valid
		change(&in)
		return in
	}
	id := func(s string) *string { return &s }
	n := func(v int64) *int64 { return &v }
	at := func(t time.Time) *time.Time { return &t }
	tests := []struct {
		name string
		in   interface{ Validate() error }
		want string
	}{
		{"new", valid, ""},
		{"new, most stock, longest window", with(func(a *redislib.NewActivity) {
			a.Stock, a.PaymentWindow = redislib.MaxStock, redislib.MaxPaymentWindow
		}), ""},
		{"new, bad product ID", with(func(a *redislib.NewActivity) { a.ProductID = "p-1" }), redislib.CodeInvalidID},
		{"new, no stock", with(func(a *redislib.NewActivity) { a.Stock = 0 }), redislib.CodeInvalidStock},
		{"new, too much stock", with(func(a *redislib.NewActivity) { a.Stock = redislib.MaxStock + 1 }), redislib.CodeInvalidStock},
		{"new, negative price", with(func(a *redislib.NewActivity) { a.Price = -5 }), redislib.CodeInvalidPrice},
		{"new, starts at the end", with(func(a *redislib.NewActivity) { a.StartsAt = end }), redislib.CodeInvalidTimeRange},
		{"new, starts after the end", with(func(a *redislib.NewActivity) { a.StartsAt, a.EndsAt = end, start }), redislib.CodeInvalidTimeRange},
		{"new, negative window", with(func(a *redislib.NewActivity) { a.PaymentWindow = -1 }), redislib.CodeInvalidPaymentWindow},
		{"new, window too long", with(func(a *redislib.NewActivity) { a.PaymentWindow = redislib.MaxPaymentWindow + 1 }),
			redislib.CodeInvalidPaymentWindow},
		{"new, most shards", with(func(a *redislib.NewActivity) { a.Shards = redislib.MaxShards }), ""},
		{"new, no shards", with(func(a *redislib.NewActivity) { a.Shards = 0 }), redislib.CodeInvalidShards},
		{"new, too many shards", with(func(a *redislib.NewActivity) { a.Shards = redislib.MaxShards + 1 }), redislib.CodeInvalidShards},
		{"new, window checked before shards", with(func(a *redislib.NewActivity) { a.PaymentWindow, a.Shards = -1, 0 }),
			redislib.CodeInvalidPaymentWindow},
		{"new, stock checked before price", with(func(a *redislib.NewActivity) { a.Stock, a.Price = 0, -1 }), redislib.CodeInvalidStock},
		{"changes: none", redislib.ActivityChanges{}, redislib.CodeEmptyUpdate},
		{"changes: ends_at alone", redislib.ActivityChanges{EndsAt: at(start)}, ""},
		{"changes: both times", redislib.ActivityChanges{StartsAt: at(start), EndsAt: at(end)}, ""},
		{"changes: times reversed", redislib.ActivityChanges{StartsAt: at(end), EndsAt: at(start)}, redislib.CodeInvalidTimeRange},
		{"changes: bad product ID", redislib.ActivityChanges{ProductID: id("")}, redislib.CodeInvalidID},
		{"changes: too much stock", redislib.ActivityChanges{Stock: n(redislib.MaxStock + 1)}, redislib.CodeInvalidStock},
		{"changes: price too high", redislib.ActivityChanges{Price: n(redislib.MaxPrice + 1)}, redislib.CodeInvalidPrice},
		{"changes: negative window", redislib.ActivityChanges{PaymentWindow: n(-1)}, redislib.CodeInvalidPaymentWindow},
		{"changes: zero window", redislib.ActivityChanges{PaymentWindow: n(0)}, ""},
	}
	for _, tt := range tests {
		mustRule(t, tt.in.Validate(), tt.want, tt.name)
	}
}
