package httpapi_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	"seckill/functions/httpapi"
	"seckill/redislib/sale"
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
	code := sale.ErrorCode(err)
	if st := httpapi.Status(code); code == "" || st < 400 || st >= 500 {
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
		err := httpapi.Decode(c, &req)
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
