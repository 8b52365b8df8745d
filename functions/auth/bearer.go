// Package auth decides who may call a route and how often: the admin
// bearer token, user JWTs whose subject must be the user a request acts for,
// and the rate limits per client IP and per user, shared by every instance
// through Redis.
package auth

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"strings"

	"github.com/gofiber/fiber/v2"

	"seckill/functions/httpapi"
	"seckill/redislib/sale"
)

// bearer returns the token of "Authorization: Bearer <token>": the scheme in
// any case (RFC 9110 makes it case-insensitive), the token with surrounding
// spaces removed. It is the one reading of the header, for the admin token
// and for user JWTs alike; ok is false when there is no non-empty bearer token.
func bearer(c *fiber.Ctx) (token string, ok bool) {
	const scheme = "Bearer "
	h := c.Get(fiber.HeaderAuthorization)
	if len(h) < len(scheme) || !strings.EqualFold(h[:len(scheme)], scheme) {
		return "", false
	}
	token = strings.TrimSpace(h[len(scheme):])
	return token, token != ""
}

// isAdmin reports whether the request carries the admin token, compared in
// constant time; an empty configured token matches nothing.
func isAdmin(c *fiber.Ctx, adminToken string) bool {
	tok, ok := bearer(c)
	return ok && adminToken != "" && subtle.ConstantTimeCompare([]byte(tok), []byte(adminToken)) == 1
}

// AdminAuth requires "Authorization: Bearer <token>", compared in constant
// time. An empty token rejects everything, so a route is never open by mistake.
// The request's context then names its admin for the audit trail
// (AdminActor).
func AdminAuth(token string) fiber.Handler {
	errUnauthorized := httpapi.Fail(httpapi.CodeUnauthorized, "admin routes need the header Authorization: Bearer followed by the admin token")
	actor := AdminActor(token)
	return func(c *fiber.Ctx) error {
		if !isAdmin(c, token) {
			return errUnauthorized
		}
		c.SetUserContext(sale.WithActor(c.UserContext(), actor))
		return c.Next()
	}
}

// AdminActor is how the audit trail names a holder of the admin token:
// "admin-token:" and the first 12 hex digits of the token's SHA-256. It tells
// apart the tokens of a rotation without recording anything that helps to
// guess one.
func AdminActor(token string) string {
	sum := sha256.Sum256([]byte(token))
	return "admin-token:" + hex.EncodeToString(sum[:6])
}

// OptionalAdmin reports whether the request carries the admin bearer token,
// for routes that users and admins may both call. No Authorization header
// means a user (false); a header that is not "Bearer <admin token>" is a 401
// unauthorized rather than being taken for a user, unless it is a user token
// that the route's gate verified (see Access.User), which means a user. For an
// admin, the request's context then names the admin for the audit trail, as
// AdminAuth does.
func OptionalAdmin(c *fiber.Ctx, token string) (bool, error) {
	if AuthenticatedUser(c) != "" {
		return false, nil // the bearer is a user token, verified by the route's gate
	}
	if c.Get(fiber.HeaderAuthorization) == "" {
		return false, nil
	}
	if isAdmin(c, token) {
		c.SetUserContext(sale.WithActor(c.UserContext(), AdminActor(token)))
		return true, nil
	}
	return false, httpapi.Fail(httpapi.CodeUnauthorized, "the Authorization header must be Bearer followed by the admin token, or absent")
}
