package platform

import (
	"crypto/subtle"
	"strings"

	"github.com/gofiber/fiber/v2"

	"seckill/redislib"
)

// PathOrderID returns the route parameter name after checking it is a
// well-formed order ID (an activity ID, a dash and 16 hex characters); a
// malformed ID is a 400 invalid_id.
func PathOrderID(c *fiber.Ctx, name string) (string, error) {
	id := c.Params(name)
	if _, ok := redislib.ActivityOfOrder(id); !ok {
		return "", Fail(CodeInvalidID, "%s must be an order ID: an activity ID, a dash and 16 lowercase hex characters", name)
	}
	return id, nil
}

// OptionalAdmin reports whether the request carries the admin bearer token,
// for routes that users and admins may both call. No Authorization header
// means a user (false); a header that is not "Bearer <admin token>" is a 401
// unauthorized rather than being taken for a user, unless it is a user token
// that the route's User check verified (see Route.User), which means a user.
func OptionalAdmin(c *fiber.Ctx, token string) (bool, error) {
	if AuthenticatedUser(c) != "" {
		return false, nil // the bearer is a user token, verified by the route's User check
	}
	h := c.Get(fiber.HeaderAuthorization)
	if h == "" {
		return false, nil
	}
	scheme, key, ok := strings.Cut(h, " ")
	if ok && strings.EqualFold(scheme, "Bearer") && token != "" &&
		subtle.ConstantTimeCompare([]byte(strings.TrimSpace(key)), []byte(token)) == 1 {
		return true, nil
	}
	return false, Fail(CodeUnauthorized, "the Authorization header must be Bearer followed by the admin token, or absent")
}
