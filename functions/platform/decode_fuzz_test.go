package platform_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	"seckill/functions/platform"
	"seckill/redislib"
)

// fuzzRequest has a field of each kind the handlers decode.
type fuzzRequest struct {
	Name   *string `json:"name"`
	Price  *int64  `json:"price"`
	Window *int64  `json:"payment_window"`
	At     *string `json:"starts_at"`
}

// mustBadRequest fails unless err is a coded error answered with a 4xx.
func mustBadRequest(t *testing.T, err error, input any) {
	t.Helper()
	code := redislib.ErrorCode(err)
	if st := platform.Status(code); code == "" || st < 400 || st >= 500 {
		t.Fatalf("input %q: error %v (code %q, status %d), want a coded 4xx", input, err, code, st)
	}
}

// FuzzDecode feeds arbitrary bodies to Decode: it never panics, refuses with
// a coded 400, and accepts only a single well-formed JSON object in valid
// UTF-8 whose fields are known and of the right types.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{"name":"a","price":1}`, `{"name":"a","price":1}  `, `{`, `{"name":`, `[]`, `null`, `""`, `{}{}`,
		`{"price":"1"}`, `{"price":1.5}`, `{"price":1e30}`, `{"price":-1}`, `{"x":1}`, `{"name":"\u0000"}`,
		"{\"name\":\"\xff\"}", ``, `   `, `{"name":null}`, `{"starts_at":"2030-01-01T00:00:00Z","payment_window":0}`,
	} {
		f.Add([]byte(s))
	}
	app := fiber.New()
	f.Fuzz(func(t *testing.T, body []byte) {
		c := app.AcquireCtx(&fasthttp.RequestCtx{})
		defer app.ReleaseCtx(c)
		c.Request().SetBody(body)
		var req fuzzRequest
		err := platform.Decode(c, &req)
		if err != nil {
			mustBadRequest(t, err, body)
			return
		}
		trimmed := bytes.TrimSpace(body)
		if !utf8.Valid(body) || !json.Valid(body) || len(trimmed) == 0 || trimmed[0] != '{' {
			t.Fatalf("accepted %q: not one valid UTF-8 JSON object", body)
		}
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(body, &fields); err != nil {
			t.Fatalf("accepted %q, which is not an object: %v", body, err)
		}
		for k := range fields {
			switch strings.ToLower(k) { // encoding/json matches names case-insensitively
			case "name", "price", "payment_window", "starts_at":
			default:
				t.Fatalf("accepted %q with unknown field %q", body, k)
			}
		}
	})
}

// FuzzUserID checks the user ID rule: 1..64 characters of A-Z a-z 0-9 . _ : @ -,
// and a valid ID never breaks out of its key's hash tag.
func FuzzUserID(f *testing.F) {
	for _, s := range []string{"alice", "u@x.io", "a b", "a{b}", "", strings.Repeat("u", 64), strings.Repeat("u", 65), "é", "a\x00", "a\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := platform.UserID(s)
		want := len(s) >= 1 && len(s) <= redislib.MaxIDLen && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:@-") == ""
		if (err == nil) != want {
			t.Fatalf("UserID(%q) = %v, want valid=%v", s, err, want)
		}
		if err != nil {
			mustBadRequest(t, err, s)
			return
		}
		if got != s {
			t.Fatalf("UserID(%q) returned %q", s, got)
		}
		key := redislib.UserOrdersKey(s)
		if open, end := strings.IndexByte(key, '{'), strings.IndexByte(key, '}'); key[open+1:end] != "user:"+s {
			t.Fatalf("key %s of user %q has hash tag %q", key, s, key[open+1:end])
		}
	})
}

// FuzzText checks free-text validation: accepted text is within its length
// in characters and has no control characters other than tab and newline.
func FuzzText(f *testing.F) {
	for _, s := range []string{"Phone", "", "a\tb\nc", "a\x00b", "\xff", "e\u0301", "\u202e", strings.Repeat("é", 201)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := platform.Text(s, "name", platform.CodeInvalidName, 1, platform.MaxNameLen)
		if err != nil {
			mustBadRequest(t, err, s)
			return
		}
		if got != s || !utf8.ValidString(s) {
			t.Fatalf("accepted %q", s)
		}
		if n := utf8.RuneCountInString(s); n < 1 || n > platform.MaxNameLen {
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
		got, err := platform.Time(s, "starts_at")
		if err != nil {
			mustBadRequest(t, err, s)
			return
		}
		again, err := time.Parse(time.RFC3339Nano, got.Format(time.RFC3339Nano))
		if err != nil || !again.Equal(got) {
			t.Fatalf("Time(%q) = %v, which does not round-trip: %v", s, got, err)
		}
	})
}
