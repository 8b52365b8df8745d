// Package payorder is the function that pays a pending order.
package payorder

import (
	"github.com/gofiber/fiber/v2"

	"seckill/functions/platform"
	"seckill/redislib"
)

// Function pays orders.
var Function = platform.Function{
	Name:    "payorder",
	Summary: "pay a pending order within its payment window",
	Writes:  true,
	Routes: []platform.Route{{Method: fiber.MethodPost, Path: "/orders/:id/pay",
		User:    platform.UserInBody,
		Handler: func(d platform.Deps) fiber.Handler { return Handler(d.Store) }}},
}

type request struct {
	UserID *string `json:"user_id"`
}

// Handler answers POST /orders/:id/pay with the paid order. It is 409
// already_paid, order_cancelled or order_expired when the order is final (a
// payment after the window has closed expires the order), and 403 forbidden
// when user_id does not own the order.
func Handler(store *redislib.Store) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, err := platform.PathOrderID(c, "id")
		if err != nil {
			return err
		}
		var req request
		if err := platform.Decode(c, &req); err != nil {
			return err
		}
		if err := platform.Required(platform.F("user_id", req.UserID)); err != nil {
			return err
		}
		user, err := platform.UserID(*req.UserID)
		if err != nil {
			return err
		}
		o, err := store.PayOrder(c.UserContext(), id, user)
		if err != nil {
			platform.SetOutcome(c, redislib.ErrorCode(err))
			return err
		}
		platform.SetOutcome(c, o.Status)
		return c.JSON(o)
	}
}
