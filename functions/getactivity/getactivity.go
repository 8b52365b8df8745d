// Package getactivity is the function that reads one activity.
package getactivity

import (
	"github.com/gofiber/fiber/v2"

	"seckill/functions/httpapi"
	"seckill/functions/server"
	"seckill/redislib"
)

// Function reads activities.
var Function = server.Function{
	Name:    "getactivity",
	Summary: "read an activity with its live stock and status",
	Routes: []server.Route{{Method: fiber.MethodGet, Path: "/activities/:id", Public: true,
		Handler: func(d server.Deps) fiber.Handler { return Handler(d.Store) }}},
}

// Handler answers GET /activities/:id; the status is derived from Redis time
// and stock at the moment of the read.
func Handler(store *redislib.Store) fiber.Handler {
	return httpapi.ByID(store.Activity)
}
