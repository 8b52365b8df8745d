package telemetry

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"
	"go.opentelemetry.io/otel/trace"

	"seckill/functions/httpapi"
)

// ParseLevel parses a LOG_LEVEL value: debug, info, warn or error, in any case.
func ParseLevel(level string) (slog.Level, error) {
	switch strings.ToLower(strings.TrimSpace(level)) {
	case "debug":
		return slog.LevelDebug, nil
	case "info":
		return slog.LevelInfo, nil
	case "warn":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return slog.LevelInfo, fmt.Errorf("LOG_LEVEL %q is not one of debug, info, warn, error", level)
}

// NewLogger returns a JSON logger writing to w at the given level name (info
// when the name is not a level; Run rejects such a LOG_LEVEL before this).
// Records logged with a context that carries a span get its trace_id and
// span_id, so a log line leads to its trace.
func NewLogger(w io.Writer, level string) *slog.Logger {
	l, err := ParseLevel(level)
	if err != nil {
		l = slog.LevelInfo
	}
	return slog.New(traceHandler{slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l})})
}

// traceHandler adds the trace and span IDs of the record's context.
type traceHandler struct{ slog.Handler }

func (h traceHandler) Handle(ctx context.Context, r slog.Record) error {
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		r.AddAttrs(slog.String("trace_id", sc.TraceID().String()), slog.String("span_id", sc.SpanID().String()))
	}
	return h.Handler.Handle(ctx, r)
}

func (h traceHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return traceHandler{h.Handler.WithAttrs(attrs)}
}

func (h traceHandler) WithGroup(name string) slog.Handler {
	return traceHandler{h.Handler.WithGroup(name)}
}

// Keys of request-scoped values in Fiber's Locals.
const (
	outcomeKey = "seckill.outcome"
	routineKey = "seckill.routine"
)

// SetOutcome records the business outcome of a request (for example a
// purchase's "won") for the request log line, the outcome metric and the span.
func SetOutcome(c *fiber.Ctx, outcome string) { c.Locals(outcomeKey, outcome) }

// SetRoutine marks a request as one of many alike on a hot path, such as an
// answered purchase attempt, whose log line adds nothing the metrics and
// the store do not keep (a win is its order and its event in Redis): when
// it succeeds quickly, its log line is sampled (see RequestLogger). It is
// still counted in the metrics and traced like every other request.
func SetRoutine(c *fiber.Ctx) { c.Locals(routineKey, true) }

func isRoutine(c *fiber.Ctx) bool {
	r, _ := c.Locals(routineKey).(bool)
	return r
}

func outcomeOf(c *fiber.Ctx) string {
	o, _ := c.Locals(outcomeKey).(string)
	return o
}

// quietRoutes are probed or scraped every few seconds; their request lines
// are logged at debug so they do not drown the traffic.
var quietRoutes = map[string]bool{"/livez": true, "/readyz": true, "/metrics": true}

// slowRequest is the latency from which a request is always logged, routine
// or not.
const slowRequest = 100 * time.Millisecond

// RequestLogger writes one line per request to log: request_id, method,
// path, the route pattern, status, latency_ms, and when set the outcome and
// error code. Of the routine requests (SetRoutine) that succeed in less than
// slowRequest, only one in sample is logged, with sampled=N on its line;
// every error, every slow request and every other request is logged.
func RequestLogger(log *slog.Logger, sample int) fiber.Handler {
	var routine atomic.Uint64
	every := uint64(max(sample, 1))
	return func(c *fiber.Ctx) error {
		start := time.Now()
		err := c.Next()
		if err != nil {
			if herr := c.App().ErrorHandler(c, err); herr != nil {
				_ = c.SendStatus(fiber.StatusInternalServerError)
			}
		}
		status := c.Response().StatusCode()
		elapsed := time.Since(start)
		sampled := every > 1 && status < 400 && elapsed < slowRequest && isRoutine(c)
		if sampled && routine.Add(1)%every != 0 {
			return nil
		}
		route := httpapi.RouteOf(c)
		level := slog.LevelInfo
		if quietRoutes[route] && status < 500 {
			level = slog.LevelDebug
		}
		if !log.Enabled(c.UserContext(), level) {
			return nil
		}
		attrs := []slog.Attr{
			slog.String("request_id", httpapi.RequestID(c)),
			slog.String("method", c.Method()),
			slog.String("path", c.Path()),
			slog.String("route", route),
			slog.Int("status", status),
			slog.Float64("latency_ms", float64(elapsed.Microseconds())/1000),
		}
		if sampled {
			attrs = append(attrs, slog.Uint64("sampled", every))
		}
		if o := outcomeOf(c); o != "" {
			attrs = append(attrs, slog.String("outcome", o))
		}
		if code := httpapi.ErrorCodeOf(c); code != "" {
			attrs = append(attrs, slog.String("code", code))
		}
		log.LogAttrs(c.UserContext(), level, "request", attrs...)
		return nil
	}
}
