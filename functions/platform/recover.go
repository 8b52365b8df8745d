package platform

import (
	"errors"
	"fmt"
	"runtime/debug"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/recover"
	"github.com/prometheus/client_golang/prometheus"
)

// panicKey marks, in Fiber's Locals, a request whose handler panicked.
const panicKey = "seckill.panic"

// recoverPanics turns a panic in a route's middleware or handler into a 500
// internal answer, so one bad request never takes down the process (in the
// all-in-one server, every function). The panic is logged with its stack and
// the request ID, and counted in seckill_panics_total. It runs after observe
// and the request logger, so the answer is also counted, traced and logged
// like any other 500.
func recoverPanics(d Deps) fiber.Handler {
	panics := panicCounter(d.metrics.registry)
	rec := recover.New(recover.Config{
		EnableStackTrace: true,
		StackTraceHandler: func(c *fiber.Ctx, v any) {
			panics.Inc()
			c.Locals(panicKey, true)
			d.Log.ErrorContext(c.UserContext(), "panic", "panic", fmt.Sprint(v), "stack", string(debug.Stack()),
				"request_id", requestID(c), "method", c.Method(), "route", routeOf(c))
		},
	})
	return func(c *fiber.Ctx) error {
		err := rec(c)
		if err != nil && c.Locals(panicKey) != nil {
			// Whatever the panic value (even an error with a code), the answer
			// is internal; the details are in the log line above.
			return Fail(codeInternal, "internal error (request %s)", requestID(c))
		}
		return err
	}
}

// panicCounter returns seckill_panics_total of reg, registering it on first use.
func panicCounter(reg *prometheus.Registry) prometheus.Counter {
	c := prometheus.NewCounter(prometheus.CounterOpts{
		Name: "seckill_panics_total",
		Help: "Panics recovered in request handlers; each answered 500 internal and was logged with its stack.",
	})
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			return are.ExistingCollector.(prometheus.Counter)
		}
		panic(err)
	}
	return c
}
