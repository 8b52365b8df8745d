package server

import (
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"seckill/functions/httpapi"
)

// writable reports whether state-changing routes may run: Redis was last
// seen durable (one atomic load, no round trip), or durability is not
// watched, or ALLOW_NON_DURABLE_REDIS accepts the risk.
func writable(d Deps) bool {
	return d.Durability == nil || d.Config.AllowNonDurableRedis || d.Durability.Durable()
}

// changesState reports whether a route of this method changes state: every
// route but GET and HEAD. Reads keep answering while Redis is not durable:
// what they read is what Redis holds.
func changesState(method string) bool {
	return method != fiber.MethodGet && method != fiber.MethodHead
}

// durableWrites refuses a state-changing request with 503 not_durable while
// Redis is not durable. It looks again once the handler has answered: a
// success answered after the watcher saw Redis lose durability is replaced
// by the same 503, since what it wrote may not be on disk (the client asks
// again, and a purchase then answers already_won once Redis is durable).
func durableWrites(d Deps) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if !writable(d) {
			return notDurable(c, d.Config.DurabilityCheckInterval)
		}
		if err := c.Next(); err != nil {
			return err
		}
		if !writable(d) && c.Response().StatusCode() < fiber.StatusBadRequest {
			c.Response().ResetBody()
			return notDurable(c, d.Config.DurabilityCheckInterval)
		}
		return nil
	}
}

// notDurable sets Retry-After to one or two check intervals (whole seconds,
// jittered so that refused clients do not come back together) and returns
// the 503 not_durable answer.
func notDurable(c *fiber.Ctx, interval time.Duration) error {
	secs := max(1, int64((interval+time.Second-1)/time.Second))
	secs += rand.Int64N(secs + 1)
	c.Set(fiber.HeaderRetryAfter, strconv.FormatInt(secs, 10))
	return httpapi.Fail(httpapi.CodeNotDurable, "Redis does not fsync every write; writes are refused until it does, retry after %d s", secs)
}
