// Package listactivities is the function that lists activities.
package listactivities

import (
	"github.com/gofiber/fiber/v2"

	"seckill/functions/httpapi"
	"seckill/functions/server"
	"seckill/redislib"
	"seckill/redislib/sale"
)

// Function lists activities.
var Function = server.Function{
	Name:    "listactivities",
	Summary: "list activities, newest first, optionally by status, with cursor pagination",
	Routes: []server.Route{{Method: fiber.MethodGet, Path: "/activities", Public: true,
		Handler: func(d server.Deps) fiber.Handler { return Handler(d.Store) }}},
}

// Handler answers GET /activities?status=&limit=&cursor= with {"items",
// "next_cursor"}: activities newest first, each with its status derived from
// Redis time and stock at the read. With status, only activities in that
// status are listed; such a page may hold fewer than limit items while more
// follow, so only a null next_cursor ends the listing.
func Handler(store *redislib.Store) fiber.Handler {
	return func(c *fiber.Ctx) error {
		status := c.Query("status")
		if status != "" && !sale.ValidStatus(status) {
			return httpapi.Fail(httpapi.CodeInvalidStatus, "status must be one of scheduled, running, paused, sold_out, ended, cancelled")
		}
		q, err := httpapi.PageQuery(c)
		if err != nil {
			return err
		}
		page, err := store.ListActivities(c.UserContext(), status, q)
		if err != nil {
			return err
		}
		return c.JSON(page)
	}
}
