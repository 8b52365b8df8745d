// Package activityorders is the function that lists an activity's orders.
package activityorders

import (
	"github.com/gofiber/fiber/v2"

	"seckill/functions/httpapi"
	"seckill/functions/server"
	"seckill/redislib"
	"seckill/redislib/sale"
)

// Function lists an activity's orders, for admins.
var Function = server.Function{
	Name:    "activityorders",
	Summary: "list an activity's orders, newest first, optionally by status",
	Routes: []server.Route{{Method: fiber.MethodGet, Path: "/activities/:id/orders", Admin: true,
		Handler: func(d server.Deps) fiber.Handler { return Handler(d.Store) }}},
}

// Handler answers GET /activities/:id/orders?status=&limit=&cursor= with
// {"items": [orders], "next_cursor": str|null}, newest first. status is
// pending, paid, cancelled or expired; a filtered page may hold fewer items
// than limit while next_cursor is not null.
func Handler(store *redislib.Store) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, err := httpapi.PathID(c, "id")
		if err != nil {
			return err
		}
		status := c.Query("status")
		if status != "" && !sale.ValidOrderStatus(status) {
			return httpapi.Fail(httpapi.CodeInvalidStatus, "status must be pending, paid, cancelled or expired")
		}
		q, err := httpapi.PageQuery(c)
		if err != nil {
			return err
		}
		page, err := store.ActivityOrders(c.UserContext(), id, status, q)
		if err != nil {
			return err
		}
		return c.JSON(page)
	}
}
