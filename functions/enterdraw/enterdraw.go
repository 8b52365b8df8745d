// Package enterdraw is the function that enters users in an activity's draw,
// and runs the draw job.
package enterdraw

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"

	"seckill/functions/httpapi"
	"seckill/functions/server"
	"seckill/redislib"
)

// Function enters users in draws. Every process that serves it also runs
// the draw job (DrawEvery): the draws are locked in Redis, so any number of
// processes run each draw once.
var Function = server.Function{
	Name:    "enterdraw",
	Summary: "enter a user in an activity's draw; runs the draw job (rank the entries at draw_at, award the first stock, the waitlist)",
	Writes:  true,
	Routes: []server.Route{{Method: fiber.MethodPost, Path: "/activities/:id/entries",
		User: user, RateLimited: true,
		Handler: func(d server.Deps) fiber.Handler { return Handler(d.Store) }}},
	Background: func(ctx context.Context, d server.Deps) { RunJob(ctx, d.Store, d.Log.Error) },
}

// DrawEvery is how often each process looks for draws with work to do: a
// draw starts at most this long after its draw_at, and a unit that comes
// back goes to the next entrant within about this long.
const DrawEvery = time.Second

// RunJob runs the draw job until ctx ends, logging each failed run with log.
func RunJob(ctx context.Context, store *redislib.Store, log func(msg string, args ...any)) {
	store.DrawLoop(ctx, DrawEvery, redislib.DrawOptions{}, func(err error) {
		log("draw job", "err", err)
	})
}

// user validates the whole request, so that bad input is refused before the
// rate limit writes its bucket, and returns the user it acts for.
func user(c *fiber.Ctx) (string, error) {
	_, u, err := parse(c)
	return u, err
}

// parse validates an entry request (strictly: an unknown field is refused)
// and returns its activity and user IDs.
func parse(c *fiber.Ctx) (activityID, userID string, err error) {
	if activityID, err = httpapi.PathID(c, "id"); err != nil {
		return "", "", err
	}
	var req struct {
		UserID *string `json:"user_id"`
	}
	if err := httpapi.Decode(c, &req); err != nil {
		return "", "", err
	}
	userID, err = httpapi.RequireUserID(req.UserID)
	return activityID, userID, err
}

// Handler answers POST /activities/:id/entries {"user_id"} with 200
// {"entered": true, "already": bool} while registration is open
// (registration_opens_at <= Redis time < draw_at); a repeat by an entered
// user answers already true at any time. Refusals write nothing: 409
// not_draw, registration_not_open, registration_closed, activity_cancelled;
// 404 activity_not_found.
func Handler(store *redislib.Store) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, u, err := parse(c)
		if err != nil {
			return err
		}
		res, err := store.EnterDraw(c.UserContext(), id, u)
		if err != nil {
			return err
		}
		return c.JSON(res)
	}
}
