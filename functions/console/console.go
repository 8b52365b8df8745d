// Package console is the function that serves the sale console: an admin's
// web page at GET /console that shows one sale live (units left and sold, wins
// per second, attempts by outcome, 429 and 503 rates, p99 latency, pending
// orders, the audit trail) and offers the admin actions (stock, end time,
// pause, resume, cancel). For a sale with a waiting room it shows the users
// in line, those admitted and the admissions per second; for a draw, its
// status, entries and units awarded (GET /activities/:id/draw).
//
// The page is a plain client of the admin API, signed in with the admin
// token, plus two routes of its own: GET /console/queue/:id, a waiting room's
// length (redislib.Store.QueueLength), and GET /console/totals: the purchase route's
// cumulative counters, read from Prometheus (CONSOLE_PROMETHEUS_URL, every
// instance) or from this process's own /metrics (the all-in-one server, where
// the purchase function shares the process). Nothing is added to the purchase
// path: the counters are the ones /metrics serves anyway.
package console

import (
	"embed"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"seckill/functions/httpapi"
	"seckill/functions/server"
	"seckill/redislib/sale"
)

//go:embed web
var web embed.FS

// Function serves the sale console.
var Function = server.Function{
	Name:    "console",
	Summary: "the sale console: an admin's live view of a sale and its actions (GET /console), and the purchase route's counters (admin)",
	Routes: []server.Route{
		{Method: fiber.MethodGet, Path: "/console", Public: true, Handler: func(server.Deps) fiber.Handler { return asset("web/index.html", fiber.MIMETextHTMLCharsetUTF8) }},
		{Method: fiber.MethodGet, Path: "/console/console.js", Public: true, Handler: func(server.Deps) fiber.Handler { return asset("web/console.js", "text/javascript; charset=utf-8") }},
		{Method: fiber.MethodGet, Path: "/console/console.css", Public: true, Handler: func(server.Deps) fiber.Handler { return asset("web/console.css", "text/css; charset=utf-8") }},
		{Method: fiber.MethodGet, Path: "/console/queue/:id", Admin: true, Handler: func(d server.Deps) fiber.Handler { return httpapi.ByID(d.Store.QueueLength) }},
		{Method: fiber.MethodGet, Path: "/console/totals", Admin: true, Handler: func(d server.Deps) fiber.Handler {
			src, err := NewSource(d.Config.ConsolePrometheusURL)
			if err != nil {
				return func(*fiber.Ctx) error { return err }
			}
			return TotalsHandler(src)
		}},
	},
}

// contentSecurityPolicy lets the page load its script, style and data from
// its own origin only.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; " +
	"img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

func asset(name, contentType string) fiber.Handler {
	body, err := web.ReadFile(name)
	if err != nil {
		panic(fmt.Sprintf("console: %s is not embedded: %v", name, err))
	}
	return func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, contentType)
		c.Set(fiber.HeaderContentSecurityPolicy, contentSecurityPolicy)
		c.Set(fiber.HeaderXFrameOptions, "DENY")
		c.Set("Referrer-Policy", "no-referrer")
		c.Set(fiber.HeaderCacheControl, "no-cache")
		return c.Send(body)
	}
}

// NewSource returns where the totals come from: the Prometheus server at
// prometheusURL, or, when it is empty, the /metrics of the process that
// serves the request (see TotalsHandler).
func NewSource(prometheusURL string) (Source, error) {
	if prometheusURL == "" {
		return nil, nil
	}
	return newPromSource(prometheusURL)
}

// scrapeTimeout bounds one read of the process's own /metrics.
const scrapeTimeout = time.Second

// TotalsHandler answers GET /console/totals with the purchase route's
// cumulative counters (Totals). With src nil they are read from this
// process's own /metrics, on the address the request came in on. A source
// that cannot be read is a 503 store_unavailable with Retry-After.
//
// A process that does not serve the purchase route has no counters of it to
// read: there, the answer is the same 503, saying to set
// CONSOLE_PROMETHEUS_URL, rather than totals that are zero for ever.
func TotalsHandler(src Source) fiber.Handler {
	client := &http.Client{Timeout: scrapeTimeout}
	var once sync.Once
	var servesPurchase bool
	return func(c *fiber.Ctx) error {
		s := src
		if s == nil {
			once.Do(func() {
				for _, r := range c.App().GetRoutes(true) {
					servesPurchase = servesPurchase || (r.Method == fiber.MethodPost && r.Path == purchaseRoute)
				}
			})
			if !servesPurchase {
				return httpapi.Fail(sale.CodeStoreUnavailable,
					"this process does not serve %s: set CONSOLE_PROMETHEUS_URL to a Prometheus that scrapes the purchase function", purchaseRoute)
			}
			s = scrapeSource{client: client, url: "http://" + c.Context().LocalAddr().String() + "/metrics"}
		}
		t, err := s.Totals(c.UserContext())
		if err != nil {
			return httpapi.Fail(sale.CodeStoreUnavailable, "the purchase counters cannot be read: %v", err)
		}
		c.Set(fiber.HeaderCacheControl, "no-store")
		return c.JSON(t)
	}
}
