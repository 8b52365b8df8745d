package httpapi

import (
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"seckill/redislib"
)

// PathID returns the route parameter name after checking it can be a
// product or activity ID; a malformed ID is a 400 invalid_id.
//
// The ID is a copy: c.Params aliases the request buffer, which Fiber reuses
// for the next request, and an ID outlives its request in the store's
// memory (the sold-out leases are keyed by activity ID).
func PathID(c *fiber.Ctx, name string) (string, error) {
	id := c.Params(name)
	if err := redislib.CheckID(name, id); err != nil {
		return "", err
	}
	return strings.Clone(id), nil
}

// PathUserID returns the route parameter name, percent-decoded (a client
// may send auth0|abc as auth0%7Cabc), after checking it is a valid user ID;
// a malformed ID is a 400 invalid_user_id. Like PathID, it returns a copy.
func PathUserID(c *fiber.Ctx, name string) (string, error) {
	raw := c.Params(name)
	user, err := url.PathUnescape(raw)
	if err != nil {
		user = raw // not valid percent-encoding: refused by the rule below
	}
	if err := redislib.CheckUserID(user); err != nil {
		return "", err
	}
	if user == raw {
		user = strings.Clone(raw)
	}
	return user, nil
}

// PathOrderID returns the route parameter name after checking it is a
// well-formed order ID; a malformed ID is a 400 invalid_id. Like PathID, it
// returns a copy.
func PathOrderID(c *fiber.Ctx, name string) (string, error) {
	id := c.Params(name)
	if _, err := redislib.ParseOrderID(name, id); err != nil {
		return "", err
	}
	return strings.Clone(id), nil
}

// PageQuery reads the ?cursor= and ?limit= of a listing request (limit 1 to
// 100, default 20); failures are 400 invalid_cursor or invalid_limit.
func PageQuery(c *fiber.Ctx) (redislib.PageQuery, error) {
	return redislib.ParsePageQuery(c.Query("cursor"), c.Query("limit"))
}
