package platform

import (
	"strconv"
	"sync/atomic"

	"github.com/gofiber/fiber/v2"

	"seckill/redislib"
)

// maxRequestIDLen is the longest X-Request-ID accepted from a client.
const maxRequestIDLen = 128

// validRequestID reports whether id can be taken from a client as a request
// ID: 1 to maxRequestIDLen characters of A-Z a-z 0-9 and - _ . : (enough for
// UUIDs, ULIDs and hex trace IDs, and safe in logs and response headers).
func validRequestID(id string) bool {
	if len(id) == 0 || len(id) > maxRequestIDLen {
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

// checkRequestID drops an incoming X-Request-ID that is not validRequestID,
// so the requestid middleware after it generates a fresh one instead of
// echoing arbitrary client bytes into logs and headers.
func checkRequestID(c *fiber.Ctx) error {
	if id := c.Get(fiber.HeaderXRequestID); id != "" && !validRequestID(id) {
		c.Request().Header.Del(fiber.HeaderXRequestID)
	}
	return c.Next()
}

// requestIDs generates the IDs of requests that come without one: a random
// prefix drawn once per process and a counter, unique across processes in
// practice and much cheaper than drawing random bytes per request.
type requestIDs struct {
	prefix string
	n      atomic.Uint64
}

func newRequestIDs() *requestIDs { return &requestIDs{prefix: redislib.NewID() + "-"} }

func (g *requestIDs) next() string { return g.prefix + strconv.FormatUint(g.n.Add(1), 36) }
