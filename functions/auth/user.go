package auth

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/golang-jwt/jwt/v5"

	"seckill/functions/httpapi"
	"seckill/redislib"
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

// AuthenticatedUser returns the user that the request's token proved, or ""
// when user authentication is off or the request came with the admin token.
func AuthenticatedUser(c *fiber.Ctx) string {
	u, _ := c.Locals(userKey).(string)
	return u
}

// userTokens verifies user JWTs: the signature with the configured key and
// algorithm only, an expiry (required), and the issuer and audience when
// configured.
type userTokens struct {
	key    any
	parser *jwt.Parser
}

// minUserJWTSecret is the shortest HS256 secret accepted, in bytes (256 bits,
// the size of the HMAC-SHA256 output).
const minUserJWTSecret = 32

// TokenConfig configures user authentication: off unless a secret or a
// public key is set. Every field is one environment variable, read by a main.
type TokenConfig struct {
	UserJWTSecret    string `envconfig:"USER_JWT_SECRET" desc:"HS256 secret (at least 32 bytes) of user tokens; when set, user routes need a bearer JWT whose sub is the user (never logged)"`
	UserJWTPublicKey string `envconfig:"USER_JWT_PUBLIC_KEY" desc:"PEM public key (RSA: RS256, EC: ES256/384/512, Ed25519: EdDSA) of user tokens, or the path of a PEM file; alternative to USER_JWT_SECRET"`
	UserJWTIssuer    string `envconfig:"USER_JWT_ISSUER" desc:"when set, user tokens must carry this iss"`
	UserJWTAudience  string `envconfig:"USER_JWT_AUDIENCE" desc:"when set, user tokens must carry this aud"`
}

// Check reports why cfg cannot verify tokens (a short secret, both a secret
// and a key, an unreadable or unsupported key), without a secret's value.
func (cfg TokenConfig) Check() error {
	_, err := newUserTokens(cfg)
	return err
}

// newUserTokens returns the verifier configured by cfg, or nil when user
// authentication is off.
func newUserTokens(cfg TokenConfig) (*userTokens, error) {
	if cfg.UserJWTSecret == "" && cfg.UserJWTPublicKey == "" {
		return nil, nil
	}
	if cfg.UserJWTSecret != "" && cfg.UserJWTPublicKey != "" {
		return nil, errors.New("set USER_JWT_SECRET or USER_JWT_PUBLIC_KEY, not both")
	}
	var key any
	var alg string
	if cfg.UserJWTSecret != "" {
		if len(cfg.UserJWTSecret) < minUserJWTSecret {
			return nil, fmt.Errorf("USER_JWT_SECRET is %d bytes; it must be at least %d", len(cfg.UserJWTSecret), minUserJWTSecret)
		}
		key, alg = []byte(cfg.UserJWTSecret), jwt.SigningMethodHS256.Alg()
	} else {
		var err error
		if key, alg, err = parsePublicKey(cfg.UserJWTPublicKey); err != nil {
			return nil, fmt.Errorf("USER_JWT_PUBLIC_KEY: %w", err)
		}
	}
	opts := []jwt.ParserOption{jwt.WithValidMethods([]string{alg}), jwt.WithExpirationRequired(),
		jwt.WithLeeway(30 * time.Second)}
	if cfg.UserJWTIssuer != "" {
		opts = append(opts, jwt.WithIssuer(cfg.UserJWTIssuer))
	}
	if cfg.UserJWTAudience != "" {
		opts = append(opts, jwt.WithAudience(cfg.UserJWTAudience))
	}
	return &userTokens{key: key, parser: jwt.NewParser(opts...)}, nil
}

// parsePublicKey reads a PEM public key (PKIX, PKCS #1 or a certificate's),
// given as PEM text or as the path of a PEM file, with golang-jwt's parsers,
// and returns it with the one algorithm it verifies.
func parsePublicKey(s string) (any, string, error) {
	data := []byte(s)
	if !strings.Contains(s, "-----BEGIN") {
		var err error
		if data, err = os.ReadFile(s); err != nil {
			return nil, "", fmt.Errorf("neither PEM text nor a readable file: %w", err)
		}
	}
	rsaKey, err := jwt.ParseRSAPublicKeyFromPEM(data)
	switch {
	case errors.Is(err, jwt.ErrKeyMustBePEMEncoded):
		return nil, "", errors.New("no PEM block found")
	case err == nil:
		if rsaKey.N.BitLen() < 2048 {
			return nil, "", fmt.Errorf("RSA key of %d bits; at least 2048 are needed", rsaKey.N.BitLen())
		}
		return rsaKey, jwt.SigningMethodRS256.Alg(), nil
	}
	if ecKey, err := jwt.ParseECPublicKeyFromPEM(data); err == nil {
		switch name := ecKey.Curve.Params().Name; name {
		case "P-256":
			return ecKey, jwt.SigningMethodES256.Alg(), nil
		case "P-384":
			return ecKey, jwt.SigningMethodES384.Alg(), nil
		case "P-521":
			return ecKey, jwt.SigningMethodES512.Alg(), nil
		default:
			return nil, "", fmt.Errorf("unsupported EC curve %s", name)
		}
	}
	if edKey, err := jwt.ParseEdPublicKeyFromPEM(data); err == nil {
		return edKey, jwt.SigningMethodEdDSA.Alg(), nil
	}
	return nil, "", errors.New("the PEM block is not a public key of a supported type (RSA, EC P-256/384/521 or Ed25519; PKIX, PKCS #1 or certificate)")
}

// subject verifies a token and returns its subject.
func (u *userTokens) subject(token string) (string, error) {
	var claims jwt.RegisteredClaims
	if _, err := u.parser.ParseWithClaims(token, &claims, func(*jwt.Token) (any, error) { return u.key, nil }); err != nil {
		return "", err
	}
	if claims.Subject == "" {
		return "", errors.New("token has no subject")
	}
	return claims.Subject, nil
}

// Access is what a route asks of its callers beyond the admin token (see
// AdminAuth): the fields of the same names of the function registry's Route.
type Access struct {
	// User, when set, says which user the request acts for; with user
	// authentication on, the bearer JWT's subject must be that user.
	User UserSource
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
	tokensErr  error
}

// NewGate returns the gate of an app: its store (for the rate-limit
// buckets), admin token, user token settings and rate limits. A token
// configuration that cannot work is returned as the error, and the gate
// then fails closed: routes that act for a user answer 500 (a main refuses
// to start with it before this; see TokenConfig.Check).
func NewGate(store *redislib.Store, adminToken string, tokens TokenConfig, limits RateLimitConfig) (*Gate, error) {
	g := &Gate{store: store, adminToken: adminToken, limits: limits}
	g.tokens, g.tokensErr = newUserTokens(tokens)
	return g, g.tokensErr
}

// For returns the middleware of a route with access a, or nil when the
// route needs none. In order: a request with the admin token passes when
// the route allows it; with user authentication on, a valid token is
// required (401); the user is read from the request (400); it must be the
// token's subject (403); then the rate limits apply (429). Nothing here
// writes to Redis except the rate-limit buckets, and only for a request that
// got that far.
func (g *Gate) For(a Access) fiber.Handler {
	authOn := a.User != nil && (g.tokens != nil || g.tokensErr != nil)
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
			if subject, err = g.tokens.subject(tok); err != nil {
				return httpapi.Fail(httpapi.CodeUnauthorized, "invalid user token: %s", tokenProblem(err))
			}
		}
		var user string
		if a.User != nil {
			var err error
			if user, err = a.User(c); err != nil {
				return err
			}
		}
		if authOn {
			if subject != user {
				return httpapi.Fail(httpapi.CodeForbidden, "the token is for another user than the request's user_id")
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

// tokenProblem describes why a token was refused without echoing it.
func tokenProblem(err error) string {
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return "expired"
	case errors.Is(err, jwt.ErrTokenNotValidYet), errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return "not valid yet"
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		return "a required claim (exp) is missing"
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		return "wrong issuer"
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		return "wrong audience"
	case errors.Is(err, jwt.ErrTokenSignatureInvalid), errors.Is(err, jwt.ErrTokenUnverifiable):
		return "bad signature or algorithm"
	case errors.Is(err, jwt.ErrTokenMalformed):
		return "malformed"
	}
	return "no subject or not acceptable"
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
func (cfg RateLimitConfig) UserRate() redislib.Rate {
	return redislib.Rate{PerSecond: cfg.RateLimitUserRPS, Burst: cfg.RateLimitUserBurst}
}

// rateLimit takes the request from the client IP's bucket and the user's
// bucket, as enabled, in one round trip: 429 rate_limited with Retry-After
// (whole seconds, at least 1) when either refuses.
func (g *Gate) rateLimit(c *fiber.Ctx, ipLimit, userLimit bool, user string) error {
	cfg := g.limits
	limits := make([]redislib.Limit, 0, 2)
	if ipLimit {
		limits = append(limits, redislib.Limit{Key: redislib.IPRateLimitKey(clientNet(c.IP())), Rate: cfg.RateLimitIPRPS, Burst: cfg.RateLimitIPBurst})
	}
	if userLimit {
		limits = append(limits, redislib.Limit{Key: redislib.UserRateLimitKey(user), Rate: cfg.RateLimitReadRPS, Burst: cfg.RateLimitReadBurst})
	}
	ok, wait, err := g.store.RateLimit(c.UserContext(), limits...)
	if err != nil {
		return err
	}
	if !ok {
		return httpapi.TooManyRequests(c, wait)
	}
	return nil
}
