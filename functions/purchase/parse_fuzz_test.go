package purchase

import (
	"net/url"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	"seckill/functions/httpapi"
	"seckill/redislib/sale"
)

// FuzzParse routes arbitrary activity IDs and bodies through a Fiber app to
// parse: it never panics, refuses with a coded 4xx, and accepts only a valid
// activity ID and user ID.
func FuzzParse(f *testing.F) {
	for _, seed := range [][2]string{
		{"abc123", `{"user_id":"alice"}`}, {"abc123", `{"user_id":"u@x.io"}`}, {"a.b", `{"user_id":"alice"}`},
		{"abc", ``}, {"abc", `{`}, {"abc", `{"user_id":42}`}, {"abc", `{"user_id":"a b"}`}, {"abc", `{"user_id":"alice","qty":2}`},
		{"abc", `{"user_id":"alice","admission_token":"x.y.z"}`}, {"abc", `{"user_id":"alice"}{"user_id":"bob"}`}, {"abc", "{\"user_id\":\"\xff\"}"}, {"", `{"user_id":"alice"}`},
	} {
		f.Add(seed[0], []byte(seed[1]))
	}
	app := fiber.New(fiber.Config{ErrorHandler: func(c *fiber.Ctx, err error) error { return c.SendStatus(599) }})
	var gotID, gotUser string
	var gotErr error
	app.Post("/activities/:id/purchase", func(c *fiber.Ctx) error {
		gotID, gotUser, _, gotErr = parse(c)
		return c.SendStatus(200)
	})
	handler := app.Handler()
	f.Fuzz(func(t *testing.T, id string, body []byte) {
		gotID, gotUser, gotErr = "", "", nil
		var ctx fasthttp.RequestCtx
		ctx.Request.Header.SetMethod("POST")
		ctx.Request.SetRequestURI("/activities/" + url.PathEscape(id) + "/purchase")
		ctx.Request.SetBody(body)
		handler(&ctx)
		if ctx.Response.StatusCode() != 200 {
			return // not routed to parse (for example an empty or slashed ID)
		}
		if gotErr != nil {
			code := sale.ErrorCode(gotErr)
			if st := httpapi.Status(code); code == "" || st < 400 || st >= 500 {
				t.Fatalf("id %q body %q: %v, want a coded 4xx", id, body, gotErr)
			}
			return
		}
		if !sale.ValidID(gotID) || !sale.ValidUserID(gotUser) {
			t.Fatalf("id %q body %q accepted as activity %q user %q", id, body, gotID, gotUser)
		}
	})
}
