package server

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"

	"seckill/functions/auth"
	"seckill/functions/httpapi"
	"seckill/functions/telemetry"
)

// NewApp returns a Fiber app that serves the routes of fns, plus GET /livez,
// GET /readyz and GET /metrics. ready, when not nil, must also hold for
// /readyz to answer 200 (Run's: durability verified once, not shutting
// down); so must d.Durability, when set (see writable).
// A panic in a route's handler answers 500 internal (see httpapi.Recover).
func NewApp(d Deps, ready func() bool, fns ...Function) *fiber.App {
	metrics := telemetry.NewMetrics(d.Store)
	d.Metrics = metrics
	for _, fn := range fns {
		if fn.Collector != nil && d.Store != nil {
			metrics.MustRegister(fn.Collector(d))
		}
	}
	app := fiber.New(fiber.Config{
		AppName:               "seckill",
		BodyLimit:             d.Config.BodyLimit,
		ErrorHandler:          httpapi.ErrorHandler(d.Log),
		DisableStartupMessage: true,
		ReadTimeout:           30 * time.Second,
		WriteTimeout:          30 * time.Second,
		IdleTimeout:           120 * time.Second,
		// The client IP (for its rate limit) comes from PROXY_HEADER only
		// when the connection is from one of TRUSTED_PROXIES.
		ProxyHeader:             d.Config.ProxyHeader,
		EnableTrustedProxyCheck: d.Config.ProxyHeader != "",
		TrustedProxies:          trimmed(d.Config.TrustedProxies),
		EnableIPValidation:      true,
	})
	app.Use(httpapi.RequestIDs())
	app.Use(telemetry.Observe(metrics, d.TracerProvider))
	app.Use(telemetry.RequestLogger(d.Log, d.Config.LogSample))
	app.Use(httpapi.Recover(d.Log, metrics.Panics))

	app.Get("/livez", func(c *fiber.Ctx) error { return c.JSON(fiber.Map{"status": "ok"}) })
	// Readiness does not ask Redis: every instance shares the one store, so
	// a Redis blip would take every instance out of service at once and turn
	// the handlers' 503 with Retry-After into connection errors (see
	// deploy/README.md, "Probes").
	app.Get("/readyz", func(c *fiber.Ctx) error {
		if ready != nil && !ready() {
			return httpapi.Fail(httpapi.CodeNotReady, "not serving: durability of Redis not verified yet, or shutting down")
		}
		if !writable(d) {
			return httpapi.Fail(httpapi.CodeNotDurable, "Redis does not fsync every write (see the log): writes answer 503 until it does")
		}
		return c.JSON(fiber.Map{"status": "ready"})
	})
	if d.Durability != nil {
		metrics.WatchDurability(d.Durability)
	}
	app.Get("/metrics", metrics.Handler())

	admin := auth.AdminAuth(d.Config.AdminToken)
	gate, err := auth.NewGate(d.Store, d.Config.AdminToken, d.Config.TokenConfig, d.Config.RateLimitConfig, d.Log)
	if err != nil {
		d.Log.Error("user authentication misconfigured: user routes answer 500 until it is fixed", "err", err)
	}
	app.Hooks().OnShutdown(func() error { gate.Close(); return nil })
	for _, fn := range fns {
		for _, r := range fn.Routes {
			handlers := []fiber.Handler{withTimeout(d)}
			if changesState(r.Method) && d.Durability != nil {
				handlers = append(handlers, durableWrites(d))
			}
			if r.Admin {
				handlers = append(handlers, admin)
			}
			if h := gate.For(r.access()); h != nil {
				handlers = append(handlers, h)
			}
			handlers = append(handlers, r.Handler(d))
			app.Add(r.Method, r.Path, handlers...)
		}
	}
	return app
}

// withTimeout bounds the store work of a request: every Redis call takes the
// request's context, so a slow or absent Redis ends as 503, never a hang.
func withTimeout(d Deps) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ctx, cancel := context.WithTimeout(c.UserContext(), d.Config.RequestTimeout)
		defer cancel()
		c.SetUserContext(ctx)
		return c.Next()
	}
}

func functionNames(fns []Function) string {
	if len(fns) == 1 {
		return fns[0].Name
	}
	return "all"
}
