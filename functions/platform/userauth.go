package platform

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	"github.com/golang-jwt/jwt/v5"

	"seckill/redislib"
)

// UserSource returns the user a request acts for, validated: UserInBody or
// UserInParam. Its errors are the request's answer (400 for a missing or
// malformed user ID).
type UserSource func(c *fiber.Ctx) (string, error)

// UserInBody reads the user from the "user_id" field of the JSON body. Other
// fields are left to the handler, which decodes the body strictly itself.
func UserInBody(c *fiber.Ctx) (string, error) {
	body := c.Body()
	if len(bytes.TrimSpace(body)) == 0 {
		return "", Fail(CodeEmptyBody, "the request body is empty; send a JSON object")
	}
	if !utf8.Valid(body) {
		return "", Fail(CodeMalformedJSON, "the request body is not valid UTF-8")
	}
	var req struct {
		UserID *string `json:"user_id"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return "", decodeErr(err)
	}
	if err := Required(F("user_id", req.UserID)); err != nil {
		return "", err
	}
	return UserID(*req.UserID)
}

// UserInParam returns a UserSource that reads the route parameter name.
func UserInParam(name string) UserSource {
	return func(c *fiber.Ctx) (string, error) { return UserID(c.Params(name)) }
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

// newUserTokens returns the verifier configured by cfg, or nil when user
// authentication is off.
func newUserTokens(cfg Config) (*userTokens, error) {
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

// userGate returns the middleware of a route that acts for a user or is rate
// limited, or nil when the route needs none. In order: a request with the
// admin token passes when the route allows it; with user authentication on,
// a valid token is required (401); the user is read from the request (400);
// it must be the token's subject (403); then the rate limits apply (429).
// Nothing here writes to Redis except the rate-limit buckets, and only for a
// request that got that far.
func userGate(d Deps, r Route, tokens *userTokens, tokensErr error) fiber.Handler {
	authOn := r.User != nil && (tokens != nil || tokensErr != nil)
	ipLimit := r.RateLimited && d.Config.RateLimitIPRPS > 0
	userLimit := r.RateLimited && r.User != nil && !r.OwnUserLimit && d.Config.RateLimitUserRPS > 0
	if !authOn && !ipLimit && !userLimit {
		return nil
	}
	errNoToken := Fail(CodeUnauthorized, "this route needs the header Authorization: Bearer followed by a user token")
	return func(c *fiber.Ctx) error {
		if r.AdminActsForUser && isAdmin(c, d.Config.AdminToken) {
			return c.Next()
		}
		var subject string
		if authOn {
			if tokensErr != nil {
				// Misconfigured verification fails closed (Run refuses to start
				// with it; this only guards apps built directly).
				return fmt.Errorf("user authentication misconfigured: %w", tokensErr)
			}
			tok, ok := bearer(c)
			if !ok {
				return errNoToken
			}
			var err error
			if subject, err = tokens.subject(tok); err != nil {
				return Fail(CodeUnauthorized, "invalid user token: %s", tokenProblem(err))
			}
		}
		var user string
		if r.User != nil {
			var err error
			if user, err = r.User(c); err != nil {
				return err
			}
		}
		if authOn {
			if subject != user {
				return Fail(CodeForbidden, "the token is for another user than the request's user_id")
			}
			c.Locals(userKey, user)
		}
		if ipLimit || userLimit {
			if err := rateLimit(c, d, ipLimit, userLimit, user); err != nil {
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

// rateLimit takes the request from the client IP's bucket and the user's
// bucket, as enabled, in one round trip: 429 rate_limited with Retry-After
// (whole seconds, at least 1) when either refuses.
func rateLimit(c *fiber.Ctx, d Deps, ipLimit, userLimit bool, user string) error {
	cfg := d.Config
	limits := make([]redislib.Limit, 0, 2)
	if ipLimit {
		ip := c.IP()
		if parsed := net.ParseIP(ip); parsed != nil {
			ip = parsed.String()
		} else {
			ip = "unknown"
		}
		limits = append(limits, redislib.Limit{Key: redislib.IPRateLimitKey(ip), Rate: cfg.RateLimitIPRPS, Burst: cfg.RateLimitIPBurst})
	}
	if userLimit {
		limits = append(limits, redislib.Limit{Key: redislib.UserRateLimitKey(user), Rate: cfg.RateLimitUserRPS, Burst: cfg.RateLimitUserBurst})
	}
	ok, wait, err := d.Store.RateLimit(c.UserContext(), limits...)
	if err != nil {
		return err
	}
	if !ok {
		return TooManyRequests(c, wait)
	}
	return nil
}

// TooManyRequests sets Retry-After to wait in whole seconds (at least 1) and
// returns the 429 rate_limited answer.
func TooManyRequests(c *fiber.Ctx, wait time.Duration) error {
	secs := max(1, int64((wait+time.Second-1)/time.Second))
	c.Set(fiber.HeaderRetryAfter, strconv.FormatInt(secs, 10))
	return Fail(CodeRateLimited, "too many requests; retry after %d s", secs)
}

// UserRate is the per-user rate limit of the configuration.
func (cfg Config) UserRate() redislib.Rate {
	return redislib.Rate{PerSecond: cfg.RateLimitUserRPS, Burst: cfg.RateLimitUserBurst}
}
