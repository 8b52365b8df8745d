// Package getorder is the function that reads one order.
package getorder

import (
	"github.com/gofiber/fiber/v2"

	"seckill/functions/platform"
	"seckill/redislib"
)

// Function reads orders.
var Function = platform.Function{
	Name:    "getorder",
	Summary: "read an order",
	Routes: []platform.Route{{Method: fiber.MethodGet, Path: "/orders/:id",
		Handler: func(d platform.Deps) fiber.Handler { return Handler(d.Store) }}},
}

// Handler answers GET /orders/:id with the order. A pending order whose
// payment window has closed reads as expired.
func Handler(store *redislib.Store) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, err := platform.PathOrderID(c, "id")
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
