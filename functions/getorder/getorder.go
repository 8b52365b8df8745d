// Package getorder is the function that reads one order.
package getorder

import (
	"github.com/gofiber/fiber/v2"

	"seckill/functions/httpapi"
	"seckill/functions/server"
	"seckill/redislib"
)

// Function reads orders.
var Function = server.Function{
	Name:    "getorder",
	Summary: "read an order",
	Routes: []server.Route{{Method: fiber.MethodGet, Path: "/orders/:id", RateLimited: true,
		Handler: func(d server.Deps) fiber.Handler { return Handler(d.Store) }}},
}

// Handler answers GET /orders/:id with the order. A pending order whose
// payment window has closed reads as expired.
func Handler(store *redislib.Store) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, err := httpapi.PathOrderID(c, "id")
		if err != nil {
			return err
		}
		o, err := store.Order(c.UserContext(), id)
		if err != nil {
			return err
		}
		return c.JSON(o)
	}
}
