package sale_test

import (
	"strings"
	"testing"
	"time"

	"seckill/redislib/sale"
)

// mustRule fails unless err carries the code want ("" for no error).
func mustRule(t *testing.T, err error, want string, input any) {
	t.Helper()
	if got := sale.ErrorCode(err); got != want || (want == "") != (err == nil) {
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
		got, err := sale.ParseTime(tt.in, "starts_at")
		if tt.want == "" {
			mustRule(t, err, sale.CodeInvalidTime, tt.in)
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
		{"product ID", sale.CheckID("product_id", "p_1"), ""},
		{"longest ID", sale.CheckID("id", strings.Repeat("a", sale.MaxIDLen)), ""},
		{"ID too long", sale.CheckID("id", strings.Repeat("a", sale.MaxIDLen+1)), sale.CodeInvalidID},
		{"ID with a dash", sale.CheckID("id", "a-b"), sale.CodeInvalidID},
		{"empty ID", sale.CheckID("id", ""), sale.CodeInvalidID},
		{"user ID", sale.CheckUserID("u@x.io:1_a-b"), ""},
		{"user ID with a brace", sale.CheckUserID("a{b}"), sale.CodeInvalidUserID},
		{"user ID with a space", sale.CheckUserID("a b"), sale.CodeInvalidUserID},
		{"remove most", sale.CheckStockDelta(-sale.MaxStock), ""},
		{"add one", sale.CheckStockDelta(1), ""},
		{"no change", sale.CheckStockDelta(0), sale.CodeInvalidDelta},
		{"remove too much", sale.CheckStockDelta(-sale.MaxStock - 1), sale.CodeInvalidDelta},
		{"add too much", sale.CheckStockDelta(sale.MaxStock + 1), sale.CodeInvalidDelta},
	}
	for _, tt := range tests {
		mustRule(t, tt.err, tt.want, tt.name)
	}

	for _, tt := range []struct {
		in, activity, want string
	}{
		{order, "a_1", ""},
		{bucketOrder, "a_1", ""},
		{"a_1-s64-0123456789abcdef", "", sale.CodeInvalidID},  // no such bucket
		{"a_1-s012-0123456789abcdef", "", sale.CodeInvalidID}, // leading zero
		{"a_1-0123456789ABCDEF", "", sale.CodeInvalidID},      // upper-case hex
		{"a_1-0123456789abcde", "", sale.CodeInvalidID},       // 15 hex characters
		{"-0123456789abcdef", "", sale.CodeInvalidID},         // no activity
		{"a b-0123456789abcdef", "", sale.CodeInvalidID},      // bad activity ID
	} {
		got, err := sale.ParseOrderID("id", tt.in)
		mustRule(t, err, tt.want, tt.in)
		if got != tt.activity {
			t.Errorf("ParseOrderID(%q) = %q, want %q", tt.in, got, tt.activity)
		}
	}
}

func TestProductRules(t *testing.T) {
	str := func(s string) *string { return &s }
	price := func(p int64) *int64 { return &p }
	long := strings.Repeat("é", sale.MaxNameLen)
	tests := []struct {
		name string
		in   interface{ Validate() error }
		want string
	}{
		{"new", sale.NewProduct{Name: "Phone", Description: "a\tphone\n", Price: 19900}, ""},
		{"new, longest name, no description, free", sale.NewProduct{Name: long}, ""},
		{"new, empty name", sale.NewProduct{Price: 1}, sale.CodeInvalidName},
		{"new, name too long", sale.NewProduct{Name: long + "e"}, sale.CodeInvalidName},
		{"new, control character in the name", sale.NewProduct{Name: "a\x00b"}, sale.CodeInvalidName},
		{"new, invalid UTF-8 in the description", sale.NewProduct{Name: "a", Description: "\xff"}, sale.CodeInvalidDescription},
		{"new, description too long", sale.NewProduct{Name: "a", Description: strings.Repeat("d", sale.MaxDescriptionLen+1)},
			sale.CodeInvalidDescription},
		{"new, dearest", sale.NewProduct{Name: "a", Price: sale.MaxPrice}, ""},
		{"new, negative price", sale.NewProduct{Name: "a", Price: -1}, sale.CodeInvalidPrice},
		{"new, price too high", sale.NewProduct{Name: "a", Price: sale.MaxPrice + 1}, sale.CodeInvalidPrice},
		{"new, name checked first", sale.NewProduct{Price: -1}, sale.CodeInvalidName},
		{"changes: none", sale.ProductChanges{}, sale.CodeEmptyUpdate},
		{"changes: price", sale.ProductChanges{Price: price(0)}, ""},
		{"changes: empty description", sale.ProductChanges{Description: str("")}, ""},
		{"changes: empty name", sale.ProductChanges{Name: str("")}, sale.CodeInvalidName},
		{"changes: bad description", sale.ProductChanges{Description: str("\x07")}, sale.CodeInvalidDescription},
		{"changes: price too high", sale.ProductChanges{Name: str("a"), Price: price(sale.MaxPrice + 1)}, sale.CodeInvalidPrice},
	}
	for _, tt := range tests {
		mustRule(t, tt.in.Validate(), tt.want, tt.name)
	}
}

func TestActivityRules(t *testing.T) {
	start := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	end := start.Add(time.Hour)
	valid := sale.NewActivity{ProductID: "p1", Stock: 1, Price: 0, StartsAt: start, EndsAt: end, PaymentWindow: 0, Buckets: 1}
	with := func(change func(*sale.NewActivity)) sale.NewActivity {
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
		{"new, most stock, longest window", with(func(a *sale.NewActivity) {
			a.Stock, a.PaymentWindow = sale.MaxStock, sale.MaxPaymentWindow
		}), ""},
		{"new, bad product ID", with(func(a *sale.NewActivity) { a.ProductID = "p-1" }), sale.CodeInvalidID},
		{"new, no stock", with(func(a *sale.NewActivity) { a.Stock = 0 }), sale.CodeInvalidStock},
		{"new, too much stock", with(func(a *sale.NewActivity) { a.Stock = sale.MaxStock + 1 }), sale.CodeInvalidStock},
		{"new, negative price", with(func(a *sale.NewActivity) { a.Price = -5 }), sale.CodeInvalidPrice},
		{"new, starts at the end", with(func(a *sale.NewActivity) { a.StartsAt = end }), sale.CodeInvalidTimeRange},
		{"new, starts after the end", with(func(a *sale.NewActivity) { a.StartsAt, a.EndsAt = end, start }), sale.CodeInvalidTimeRange},
		{"new, negative window", with(func(a *sale.NewActivity) { a.PaymentWindow = -1 }), sale.CodeInvalidPaymentWindow},
		{"new, window too long", with(func(a *sale.NewActivity) { a.PaymentWindow = sale.MaxPaymentWindow + 1 }),
			sale.CodeInvalidPaymentWindow},
		{"new, most shards", with(func(a *sale.NewActivity) { a.Buckets = sale.MaxBuckets }), ""},
		{"new, no shards", with(func(a *sale.NewActivity) { a.Buckets = 0 }), sale.CodeInvalidShards},
		{"new, too many shards", with(func(a *sale.NewActivity) { a.Buckets = sale.MaxBuckets + 1 }), sale.CodeInvalidShards},
		{"new, window checked before shards", with(func(a *sale.NewActivity) { a.PaymentWindow, a.Buckets = -1, 0 }),
			sale.CodeInvalidPaymentWindow},
		{"new, stock checked before price", with(func(a *sale.NewActivity) { a.Stock, a.Price = 0, -1 }), sale.CodeInvalidStock},
		{"changes: none", sale.ActivityChanges{}, sale.CodeEmptyUpdate},
		{"changes: ends_at alone", sale.ActivityChanges{EndsAt: at(start)}, ""},
		{"changes: both times", sale.ActivityChanges{StartsAt: at(start), EndsAt: at(end)}, ""},
		{"changes: times reversed", sale.ActivityChanges{StartsAt: at(end), EndsAt: at(start)}, sale.CodeInvalidTimeRange},
		{"changes: bad product ID", sale.ActivityChanges{ProductID: id("")}, sale.CodeInvalidID},
		{"changes: too much stock", sale.ActivityChanges{Stock: n(sale.MaxStock + 1)}, sale.CodeInvalidStock},
		{"changes: price too high", sale.ActivityChanges{Price: n(sale.MaxPrice + 1)}, sale.CodeInvalidPrice},
		{"changes: negative window", sale.ActivityChanges{PaymentWindow: n(-1)}, sale.CodeInvalidPaymentWindow},
		{"changes: zero window", sale.ActivityChanges{PaymentWindow: n(0)}, ""},
	}
	for _, tt := range tests {
		mustRule(t, tt.in.Validate(), tt.want, tt.name)
	}
}
