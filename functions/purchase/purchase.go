// Package purchase is the function that takes purchase attempts: the hot path
// of a flash sale.
package purchase

import (
	"errors"

	"github.com/gofiber/fiber/v2"

	"seckill/functions/httpapi"
	"seckill/functions/server"
	"seckill/functions/telemetry"
	"seckill/redislib"
	"seckill/redislib/sale"
)

// Function takes purchase attempts.
var Function = server.Function{
	Name:    "purchase",
	Summary: "attempt to buy one unit of an activity's product",
	Writes:  true,
	Routes: []server.Route{{Method: fiber.MethodPost, Path: "/activities/:id/purchase",
		User: user, RateLimited: true, OwnUserLimit: true,
		Handler: func(d server.Deps) fiber.Handler { return Handler(d.Store, d.Config.UserRate()) }}},
}

// user validates the whole request, so that bad input is refused before the
// rate limit writes its bucket, and returns the user it acts for.
func user(c *fiber.Ctx) (string, error) {
	_, u, err := parse(c)
	return u, err
}

// parse validates a purchase request and returns its activity and user IDs.
func parse(c *fiber.Ctx) (activityID, userID string, err error) {
	if activityID, err = httpapi.PathID(c, "id"); err != nil {
		return "", "", err
	}
	if userID, ok := plainUserID(c.Body()); ok {
		return activityID, userID, nil
	}
	userID, err = decodeUserID(c)
	return activityID, userID, err
}

type request struct {
	UserID *string `json:"user_id"`
}

// Handler answers POST /activities/:id/purchase with 200 and the outcome:
// won, already_won (both with the order ID), order_closed (with the order ID
// and its status, cancelled or expired: one order per user per activity),
// sold_out, not_started, ended or cancelled. Only an answered "won" or
// "already_won" means the user holds a unit.
//
// limit is each user's rate limit per activity, taken inside the purchase
// script's round trip: past it the answer is 429 rate_limited. A win and
// attempts on a sold-out activity answered from memory are not counted (see
// redislib.Store.Purchase).
func Handler(store *redislib.Store, limit sale.Rate) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, user, err := parse(c)
		if err != nil {
			return err
		}
		res, err := store.Purchase(c.UserContext(), id, user, limit)
		if limited := (*sale.RateLimitedError)(nil); errors.As(err, &limited) {
			return httpapi.TooManyRequests(c, limited.Wait)
		}
		if err != nil {
			return err
		}
		telemetry.SetOutcome(c, string(res.Outcome))
		// A win is recorded durably by the purchase script (the order and a
		// "won" event) and counted in the metrics; its log line is sampled
		// like every other answered attempt, which keeps the log's cost off
		// the win path (scripts/README.md).
		telemetry.SetRoutine(c)
		c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
		return c.Send(appendResult(make([]byte, 0, 128), res))
	}
}

func decodeUserID(c *fiber.Ctx) (string, error) {
	var req request
	if err := httpapi.Decode(c, &req); err != nil {
		return "", err
	}
	return httpapi.RequireUserID(req.UserID)
}

// plainUserID returns the user ID of a body that is exactly
// {"user_id":"<id>"} with a valid ID, which is what clients send, without the
// cost of the general JSON decoder. Valid IDs need no JSON escapes, so the
// strict decoder would read the same ID from such a body; any other body
// (spacing, escapes, more fields, errors) goes through it.
func plainUserID(body []byte) (string, bool) {
	const prefix, suffix = `{"user_id":"`, `"}`
	if len(body) <= len(prefix)+len(suffix) || string(body[:len(prefix)]) != prefix || string(body[len(body)-len(suffix):]) != suffix {
		return "", false
	}
	user := string(body[len(prefix) : len(body)-len(suffix)])
	if !sale.ValidUserID(user) {
		return "", false
	}
	return user, true
}

// appendResult appends res as JSON, byte for byte what encoding/json writes
// for sale.PurchaseResult: outcomes and order IDs are plain ASCII that
// needs no escaping.
func appendResult(b []byte, res sale.PurchaseResult) []byte {
	b = append(append(append(b, `{"outcome":"`...), res.Outcome...), '"')
	if res.OrderID != "" {
		b = append(append(append(b, `,"order_id":"`...), res.OrderID...), '"')
	}
	if res.Status != "" {
		b = append(append(append(b, `,"status":"`...), res.Status...), '"')
	}
	return append(b, '}')
}
