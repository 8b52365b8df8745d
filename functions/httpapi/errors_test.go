package httpapi_test

import (
	"io"
	"log/slog"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"seckill/functions/httpapi"
	"seckill/redislib/sale"
)

// Every 503 carries Retry-After, drawn from 1 to 4 s for each answer, so that
// the clients turned away by one Redis blip do not all retry in the same
// second; other errors carry none, and a 429's own Retry-After is kept.
func TestServiceUnavailableRetryAfterJitter(t *testing.T) {
	app := fiber.New(fiber.Config{ErrorHandler: httpapi.ErrorHandler(slog.New(slog.NewTextHandler(io.Discard, nil)))})
	app.Get("/unavailable", func(c *fiber.Ctx) error {
		return httpapi.Fail(sale.CodeStoreUnavailable, "the store is unavailable, try again")
	})
	app.Get("/not-ready", func(c *fiber.Ctx) error { return httpapi.Fail(httpapi.CodeNotReady, "not ready") })
	app.Get("/conflict", func(c *fiber.Ctx) error { return httpapi.Fail(sale.CodeStockBelowSold, "below sold") })
	app.Get("/limited", func(c *fiber.Ctx) error { return httpapi.TooManyRequests(c, 7500*time.Millisecond) })

	get := func(path string) (int, string) {
		t.Helper()
		resp, err := app.Test(httptest.NewRequest("GET", path, nil), -1)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		return resp.StatusCode, resp.Header.Get(fiber.HeaderRetryAfter)
	}
	seen := map[int]int{}
	for range 200 {
		for _, path := range []string{"/unavailable", "/not-ready"} {
			status, ra := get(path)
			secs, err := strconv.Atoi(ra)
			if status != 503 || err != nil || secs < 1 || secs > 4 {
				t.Fatalf("%s: %d with Retry-After %q, want 503 with 1 to 4", path, status, ra)
			}
			seen[secs]++
		}
	}
	if len(seen) < 3 {
		t.Fatalf("Retry-After over 400 answers: %v; want it spread over 1 to 4 s", seen)
	}
	if status, ra := get("/conflict"); status != 409 || ra != "" {
		t.Fatalf("409: Retry-After %q, want none", ra)
	}
	if status, ra := get("/limited"); status != 429 || ra != "8" {
		t.Fatalf("429: %d with Retry-After %q, want 8", status, ra)
	}
}
