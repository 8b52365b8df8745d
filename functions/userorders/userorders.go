// Package userorders is the function that lists a user's orders across all
// activities.
package userorders

import (
	"github.com/gofiber/fiber/v2"

	"seckill/functions/auth"
	"seckill/functions/httpapi"
	"seckill/functions/server"
	"seckill/redislib"
)

// Function lists a user's order history.
var Function = server.Function{
	Name:    "userorders",
	Summary: "list a user's orders across all activities, newest first",
	Routes: []server.Route{{Method: fiber.MethodGet, Path: "/users/:user_id/orders",
		User: auth.UserInParam("user_id"), RateLimited: true,
		Handler: func(d server.Deps) fiber.Handler { return Handler(d.Store) }}},
}

// Handler answers GET /users/:user_id/orders?limit=&cursor= with
// {"items": [orders], "next_cursor": str|null}, newest first.
func Handler(store *redislib.Store) fiber.Handler {
	return func(c *fiber.Ctx) error {
		user, err := httpapi.PathUserID(c, "user_id")
		if err != nil {
			return err
		}
		q, err := httpapi.PageQuery(c)
		if err != nil {
			return err
		}
		page, err := store.UserOrders(c.UserContext(), user, q)
		if err != nil {
			return err
		}
		return c.JSON(page)
	}
}
