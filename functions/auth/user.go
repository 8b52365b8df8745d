package auth

import (
	"errors"
	"fmt"
	"log/slog"

	"github.com/gofiber/fiber/v2"

	"seckill/functions/httpapi"
	"seckill/redislib"
	"seckill/redislib/sale"
)

// UserSource returns the user a request acts for, validated: UserInBody or
// UserInParam. Its errors are the request's answer (400 for a missing or
// malformed user ID).
type UserSource func(c *fiber.Ctx) (string, error)

// UserInBody reads the user from the "user_id" field of the JSON body. Other
// fields are left to the handler, which decodes the body strictly itself.
func UserInBody(c *fiber.Ctx) (string, error) {
	var req struct {
		UserID *string `json:"user_id"`
	}
	if err := httpapi.DecodePart(c, &req); err != nil {
		return "", err
	}
	return httpapi.RequireUserID(req.UserID)
}

// UserInParam returns a UserSource that reads the route parameter name.
func UserInParam(name string) UserSource {
	return func(c *fiber.Ctx) (string, error) { return httpapi.PathUserID(c, name) }
}

const userKey = "seckill.user"

// RequireOwner is the check of a route for a resource's Owner (see
// Access.Owner): 403 forbidden when the request's token is another user's
// than owner. A request with the admin token, or with user authentication
// off, passes.
func RequireOwner(c *fiber.Ctx, owner string) error {
	if u := AuthenticatedUser(c); u != "" && u != owner {
		return httpapi.Fail(sale.CodeForbidden, "the token is for another user than the owner")
	}
	return nil
}

// AuthenticatedUser returns the user that the request's token proved, or ""
// when user authentication is off or the request came with the admin token.
func AuthenticatedUser(c *fiber.Ctx) string {
	u, _ := c.Locals(userKey).(string)
	return u
}

// Access is what a route asks of its callers beyond the admin token (see
// AdminAuth): the fields of the same names of the function registry's Route.
type Access struct {
	// User, when set, says which user the request acts for; with user
	// authentication on, the bearer JWT's subject must be that user.
	User UserSource
	// Owner says the request acts for the owner of the resource it names,
	// known only once the handler reads it: with user authentication on, the
	// gate requires a valid token and the handler checks its subject with
	// RequireOwner.
	Owner bool
	// AdminActsForUser lets a request with the admin token through without
	// a user token or rate limit.
	AdminActsForUser bool
	// RateLimited counts each request against the client IP's and, with
	// User set, the user's rate limit.
	RateLimited bool
	// OwnUserLimit leaves the user's rate limit to the handler, which takes
	// it in its own store call; the gate applies only the client IP's.
	OwnUserLimit bool
}

// Gate builds the middleware that enforces each route's Access with one
// app's settings.
type Gate struct {
	store      *redislib.Store
	adminToken string
	limits     RateLimitConfig
	tokens     *userTokens
	tokensErr  error // a configuration that cannot verify tokens: user routes fail closed
}

// NewGate returns the gate of an app: its store (for the rate-limit
// buckets), admin token, user token settings and rate limits, and the log
// of its JWKS refreshes. A token configuration that cannot work is returned
// as the error; the gate then fails closed, and so it does with user
// authentication on and no keys: routes that act for a user answer 500 (a
// main refuses to start with either before this; see TokenConfig.Check and
// ErrUserAuthNotConfigured). Close ends the JWKS refresh.
func NewGate(store *redislib.Store, adminToken string, tokens TokenConfig, limits RateLimitConfig, log *slog.Logger) (*Gate, error) {
	g := &Gate{store: store, adminToken: adminToken, limits: limits}
	var err error
	g.tokens, err = newUserTokens(tokens, log)
	g.tokensErr = err
	if err == nil && g.tokens == nil && !tokens.Off() {
		g.tokensErr = ErrUserAuthNotConfigured
	}
	return g, err
}

// Close stops the background refresh of the JWKS, if any.
func (g *Gate) Close() {
	if g.tokens != nil {
		g.tokens.stop()
	}
}

// For returns the middleware of a route with access a, or nil when the
// route needs none. In order: a request with the admin token passes when
// the route allows it; with user authentication on, a token is required
// (401 unauthorized) and must be valid (401 invalid_token); the user is read
// from the request (400); it must be the token's subject (403; a route for
// a resource's Owner leaves this check to its handler); then the rate limits
// apply (429). Nothing here
// writes to Redis except the rate-limit buckets, and only for a request that
// got that far.
func (g *Gate) For(a Access) fiber.Handler {
	authOn := (a.User != nil || a.Owner) && (g.tokens != nil || g.tokensErr != nil)
	ipLimit := a.RateLimited && g.limits.RateLimitIPRPS > 0
	userLimit := a.RateLimited && a.User != nil && !a.OwnUserLimit && g.limits.RateLimitReadRPS > 0
	if !authOn && !ipLimit && !userLimit {
		return nil
	}
	errNoToken := httpapi.Fail(httpapi.CodeUnauthorized, "this route needs the header Authorization: Bearer followed by a user token")
	return func(c *fiber.Ctx) error {
		if a.AdminActsForUser && isAdmin(c, g.adminToken) {
			return c.Next()
		}
		var subject string
		if authOn {
			if g.tokensErr != nil {
				// Misconfigured verification fails closed (a main refuses to
				// start with it; this only guards apps built directly).
				return fmt.Errorf("user authentication misconfigured: %w", g.tokensErr)
			}
			tok, ok := bearer(c)
			if !ok {
				return errNoToken
			}
			var err error
			if subject, err = g.tokens.subject(c.UserContext(), tok); err != nil {
				return httpapi.Fail(httpapi.CodeInvalidToken, "invalid user token: %s", tokenProblem(err))
			}
			if a.Owner {
				c.Locals(userKey, subject)
			}
		}
		var user string
		if a.User != nil {
			var err error
			if user, err = a.User(c); err != nil {
				return err
			}
		}
		if authOn && a.User != nil {
			if subject != user {
				return httpapi.Fail(sale.CodeForbidden, "the token is for another user than the request's user_id")
			}
			c.Locals(userKey, user)
		}
		if ipLimit || userLimit {
			if err := g.rateLimit(c, ipLimit, userLimit, user); err != nil {
				return err
			}
		}
		return c.Next()
	}
}

// RateLimitConfig is the rate limits of rate-limited routes (purchase and
// the reads of results, histories and orders), shared by every instance
// through Redis. Every field is one environment variable, read by a main.
// A user's purchase attempts and reads have budgets of their own, so a
// tight limit on attempts never keeps a shopper from reading their result.
type RateLimitConfig struct {
	RateLimitUserRPS   float64 `envconfig:"RATE_LIMIT_USER_RPS" default:"5" desc:"purchase attempts per second one user may make in one activity on average (0: no per-user limit)"`
	RateLimitUserBurst int     `envconfig:"RATE_LIMIT_USER_BURST" default:"10" desc:"purchase attempts one user may make at once in one activity"`
	RateLimitReadRPS   float64 `envconfig:"RATE_LIMIT_READ_RPS" default:"20" desc:"requests per second one user may make on average on the other rate-limited routes: reads of results, histories and orders (0: no per-user limit)"`
	RateLimitReadBurst int     `envconfig:"RATE_LIMIT_READ_BURST" default:"40" desc:"requests one user may make at once on those routes"`
	RateLimitIPRPS     float64 `envconfig:"RATE_LIMIT_IP_RPS" default:"0" desc:"requests per second one client IP (IPv6: one /64) may make on average (0: no per-IP limit)"`
	RateLimitIPBurst   int     `envconfig:"RATE_LIMIT_IP_BURST" default:"100" desc:"requests one client IP may make at once"`
}

// Check reports the first limit that cannot work.
func (cfg RateLimitConfig) Check() error {
	switch {
	case cfg.RateLimitUserRPS < 0 || cfg.RateLimitReadRPS < 0 || cfg.RateLimitIPRPS < 0:
		return errors.New("RATE_LIMIT_USER_RPS, RATE_LIMIT_READ_RPS and RATE_LIMIT_IP_RPS must be 0 (off) or positive")
	case cfg.RateLimitUserRPS > 0 && cfg.RateLimitUserBurst < 1:
		return errors.New("RATE_LIMIT_USER_BURST must be at least 1 when RATE_LIMIT_USER_RPS is set")
	case cfg.RateLimitReadRPS > 0 && cfg.RateLimitReadBurst < 1:
		return errors.New("RATE_LIMIT_READ_BURST must be at least 1 when RATE_LIMIT_READ_RPS is set")
	case cfg.RateLimitIPRPS > 0 && cfg.RateLimitIPBurst < 1:
		return errors.New("RATE_LIMIT_IP_BURST must be at least 1 when RATE_LIMIT_IP_RPS is set")
	}
	return nil
}

// UserRate is the per-user rate limit, for a handler that takes it itself
// (see Access.OwnUserLimit).
func (cfg RateLimitConfig) UserRate() sale.Rate {
	return sale.Rate{PerSecond: cfg.RateLimitUserRPS, Burst: cfg.RateLimitUserBurst}
}

// rateLimit counts the request against the client network's and the user's
// rate limits, as enabled, in one round trip: 429 rate_limited with Retry-After
// (whole seconds, at least 1) when either refuses.
func (g *Gate) rateLimit(c *fiber.Ctx, ipLimit, userLimit bool, user string) error {
	cfg := g.limits
	var ip, limitedUser string
	if ipLimit {
		ip = clientNet(c.IP())
	}
	if userLimit {
		limitedUser = user
	}
	ok, wait, err := g.store.RateLimit(c.UserContext(), ip, sale.Rate{PerSecond: cfg.RateLimitIPRPS, Burst: cfg.RateLimitIPBurst},
		limitedUser, sale.Rate{PerSecond: cfg.RateLimitReadRPS, Burst: cfg.RateLimitReadBurst})
	if err != nil {
		return err
	}
	if !ok {
		return httpapi.TooManyRequests(c, wait)
	}
	return nil
}
