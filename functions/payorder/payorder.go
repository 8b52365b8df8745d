// Package payorder is the function that pays a pending order.
package payorder

import (
	"github.com/gofiber/fiber/v2"

	"seckill/functions/auth"
	"seckill/functions/httpapi"
	"seckill/functions/server"
	"seckill/functions/telemetry"
	"seckill/redislib"
)

// Function pays orders.
var Function = server.Function{
	Name:    "payorder",
	Summary: "pay a pending order within its payment window",
	Writes:  true,
	Routes: []server.Route{{Method: fiber.MethodPost, Path: "/orders/:id/pay",
		User:    auth.UserInBody,
		Handler: func(d server.Deps) fiber.Handler { return Handler(d.Store) }}},
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
		id, err := httpapi.PathOrderID(c, "id")
		if err != nil {
			return err
		}
		var req request
		if err := httpapi.Decode(c, &req); err != nil {
			return err
		}
		user, err := httpapi.RequireUserID(req.UserID)
		if err != nil {
			return err
		}
		o, err := store.PayOrder(c.UserContext(), id, user)
		if err != nil {
			telemetry.SetOutcome(c, redislib.ErrorCode(err))
			return err
		}
		telemetry.SetOutcome(c, o.Status)
		return c.JSON(o)
	}
}
