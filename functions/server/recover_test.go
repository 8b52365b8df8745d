package server_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	"seckill/functions/getactivity"
	"seckill/functions/httpapi"
	"seckill/functions/server"
	"seckill/functions/server/servertest"
	"seckill/redislib/sale"
)

// panicky is a function whose handlers panic: with a plain value, and with
// an error that has a code (which must not leak into the answer either).
var panicky = server.Function{Name: "panicky", Routes: []server.Route{
	{Method: "GET", Path: "/panic", Handler: func(server.Deps) fiber.Handler {
		return func(*fiber.Ctx) error { panic("index out of range in handler, secret=hunter2") }
	}},
	{Method: "GET", Path: "/panic-coded", Handler: func(server.Deps) fiber.Handler {
		return func(*fiber.Ctx) error { panic(httpapi.Fail(sale.CodeInvalidID, "not a real client error")) }
	}},
}}

func TestPanicAnswers500AndTheNextRequestIsServed(t *testing.T) {
	var logs servertest.Logs
	a := mustApp(t, withLog(&logs, "info"), panicky, getactivity.Function)
	for _, tc := range []struct {
		name, path, id string
	}{
		{"plain value", "/panic", "panic-1"},
		{"error with a code", "/panic-coded", "panic-2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := a.do(t, servertest.Request{Method: "GET", Path: tc.path, Header: map[string]string{"X-Request-ID": tc.id}})
			if r.Status != 500 || r.ErrorCode() != httpapi.CodeInternal {
				t.Fatalf("GET %s: %d %s, want 500 internal", tc.path, r.Status, r.Body)
			}
			var body httpapi.ErrorBody
			if err := json.Unmarshal(r.Body, &body); err != nil {
				t.Fatal(err)
			}
			if body.Error.Message != "internal error (request "+tc.id+")" {
				t.Fatalf("message %q shows more than the request ID", body.Error.Message)
			}
			l := logs.MustLine(t, "panic", map[string]any{"request_id": tc.id, "route": tc.path})
			stack, _ := l["stack"].(string)
			if !strings.Contains(stack, "recover_test.go") || !strings.Contains(stack, "goroutine") {
				t.Fatalf("panic log line has no stack reaching the handler: %v", l)
			}
			logs.MustLine(t, "request", map[string]any{"request_id": tc.id, "status": float64(500), "code": "internal"})
		})
	}

	// The process is still serving.
	act := servertest.MustActivity(t, a.store, 1)
	if r := a.do(t, servertest.Request{Method: "GET", Path: "/activities/" + act.ID}); r.Status != 200 {
		t.Fatalf("request after the panics: %d %s", r.Status, r.Body)
	}
	if r := a.do(t, servertest.Request{Method: "GET", Path: "/activities/" + sale.NewID()}); r.Status != 404 {
		t.Fatalf("request after the panics: %d %s, want 404", r.Status, r.Body)
	}

	mfs := mustScrape(t, a.app)
	mustMetric(t, mfs, "seckill_panics_total", map[string]string{}, 2)
	mustMetric(t, mfs, "seckill_http_requests_total", map[string]string{"route": "/panic", "method": "GET", "status": "500"}, 1)
	mustMetric(t, mfs, "seckill_errors_total", map[string]string{"route": "/panic-coded", "code": "internal"}, 1)
}
