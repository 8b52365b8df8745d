package sale_test

import (
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"seckill/redislib/internal/key"
	"seckill/redislib/sale"
)

// FuzzUserID checks the user ID rule: 1..128 characters of A-Z a-z 0-9 and
// . _ : @ - | + =, and a valid ID never breaks out of its key's hash tag.
func FuzzUserID(f *testing.F) {
	for _, s := range []string{"alice", "u@x.io", "a b", "a{b}", "", strings.Repeat("u", 128), strings.Repeat("u", 129), "é", "a\x00", "a\n",
		"auth0|abc", "google-oauth2|123", "0b5e8f3a-1c2d-4e5f-8a9b-0c1d2e3f4a5b", "a/b", "a*b", `a"b`, "a\\b", "a}b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		err := sale.CheckUserID(s)
		want := len(s) >= 1 && len(s) <= 128 && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:@-|+=") == ""
		if (err == nil) != want {
			t.Fatalf("CheckUserID(%q) = %v, want valid=%v", s, err, want)
		}
		if err != nil {
			mustRule(t, err, sale.CodeInvalidUserID, s)
			return
		}
		key := key.UserOrders(s)
		if open, end := strings.IndexByte(key, '{'), strings.IndexByte(key, '}'); key[open+1:end] != "user:"+s {
			t.Fatalf("key %s of user %q has hash tag %q", key, s, key[open+1:end])
		}
	})
}

// FuzzText checks free-text validation through a product's name: accepted
// text is within its length in characters and has no control characters
// other than tab and newline.
func FuzzText(f *testing.F) {
	for _, s := range []string{"Phone", "", "a\tb\nc", "a\x00b", "\xff", "e\u0301", "\u202e", strings.Repeat("é", 201)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if err := (sale.NewProduct{Name: s}).Validate(); err != nil {
			mustRule(t, err, sale.CodeInvalidName, s)
			return
		}
		if !utf8.ValidString(s) {
			t.Fatalf("accepted %q", s)
		}
		if n := utf8.RuneCountInString(s); n < 1 || n > sale.MaxNameLen {
			t.Fatalf("accepted %q of %d characters", s, n)
		}
		for _, r := range s {
			if unicode.IsControl(r) && r != '\t' && r != '\n' {
				t.Fatalf("accepted %q with control character %U", s, r)
			}
		}
	})
}

// FuzzTime checks timestamps: only RFC 3339 is accepted, and what is
// accepted means what it says.
func FuzzTime(f *testing.F) {
	for _, s := range []string{"2030-01-02T15:04:05Z", "2030-01-02T15:04:05+02:00", "2030-01-02T15:04:05.123Z", "2030-01-02", "1700000000", "", "2030-13-02T15:04:05Z", "2030-01-02 15:04:05Z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := sale.ParseTime(s, "starts_at")
		if err != nil {
			mustRule(t, err, sale.CodeInvalidTime, s)
			return
		}
		again, err := time.Parse(time.RFC3339Nano, got.Format(time.RFC3339Nano))
		if err != nil || !again.Equal(got) {
			t.Fatalf("ParseTime(%q) = %v, which does not round-trip: %v", s, got, err)
		}
	})
}
