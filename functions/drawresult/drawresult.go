// Package drawresult is the function that publishes a draw: its seed
// commitment, then its seed, entrants and winners, so that anyone can check
// it (scripts/verifydraw).
package drawresult

import (
	"github.com/gofiber/fiber/v2"

	"seckill/functions/httpapi"
	"seckill/functions/server"
	"seckill/redislib"
)

// Function publishes draws.
var Function = server.Function{
	Name:    "drawresult",
	Summary: "an activity's draw: seed hash, then seed, entries and the winners in draw order; the entrants once done",
	Routes: []server.Route{
		{Method: fiber.MethodGet, Path: "/activities/:id/draw", Public: true,
			Handler: func(d server.Deps) fiber.Handler { return Handler(d.Store) }},
		{Method: fiber.MethodGet, Path: "/activities/:id/draw/entrants", Public: true,
			Handler: func(d server.Deps) fiber.Handler { return Entrants(d.Store) }},
	},
}

// Handler answers GET /activities/:id/draw?limit=&cursor= with the draw's
// status, seed_hash (from registration_opens_at), seed (once done), the
// number of entries and of entrants awarded a unit, and one page of the
// winners in draw order ({"position", "user_id"}, ascending) with
// next_cursor. 409 not_draw for an activity that does not sell by draw.
func Handler(store *redislib.Store) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, err := httpapi.PathID(c, "id")
		if err != nil {
			return err
		}
		q, err := httpapi.PageQuery(c)
		if err != nil {
			return err
		}
		d, err := store.Draw(c.UserContext(), id, q)
		if err != nil {
			return err
		}
		return c.JSON(d)
	}
}

// Entrants answers GET /activities/:id/draw/entrants?limit=&cursor= with
// {"items": [user ids], "next_cursor"}: every entrant, in draw order, once
// the draw is done (409 draw_not_done before).
func Entrants(store *redislib.Store) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, err := httpapi.PathID(c, "id")
		if err != nil {
			return err
		}
		q, err := httpapi.PageQuery(c)
		if err != nil {
			return err
		}
		p, err := store.DrawEntrants(c.UserContext(), id, q)
		if err != nil {
			return err
		}
		return c.JSON(p)
	}
}
