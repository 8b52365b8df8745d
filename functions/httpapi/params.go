package httpapi

import (
	"net/url"
	"seckill/redislib/sale"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// PathID returns the route parameter name after checking it can be a
// product or activity ID; a malformed ID is a 400 invalid_id.
//
// The ID is a copy: c.Params aliases the request buffer, which Fiber reuses
// for the next request, and an ID outlives its request in the store's
// memory (the sold-out leases are keyed by activity ID).
func PathID(c *fiber.Ctx, name string) (string, error) {
	id := c.Params(name)
	if err := sale.CheckID(name, id); err != nil {
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
	if err := sale.CheckUserID(user); err != nil {
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
	if _, err := sale.ParseOrderID(name, id); err != nil {
		return "", err
	}
	return strings.Clone(id), nil
}

// PageQuery reads the ?cursor= and ?limit= of a listing request (limit 1 to
// 100, default 20); failures are 400 invalid_cursor or invalid_limit.
func PageQuery(c *fiber.Ctx) (sale.PageQuery, error) {
	return ParsePageQuery(c.Query("cursor"), c.Query("limit"))
}

// ParsePageQuery validates the raw ?cursor= and ?limit= values of a listing
// request. An empty limit is sale.DefaultPageLimit; an empty cursor is the
// first page. Failures are 400 invalid_limit or invalid_cursor.
func ParsePageQuery(cursor, limit string) (sale.PageQuery, error) {
	q := sale.PageQuery{Limit: sale.DefaultPageLimit}
	if limit != "" {
		n, err := strconv.Atoi(limit)
		if err != nil || n < 1 || n > sale.MaxPageLimit {
			return q, sale.Errorf(sale.CodeInvalidLimit, "limit must be an integer from 1 to %d", sale.MaxPageLimit)
		}
		q.Limit = n
	}
	if cursor != "" {
		c, err := sale.ParseCursor(cursor)
		if err != nil {
			return q, err
		}
		q.After = &c
	}
	return q, nil
}
