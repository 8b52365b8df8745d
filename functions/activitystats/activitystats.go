// Package activitystats is the function that reports an activity's stock
// and order counters.
package activitystats

import (
	"github.com/gofiber/fiber/v2"

	"seckill/functions/httpapi"
	"seckill/functions/server"
	"seckill/redislib"
)

// Function reports activity statistics, for admins.
var Function = server.Function{
	Name:    "activitystats",
	Summary: "an activity's stock, order counters and stock consistency check",
	Routes: []server.Route{{Method: fiber.MethodGet, Path: "/activities/:id/stats", Admin: true,
		Handler: func(d server.Deps) fiber.Handler { return Handler(d.Store) }}},
}

// Handler answers GET /activities/:id/stats with the stock, the remaining
// units, the order counters, the number of buyers and whether
// remaining + pending + paid == stock, all read in one atomic step.
func Handler(store *redislib.Store) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, err := httpapi.PathID(c, "id")
		if err != nil {
			return err
		}
		st, err := store.ActivityStats(c.UserContext(), id)
		if err != nil {
			return err
		}
		return c.JSON(st)
	}
}
