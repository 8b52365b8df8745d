package telemetry

import (
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"seckill/functions/httpapi"
)

// tracerName is the instrumentation scope of the request spans.
const tracerName = "seckill/functions/telemetry"

// propagator reads W3C trace context and baggage from incoming headers.
var propagator = propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})

// Observe measures every request into m and, when tp is not nil, wraps it
// in a server span that continues the caller's trace
// (traceparent header) and parents the Redis spans of the request: handlers
// pass c.UserContext() to the store, and the span lives in it.
//
// It runs before the request logger, so that log line carries the trace ID,
// and sees every request after the logger has turned errors into responses.
func Observe(m *Metrics, tp trace.TracerProvider) fiber.Handler {
	var tracer trace.Tracer
	if tp != nil {
		tracer = tp.Tracer(tracerName)
	}
	return func(c *fiber.Ctx) error {
		start := time.Now()
		// Fiber's strings point into buffers reused by the next request:
		// anything kept past this request (metric labels, span fields) is
		// a constant or a copy.
		method := methodName(c.Method())
		var span trace.Span
		if tracer != nil {
			ctx := propagator.Extract(c.UserContext(), headerCarrier{c})
			ctx, span = tracer.Start(ctx, method, trace.WithSpanKind(trace.SpanKindServer),
				trace.WithAttributes(semconv.HTTPRequestMethodKey.String(method), semconv.URLPath(strings.Clone(c.Path()))))
			c.SetUserContext(ctx)
		}
		err := c.Next()
		if err != nil {
			// Only reached if a middleware before the request logger failed.
			if herr := c.App().ErrorHandler(c, err); herr != nil {
				_ = c.SendStatus(fiber.StatusInternalServerError)
			}
		}
		route, status := httpapi.RouteOf(c), c.Response().StatusCode()
		outcome, code := outcomeOf(c), httpapi.ErrorCodeOf(c)
		m.observe(route, method, status, time.Since(start), outcome, code)
		if span != nil {
			span.SetName(method + " " + route)
			span.SetAttributes(semconv.HTTPRoute(route), semconv.HTTPResponseStatusCode(status),
				attribute.String("seckill.request_id", strings.Clone(httpapi.RequestID(c))))
			if outcome != "" {
				span.SetAttributes(attribute.String("seckill.outcome", outcome))
			}
			if code != "" {
				span.SetAttributes(attribute.String("seckill.error_code", code))
			}
			if status >= 500 {
				span.SetStatus(codes.Error, code)
			}
			span.End()
		}
		return nil
	}
}

// methods are the request methods the API uses.
var methods = [...]string{fiber.MethodGet, fiber.MethodHead, fiber.MethodPost, fiber.MethodPut,
	fiber.MethodPatch, fiber.MethodDelete, fiber.MethodOptions}

// methodName returns the request method as a constant string, and "OTHER"
// for a method the API does not use, which also bounds the label's values.
func methodName(m string) string {
	for _, known := range methods {
		if m == known {
			return known
		}
	}
	return "OTHER"
}

// headerCarrier adapts Fiber's request and response headers to the
// propagation API.
type headerCarrier struct{ c *fiber.Ctx }

func (h headerCarrier) Get(key string) string { return h.c.Get(key) }

func (h headerCarrier) Set(key, value string) { h.c.Set(key, value) }

func (h headerCarrier) Keys() []string {
	keys := make([]string, 0, 8)
	h.c.Request().Header.VisitAll(func(k, _ []byte) { keys = append(keys, string(k)) })
	return keys
}
