package platform

import (
	"github.com/gofiber/fiber/v2"

	"seckill/redislib"
)

// PageQuery reads the ?cursor= and ?limit= of a listing request (limit 1 to
// 100, default 20); failures are 400 invalid_cursor or invalid_limit.
func PageQuery(c *fiber.Ctx) (redislib.PageQuery, error) {
	return redislib.ParsePageQuery(c.Query("cursor"), c.Query("limit"))
}
