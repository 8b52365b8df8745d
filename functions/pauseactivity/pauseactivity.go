// Package pauseactivity is the function that pauses and resumes activities.
package pauseactivity

import (
	"context"

	"github.com/gofiber/fiber/v2"

	"seckill/functions/httpapi"
	"seckill/functions/server"
	"seckill/redislib"
	"seckill/redislib/sale"
)

// Function pauses and resumes activities (admin).
var Function = server.Function{
	Name:    "pauseactivity",
	Summary: "pause an activity (purchases answer paused, nothing is sold) or resume it (admin)",
	Writes:  true,
	Routes: []server.Route{
		{Method: fiber.MethodPost, Path: "/activities/:id/pause", Admin: true,
			Handler: func(d server.Deps) fiber.Handler { return Handler(d.Store, true) }},
		{Method: fiber.MethodPost, Path: "/activities/:id/resume", Admin: true,
			Handler: func(d server.Deps) fiber.Handler { return Handler(d.Store, false) }},
	},
}

// Handler answers POST /activities/:id/pause (paused true) or /resume with
// 200 and the activity after the change. While paused, purchases answer
// outcome "paused" and nothing is sold; orders already made can still be paid
// or cancelled. Pausing a paused activity, or resuming a running one, answers
// 200 and changes nothing, so a client may retry. A cancelled or ended
// activity answers 409 activity_cancelled or activity_ended. The request has
// no body.
func Handler(store *redislib.Store, paused bool) fiber.Handler {
	return httpapi.ByID(func(ctx context.Context, id string) (sale.Activity, error) {
		return store.PauseActivity(ctx, id, paused)
	})
}
