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

// durableWrites refuses a state-changing request with 503 while Redis is
// not durable (not_durable), or before its durability was verified at start
// (not_ready). It looks again once the handler has answered: a success
// answered after the watcher saw Redis lose durability is replaced by the
// same 503, since what it wrote may not be on disk (the client asks again,
// and a purchase then answers already_won once Redis is durable).
func durableWrites(d Deps) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if err := refuseWrite(c, d); err != nil {
			return err
		}
		if err := c.Next(); err != nil {
			return err
		}
		if c.Response().StatusCode() < fiber.StatusBadRequest {
			if err := refuseWrite(c, d); err != nil {
				c.Response().ResetBody()
				return err
			}
		}
		return nil
	}
}

// refuseWrite returns the 503 answer to a write while writes are refused,
// with Retry-After set to one or two check intervals (whole seconds,
// jittered so that refused clients do not come back together), and nil
// while they are accepted.
func refuseWrite(c *fiber.Ctx, d Deps) error {
	if writable(d) {
		return nil
	}
	interval := d.Config.DurabilityCheckInterval
	secs := max(1, int64((interval+time.Second-1)/time.Second))
	secs += rand.Int64N(secs + 1)
	c.Set(fiber.HeaderRetryAfter, strconv.FormatInt(secs, 10))
	if !d.Durability.Checked() {
		return httpapi.Fail(httpapi.CodeNotReady, "durability of Redis not verified yet; retry after %d s", secs)
	}
	return httpapi.Fail(httpapi.CodeNotDurable, "Redis does not fsync every write; writes are refused until it does, retry after %d s", secs)
}
