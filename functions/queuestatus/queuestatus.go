// Package queuestatus is the function that tells a shopper where they stand
// in an activity's waiting room, and gives the admission token once admitted.
package queuestatus

import (
	"github.com/gofiber/fiber/v2"

	"seckill/functions/auth"
	"seckill/functions/httpapi"
	"seckill/functions/server"
	"seckill/redislib"
)

// Function answers where a user stands in a waiting room. It writes once per
// admitted user: the admission's time, on the first look.
var Function = server.Function{
	Name:    "queuestatus",
	Summary: "where a user stands in an activity's waiting room; the admission token once admitted",
	Writes:  true,
	Routes: []server.Route{{Method: fiber.MethodGet, Path: "/activities/:id/queue/:user_id",
		User: auth.UserInParam("user_id"), RateLimited: true, Admission: true,
		Handler: func(d server.Deps) fiber.Handler {
			adm, err := auth.NewAdmissions(d.Config.AdmissionConfig)
			if err != nil {
				adm = nil // Run refuses to start without the secret
			}
			return Handler(d.Store, adm)
		}}},
}

// Handler answers GET /activities/:id/queue/:user_id as the join does
// (waiting, admitted with the admission token, expired, sold_out, not_open),
// without joining: a user who has not joined is 404 not_in_queue.
func Handler(store *redislib.Store, adm *auth.Admissions) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, err := httpapi.PathID(c, "id")
		if err != nil {
			return err
		}
		user, err := httpapi.PathUserID(c, "user_id")
		if err != nil {
			return err
		}
		if adm == nil {
			return auth.ErrAdmissionSecretMissing
		}
		st, err := store.QueueStatusOf(c.UserContext(), id, user)
		if err != nil {
			return err
		}
		ans, err := adm.Answer(st, user, id)
		if err != nil {
			return err
		}
		return c.JSON(ans)
	}
}
