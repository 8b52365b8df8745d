package httpapi

import "github.com/gofiber/fiber/v2"

// errorCodeKey holds, in Fiber's Locals, the code of the error answer sent.
const errorCodeKey = "seckill.error_code"

// ErrorCodeOf returns the code of the error answer sent to the request
// (set by ErrorHandler), or "" when it was answered without an error.
func ErrorCodeOf(c *fiber.Ctx) string {
	code, _ := c.Locals(errorCodeKey).(string)
	return code
}

// RequestID returns the request's ID (see RequestIDs).
func RequestID(c *fiber.Ctx) string {
	id, _ := c.Locals("requestid").(string)
	return id
}

// unmatchedRoute is the route of a request no route matched.
const unmatchedRoute = "unmatched"

// RouteOf returns the Fiber route pattern that served the request (for
// example /activities/:id/purchase), or unmatchedRoute when no route matched;
// never the raw path, which would make a metric series per ID. When nothing
// matched, Fiber answers not_found or method_not_allowed and leaves the last
// middleware as the request's route, whose path is "/" (no API route is "/").
func RouteOf(c *fiber.Ctx) string {
	r := c.Route()
	if code := ErrorCodeOf(c); r == nil || r.Path == "/" || code == CodeNotFound || code == CodeMethodNotAllowed {
		return unmatchedRoute
	}
	return r.Path
}
