// Package purchaseresult is the function that tells a user whether they won.
package purchaseresult

import (
	"github.com/gofiber/fiber/v2"

	"seckill/functions/auth"
	"seckill/functions/httpapi"
	"seckill/functions/server"
	"seckill/redislib"
	"seckill/redislib/sale"
)

// Function answers whether a user won in an activity.
var Function = server.Function{
	Name:    "purchaseresult",
	Summary: "whether a user won in an activity, and their order ID",
	Routes: []server.Route{{Method: fiber.MethodGet, Path: "/activities/:id/purchases/:user_id",
		User: auth.UserInParam("user_id"), RateLimited: true,
		Handler: func(d server.Deps) fiber.Handler { return Handler(d.Store) }}},
}

// Result is the answer: whether the user holds a unit and, if they won
// here, their order and its status. One order per user per activity: a user
// whose order was cancelled or expired keeps it (Won false, Status
// cancelled or expired) and may not buy here again.
type Result struct {
	// Won is true while the user's order is pending or paid.
	Won     bool   `json:"won"`
	OrderID string `json:"order_id,omitempty"`
	// Status is the order's status: pending, paid, cancelled or expired (a
	// pending order past its payment window reads as expired).
	Status string `json:"status,omitempty"`
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
		o, found, err := store.UserOrder(c.UserContext(), id, user)
		if err != nil {
			return err
		}
		if !found {
			return c.JSON(Result{})
		}
		return c.JSON(Result{Won: o.Status == sale.OrderPending || o.Status == sale.OrderPaid,
			OrderID: o.ID, Status: o.Status})
	}
}
