package platform

import (
	"github.com/gofiber/fiber/v2"

	"seckill/redislib"
)

// PathOrderID returns the route parameter name after checking it is a
// well-formed order ID (an activity ID, a dash and 16 hex characters); a
// malformed ID is a 400 invalid_id.
func PathOrderID(c *fiber.Ctx, name string) (string, error) {
	id := c.Params(name)
	if _, ok := redislib.ActivityOfOrder(id); !ok {
		return "", Fail(CodeInvalidID, "%s must be an order ID: an activity ID, a dash and 16 lowercase hex characters", name)
	}
	return id, nil
}
