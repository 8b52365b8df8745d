// Package drawentry is the function that tells a user whether they are
// entered in an activity's draw.
package drawentry

import (
	"github.com/gofiber/fiber/v2"

	"seckill/functions/auth"
	"seckill/functions/httpapi"
	"seckill/functions/server"
	"seckill/redislib"
)

// Function answers whether a user is in a draw.
var Function = server.Function{
	Name:    "drawentry",
	Summary: "whether a user is entered in an activity's draw",
	Routes: []server.Route{{Method: fiber.MethodGet, Path: "/activities/:id/entries/:user_id",
		User: auth.UserInParam("user_id"), RateLimited: true,
		Handler: func(d server.Deps) fiber.Handler { return Handler(d.Store) }}},
}

// Result is the answer. Whether an entrant won is the purchase result's
// (GET /activities/:id/purchases/:user_id): the draw gives a winner an
// order like a purchase does.
type Result struct {
	Entered bool `json:"entered"`
}

// Handler answers GET /activities/:id/entries/:user_id with {"entered"}; 409
// not_draw for an activity that does not sell by draw.
func Handler(store *redislib.Store) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, err := httpapi.PathID(c, "id")
		if err != nil {
			return err
		}
		u, err := httpapi.PathUserID(c, "user_id")
		if err != nil {
			return err
		}
		in, err := store.Entered(c.UserContext(), id, u)
		if err != nil {
			return err
		}
		return c.JSON(Result{Entered: in})
	}
}
