// Package purchase is the function that takes purchase attempts: the hot path
// of a flash sale.
package purchase

import (
	"errors"

	"github.com/gofiber/fiber/v2"

	"seckill/functions/auth"
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
		User: user, RateLimited: true, OwnUserLimit: true, Admission: true,
		Handler: func(d server.Deps) fiber.Handler {
			adm, err := auth.NewAdmissions(d.Config.AdmissionConfig)
			if err != nil {
				// Run refuses to start without the secret; a handler built
				// without it anyway admits no one to a queue or draw.
				adm = nil
			}
			return Handler(d.Store, d.Config.UserRate(), adm)
		}}},
}

// user validates the whole request, so that bad input is refused before the
// rate limit writes its bucket, and returns the user it acts for.
func user(c *fiber.Ctx) (string, error) {
	_, u, _, err := parse(c)
	return u, err
}

// parse validates a purchase request and returns its activity and user IDs
// and the admission token, if any.
func parse(c *fiber.Ctx) (activityID, userID, token string, err error) {
	if activityID, err = httpapi.PathID(c, "id"); err != nil {
		return "", "", "", err
	}
	if userID, ok := plainUserID(c.Body()); ok {
		return activityID, userID, "", nil
	}
	userID, token, err = decodeRequest(c)
	return activityID, userID, token, err
}

type request struct {
	UserID *string `json:"user_id"`
	// AdmissionToken is the waiting room's admission of the user to the
	// activity; required by activities whose admission is queue.
	AdmissionToken *string `json:"admission_token"`
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
//
// In an activity whose admission is queue, the attempt needs an
// admission_token that admissions verifies in process (its signature, user,
// activity and expiry; no Redis round trip); the purchase script refuses an
// attempt without a valid one with 403 admission_required, whose message
// says what was wrong. A draw activity sells only through its draw, so
// every attempt there is admission_required, token or not. A nil admissions verifies no
// token. Open activities ignore the token.
func Handler(store *redislib.Store, limit sale.Rate, admissions *auth.Admissions) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, user, token, err := parse(c)
		if err != nil {
			return err
		}
		refused := auth.ErrAdmissionSecretMissing
		if admissions != nil {
			refused = admissions.Verify(token, user, id)
		}
		admitted := ""
		if refused == nil {
			admitted = sale.AdmissionQueue
		}
		res, err := store.PurchaseAdmitted(c.UserContext(), id, user, limit, admitted)
		if limited := (*sale.RateLimitedError)(nil); errors.As(err, &limited) {
			return httpapi.TooManyRequests(c, limited.Wait)
		}
		if err != nil {
			return err
		}
		if res.Outcome == sale.OutcomeAdmissionRequired {
			telemetry.SetOutcome(c, string(res.Outcome))
			if sale.ErrorCode(refused) != sale.CodeAdmissionRequired {
				refused = sale.Errorf(sale.CodeAdmissionRequired, "this activity needs an admission, and this process cannot verify admission tokens")
			}
			return refused
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

func decodeRequest(c *fiber.Ctx) (userID, token string, err error) {
	var req request
	if err := httpapi.Decode(c, &req); err != nil {
		return "", "", err
	}
	if userID, err = httpapi.RequireUserID(req.UserID); err != nil {
		return "", "", err
	}
	if req.AdmissionToken != nil {
		token = *req.AdmissionToken
	}
	return userID, token, nil
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
