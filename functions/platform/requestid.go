package platform

import "github.com/gofiber/fiber/v2"

// MaxRequestIDLen is the longest X-Request-ID accepted from a client.
const MaxRequestIDLen = 128

// ValidRequestID reports whether id can be taken from a client as a request
// ID: 1 to MaxRequestIDLen characters of A-Z a-z 0-9 and - _ . : (enough for
// UUIDs, ULIDs and hex trace IDs, and safe in logs and response headers).
func ValidRequestID(id string) bool {
	if len(id) == 0 || len(id) > MaxRequestIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == ':' {
			continue
		}
		return false
	}
	return true
}

// checkRequestID drops an incoming X-Request-ID that is not ValidRequestID,
// so the requestid middleware after it generates a fresh one instead of
// echoing arbitrary client bytes into logs and headers.
func checkRequestID(c *fiber.Ctx) error {
	if id := c.Get(fiber.HeaderXRequestID); id != "" && !ValidRequestID(id) {
		c.Request().Header.Del(fiber.HeaderXRequestID)
	}
	return c.Next()
}
