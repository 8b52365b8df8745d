// Package joinqueue is the function that lets shoppers join an activity's
// waiting room, and runs the job that admits them.
package joinqueue

import (
	"context"

	"github.com/gofiber/fiber/v2"

	"seckill/functions/auth"
	"seckill/functions/httpapi"
	"seckill/functions/server"
	"seckill/redislib"
)

// Function joins users to waiting rooms. Every process serving it also moves
// the admission frontier of every running queue activity (Background).
var Function = server.Function{
	Name:    "joinqueue",
	Summary: "join an activity's waiting room and learn where you stand; admits the waiting at each activity's rate",
	Writes:  true,
	Routes: []server.Route{{Method: fiber.MethodPost, Path: "/activities/:id/queue",
		User: auth.UserInBody, RateLimited: true, Admission: true,
		Handler: func(d server.Deps) fiber.Handler { return Handler(d.Store, admissions(d)) }}},
	Background: Admit,
}

// admissions returns the process's admission tokens, or nil without a
// secret (Run refuses to start then; a handler built anyway answers 500).
func admissions(d server.Deps) *auth.Admissions {
	a, err := auth.NewAdmissions(d.Config.AdmissionConfig)
	if err != nil {
		return nil
	}
	return a
}

// Admit moves the admission frontier of every queue activity someone joined,
// every redislib.QueueAdvanceEvery, until ctx ends (see
// redislib.Store.RunQueues). Every process runs it; the moves are atomic and
// add only the time since the last one, so any number run at once.
func Admit(ctx context.Context, d server.Deps) {
	if d.Store == nil {
		return
	}
	failing := false
	d.Store.RunQueues(ctx, func(err error) {
		// One line per outage and one per recovery, not one per round.
		switch {
		case err != nil && !failing:
			d.Log.Warn("waiting rooms: moving the admission frontiers failed; retrying", "err", err)
		case err == nil && failing:
			d.Log.Info("waiting rooms: the admission frontiers move again")
		}
		failing = err != nil
	})
}

type request struct {
	UserID *string `json:"user_id"`
}

// Handler answers POST /activities/:id/queue with the user's place: the
// join takes one round trip and is idempotent (a repeat keeps the place).
// Before starts_at places are drawn at random, so joining early or often
// gains nothing; from starts_at joiners queue behind in arrival order. The
// answer is waiting (position, ahead, estimated_wait_seconds), admitted
// (admission_token and its expires_at), expired, sold_out or not_open
// (before queue_opens_at; nothing written). An activity whose admission is
// not queue is 409 not_queue; an ended or cancelled one 409 activity_ended
// or activity_cancelled.
func Handler(store *redislib.Store, adm *auth.Admissions) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, err := httpapi.PathID(c, "id")
		if err != nil {
			return err
		}
		var req request
		if err := httpapi.Decode(c, &req); err != nil {
			return err
		}
		user, err := httpapi.RequireUserID(req.UserID)
		if err != nil {
			return err
		}
		if adm == nil {
			return auth.ErrAdmissionSecretMissing
		}
		st, err := store.JoinQueue(c.UserContext(), id, user)
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
