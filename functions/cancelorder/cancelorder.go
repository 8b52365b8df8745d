// Package cancelorder is the function that cancels a pending order and
// returns its unit to stock.
package cancelorder

import (
	"bytes"

	"github.com/gofiber/fiber/v2"

	"seckill/functions/auth"
	"seckill/functions/httpapi"
	"seckill/functions/server"
	"seckill/functions/telemetry"
	"seckill/redislib"
	"seckill/redislib/sale"
)

// Function cancels orders, for their user or for an admin.
var Function = server.Function{
	Name:    "cancelorder",
	Summary: "cancel a pending order (its user, or an admin) and return its unit to stock",
	Writes:  true,
	Routes: []server.Route{{Method: fiber.MethodPost, Path: "/orders/:id/cancel",
		User: auth.UserInBody, AdminActsForUser: true,
		Handler: func(d server.Deps) fiber.Handler { return Handler(d.Store, d.Config.AdminToken) }}},
}

type request struct {
	UserID *string `json:"user_id"`
}

// Handler answers POST /orders/:id/cancel with the cancelled order. A user
// sends {"user_id"} and must own the order (else 403 forbidden). A caller
// with the admin bearer token may send no body at all; a user_id it sends is
// checked all the same. It is 409 already_paid, order_cancelled or
// order_expired when the order is final (a cancel after the window has
// closed expires the order).
func Handler(store *redislib.Store, adminToken string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, err := httpapi.PathOrderID(c, "id")
		if err != nil {
			return err
		}
		admin, err := auth.OptionalAdmin(c, adminToken)
		if err != nil {
			return err
		}
		var req request
		if !admin || len(bytes.TrimSpace(c.Body())) > 0 {
			if err := httpapi.Decode(c, &req); err != nil {
				return err
			}
		}
		user := ""
		if !admin || req.UserID != nil {
			if user, err = httpapi.RequireUserID(req.UserID); err != nil {
				return err
			}
		}
		o, err := store.CancelOrder(c.UserContext(), id, user, admin)
		if err != nil {
			telemetry.SetOutcome(c, sale.ErrorCode(err))
			return err
		}
		telemetry.SetOutcome(c, o.Status)
		return c.JSON(o)
	}
}
