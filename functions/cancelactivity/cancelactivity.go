// Package cancelactivity is the function that cancels activities.
package cancelactivity

import (
	"github.com/gofiber/fiber/v2"

	"seckill/functions/httpapi"
	"seckill/functions/server"
	"seckill/redislib"
)

// Function cancels activities (admin).
var Function = server.Function{
	Name:    "cancelactivity",
	Summary: "cancel an activity: no further purchases, existing orders kept (admin)",
	Writes:  true,
	Routes: []server.Route{{Method: fiber.MethodPost, Path: "/activities/:id/cancel", Admin: true,
		Handler: func(d server.Deps) fiber.Handler { return Handler(d.Store) }}},
}

// Handler answers POST /activities/:id/cancel with 200 and the cancelled
// activity. Purchases answer outcome "cancelled" from then on; orders already
// made are kept and stay readable. Cancelling is idempotent: a second cancel
// answers 200 with the first cancellation time, so a client may retry a
// request whose answer it lost. An ended activity answers 409 activity_ended.
// The request has no body.
func Handler(store *redislib.Store) fiber.Handler {
	return httpapi.ByID(store.CancelActivity)
}
