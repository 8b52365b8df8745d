package server

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/trace"

	"seckill/functions/auth"
	"seckill/functions/telemetry"
	"seckill/redislib"
)

// Function is one deployable operation: its name (the binary, image and
// service name) and the routes it serves.
type Function struct {
	Name    string
	Summary string
	// Writes is true when the function changes Redis: it then refuses to serve
	// on a Redis that does not fsync every write (see Config.AllowNonDurableRedis).
	Writes bool
	Routes []Route
	// Collector, when set, builds metrics of the function's own, registered
	// on its app's /metrics when it has a store. They are read when scraped,
	// so they cost the requests nothing.
	Collector func(Deps) prometheus.Collector
	// Background, when set, is work the function does in every process that
	// serves it, beside its routes (the waiting room's admissions): Run
	// starts it with the process's dependencies and cancels ctx on shutdown.
	// It must return when ctx ends and be safe to run in any number of
	// processes at once; a panic in it is logged and it is started again
	// (StartBackground).
	Background func(ctx context.Context, d Deps)
}

// Route is one HTTP method and path a function serves. Each route says who
// may call it: exactly one of Admin, User, Owner and Public (CheckRoutes), so
// that a route acting for a user gets the user check by its declaration.
type Route struct {
	Method string
	Path   string // Fiber syntax, e.g. /activities/:id/purchase
	// Admin routes need "Authorization: Bearer <ADMIN_TOKEN>".
	Admin bool
	// User, when set, says which user the request acts for (auth.UserInBody,
	// auth.UserInParam, or the route's own). With user authentication on
	// (the default; USER_AUTH=off turns it off) the route needs
	// "Authorization: Bearer <JWT>" whose subject is that user: 401 without
	// a valid token, 403 when the token is another user's.
	User auth.UserSource
	// Owner routes act for the owner of the resource they name (an order),
	// known once the handler reads it: with user authentication on they need
	// a valid user token, and the handler answers 403 unless
	// auth.RequireOwner passes.
	Owner bool
	// Public routes need neither a user nor the admin token: catalogue
	// reads, documentation, the storefront's assets, or a route that
	// authenticates its caller itself (a service's own credential).
	Public bool
	// AdminActsForUser lets a request with the admin token through without
	// a user token or rate limit (for example an admin cancelling an order).
	AdminActsForUser bool
	// RateLimited routes count each request against the client IP's and,
	// with User set, the user's rate limit (RATE_LIMIT_*), shared by every
	// instance through Redis: 429 rate_limited with Retry-After when over.
	// The bucket is written once the user is read, so a rate-limited route's
	// User should validate the whole request for bad input to write nothing.
	RateLimited bool
	// OwnUserLimit says the handler takes the user's rate limit itself, in
	// the round trip of its own store call (purchase does, inside the
	// purchase script); the gate then applies only the client IP's limit.
	OwnUserLimit bool
	// Payment routes confirm payments (signed by the payment service, see
	// auth.Webhook): the function refuses to start without
	// PAYMENT_WEBHOOK_SECRET unless PAYMENT_DEMO is set.
	Payment bool
	// Admission routes issue or verify the waiting room's admission tokens:
	// the function refuses to start without ADMISSION_SECRET.
	Admission bool
	// Handler builds the route's handler from the process's dependencies.
	Handler func(Deps) fiber.Handler
}

// access is what the route asks of its callers, for auth.Gate.
func (r Route) access() auth.Access {
	return auth.Access{User: r.User, Owner: r.Owner, AdminActsForUser: r.AdminActsForUser, RateLimited: r.RateLimited, OwnUserLimit: r.OwnUserLimit}
}

// forUser reports whether the route acts for a user.
func (r Route) forUser() bool { return r.User != nil || r.Owner }

// CheckRoutes reports the first route of fns that does not say who may call
// it with exactly one of Admin, User, Owner and Public. Run refuses to start
// with one.
func CheckRoutes(fns ...Function) error {
	for _, fn := range fns {
		for _, r := range fn.Routes {
			n := 0
			for _, set := range []bool{r.Admin, r.User != nil, r.Owner, r.Public} {
				if set {
					n++
				}
			}
			if n != 1 {
				return fmt.Errorf("function %s, route %s %s: declare exactly one of Admin, User, Owner and Public (it has %d)", fn.Name, r.Method, r.Path, n)
			}
		}
	}
	return nil
}

// userRoutes lists the routes of fns that act for a user.
func userRoutes(fns []Function) string {
	var s []string
	for _, fn := range fns {
		for _, r := range fn.Routes {
			if r.forUser() {
				s = append(s, r.Method+" "+r.Path)
			}
		}
	}
	return strings.Join(s, ", ")
}

// StartBackground starts the Background work of each of fns with d, until
// ctx ends. Work that panics is logged and started again a second later.
func StartBackground(ctx context.Context, d Deps, fns ...Function) {
	for _, fn := range fns {
		if fn.Background == nil {
			continue
		}
		work := fn.Background
		go func() {
			for telemetry.Run(d.Log, fn.Name+" background", func() { work(ctx, d) }) && ctx.Err() == nil {
				select {
				case <-ctx.Done():
				case <-time.After(time.Second):
				}
			}
		}()
	}
}

// Deps are the dependencies a handler factory may take. Only Run builds them
// from the environment; tests build them directly.
type Deps struct {
	Store  *redislib.Store
	Log    *slog.Logger
	Config Config
	// TracerProvider, when set, gives every request a span (nil: no tracing).
	TracerProvider trace.TracerProvider
	// Metrics are the app's own metrics; NewApp sets them.
	Metrics *telemetry.Metrics
	// Durability, when set, is what the durability watcher last saw of
	// Redis: state-changing routes answer 503 not_durable and /readyz 503
	// while it is not durable (unless Config.AllowNonDurableRedis), and
	// /metrics exports it (nil: not watched, always writable).
	Durability *redislib.DurabilityWatch
}
