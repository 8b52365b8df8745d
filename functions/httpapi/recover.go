package httpapi

import (
	"fmt"
	"log/slog"
	"runtime/debug"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/recover"
	"github.com/prometheus/client_golang/prometheus"
)

// panicKey marks, in Fiber's Locals, a request whose handler panicked.
const panicKey = "seckill.panic"

// Recover turns a panic in a route's middleware or handler into a 500
// internal answer, so one bad request never takes down the process (in the
// all-in-one server, every function). The panic is logged to log with its
// stack and the request ID, and counted in panics. It runs after the
// metrics and the request logger, so the answer is also counted, traced and
// logged like any other 500.
func Recover(log *slog.Logger, panics prometheus.Counter) fiber.Handler {
	rec := recover.New(recover.Config{
		EnableStackTrace: true,
		StackTraceHandler: func(c *fiber.Ctx, v any) {
			panics.Inc()
			c.Locals(panicKey, true)
			log.ErrorContext(c.UserContext(), "panic", "panic", fmt.Sprint(v), "stack", string(debug.Stack()),
				"request_id", RequestID(c), "method", c.Method(), "route", RouteOf(c))
		},
	})
	return func(c *fiber.Ctx) error {
		err := rec(c)
		if err != nil && c.Locals(panicKey) != nil {
			// Whatever the panic value (even an error with a code), the answer
			// is internal; the details are in the log line above.
			return Fail(CodeInternal, "internal error (request %s)", RequestID(c))
		}
		return err
	}
}
