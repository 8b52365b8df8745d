// Package purchaseresult is the function that tells a user whether they won.
package purchaseresult

import (
	"github.com/gofiber/fiber/v2"

	"seckill/functions/auth"
	"seckill/functions/httpapi"
	"seckill/functions/server"
	"seckill/redislib"
)

// Function answers whether a user won in an activity.
var Function = server.Function{
	Name:    "purchaseresult",
	Summary: "whether a user won in an activity, and their order ID",
	Routes: []server.Route{{Method: fiber.MethodGet, Path: "/activities/:id/purchases/:user_id",
		User:    auth.UserInParam("user_id"),
		Handler: func(d server.Deps) fiber.Handler { return Handler(d.Store) }}},
}

// Result is the answer: whether the user won and, if so, their order ID.
type Result struct {
	Won     bool   `json:"won"`
	OrderID string `json:"order_id,omitempty"`
}

// Handler answers GET /activities/:id/purchases/:user_id.
func Handler(store *redislib.Store) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, err := httpapi.PathID(c, "id")
		if err != nil {
			return err
		}
		user, err := httpapi.PathUserID(c, "user_id")
		if err != nil {
			return err
		}
		order, err := store.OrderOf(c.UserContext(), id, user)
		if err != nil {
			return err
		}
		return c.JSON(Result{Won: order != "", OrderID: order})
	}
}
