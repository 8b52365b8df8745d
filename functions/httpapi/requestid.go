package httpapi

import (
	"seckill/redislib/sale"
	"strconv"
	"sync/atomic"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/requestid"
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

// RequestIDs gives every request an ID, in Fiber's requestid middleware:
// the X-Request-ID the client sent when it is validRequestID, otherwise a
// fresh one, so arbitrary client bytes never reach logs and headers. The
// ID is answered in X-Request-ID and read with RequestID.
func RequestIDs() fiber.Handler {
	assign := requestid.New(requestid.Config{Header: fiber.HeaderXRequestID, Generator: newRequestIDs().next})
	return func(c *fiber.Ctx) error {
		if id := c.Get(fiber.HeaderXRequestID); id != "" && !validRequestID(id) {
			c.Request().Header.Del(fiber.HeaderXRequestID)
		}
		return assign(c)
	}
}

// requestIDs generates the IDs of requests that come without one: a random
// prefix drawn once per process and a counter, unique across processes in
// practice and much cheaper than drawing random bytes per request.
type requestIDs struct {
	prefix string
	n      atomic.Uint64
}

func newRequestIDs() *requestIDs { return &requestIDs{prefix: sale.NewID() + "-"} }

func (g *requestIDs) next() string { return g.prefix + strconv.FormatUint(g.n.Add(1), 36) }
