package auth

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/time/rate"
)

// TokenConfig configures user authentication. It is on unless USER_AUTH is
// off, and then needs exactly one source of keys: a JWKS URL, a public key or
// an HS256 secret. Every field is one environment variable, read by a main.
type TokenConfig struct {
	UserAuth         string        `envconfig:"USER_AUTH" default:"on" desc:"on: user routes need a bearer JWT whose sub is the user, verified with USER_JWKS_URL, USER_JWT_PUBLIC_KEY or USER_JWT_SECRET (a function with user routes refuses to start without one); off: anyone may act as any user, for local trials only"`
	UserJWKSURL      string        `envconfig:"USER_JWKS_URL" desc:"the identity provider's JWKS (https, or http on loopback): keys selected by the token's kid, fetched again every USER_JWKS_REFRESH and on an unknown kid (at most once a minute), so a rotated key needs no restart"`
	UserJWKSRefresh  time.Duration `envconfig:"USER_JWKS_REFRESH" default:"15m" desc:"how often USER_JWKS_URL is fetched again"`
	UserJWTSecret    string        `envconfig:"USER_JWT_SECRET" desc:"HS256 secret (at least 32 bytes) of user tokens; instead of USER_JWKS_URL (never logged)"`
	UserJWTPublicKey string        `envconfig:"USER_JWT_PUBLIC_KEY" desc:"PEM public key (RSA: RS256, EC: ES256/384/512, Ed25519: EdDSA) of user tokens, or the path of a PEM file; instead of USER_JWKS_URL"`
	UserJWTIssuer    string        `envconfig:"USER_JWT_ISSUER" desc:"when set, user tokens must carry this iss"`
	UserJWTAudience  string        `envconfig:"USER_JWT_AUDIENCE" desc:"when set, user tokens must carry this aud"`
	UserTokenCache   int           `envconfig:"USER_TOKEN_CACHE" default:"50000" desc:"most verified user tokens remembered (about 250 bytes each), so that a buyer's next requests with the same token skip the signature check; an entry is used until the token's exp, for at most a minute, and never after a JWKS refresh; 0: off"`
}

// UserAuthOff is the value of USER_AUTH that turns user authentication off.
const UserAuthOff = "off"

// Off reports whether the operator turned user authentication off.
func (cfg TokenConfig) Off() bool { return cfg.UserAuth == UserAuthOff }

// Configured reports whether a source of keys is set.
func (cfg TokenConfig) Configured() bool {
	return cfg.UserJWKSURL != "" || cfg.UserJWTSecret != "" || cfg.UserJWTPublicKey != ""
}

// ErrUserAuthNotConfigured is the answer of a function with user routes
// whose user authentication is on (the default) without keys to verify
// tokens with. It says exactly what to set.
var ErrUserAuthNotConfigured = errors.New("user authentication is on (the default) but has no keys: " +
	"set USER_JWKS_URL to your identity provider's JWKS URL (with USER_JWT_ISSUER and USER_JWT_AUDIENCE), " +
	"or USER_JWT_PUBLIC_KEY, or USER_JWT_SECRET; or set USER_AUTH=off to let anyone act as any user (local trials only)")

// Check reports why cfg cannot verify tokens (a bad USER_AUTH, keys with
// USER_AUTH=off, several sources, a short secret, an unreadable or
// unsupported key, a JWKS URL that is not https), without a secret's value.
// Keys that are missing are not an error here: only a function with user
// routes needs them (see ErrUserAuthNotConfigured).
func (cfg TokenConfig) Check() error {
	switch cfg.UserAuth {
	case "", "on", UserAuthOff:
	default:
		return fmt.Errorf("USER_AUTH must be on or off, not %q", cfg.UserAuth)
	}
	if cfg.Off() && cfg.Configured() {
		return errors.New("USER_AUTH=off contradicts the user token keys that are set (USER_JWKS_URL, USER_JWT_PUBLIC_KEY or USER_JWT_SECRET): unset one side")
	}
	n := 0
	for _, s := range []string{cfg.UserJWKSURL, cfg.UserJWTSecret, cfg.UserJWTPublicKey} {
		if s != "" {
			n++
		}
	}
	if n > 1 {
		return errors.New("set one of USER_JWKS_URL, USER_JWT_PUBLIC_KEY and USER_JWT_SECRET, not several")
	}
	if cfg.UserJWKSRefresh < 0 {
		return errors.New("USER_JWKS_REFRESH must be positive")
	}
	if cfg.UserTokenCache < 0 {
		return errors.New("USER_TOKEN_CACHE must be 0 (off) or positive")
	}
	if cfg.UserJWKSURL != "" {
		return checkJWKSURL(cfg.UserJWKSURL)
	}
	_, err := staticKey(cfg)
	return err
}

// checkJWKSURL accepts https URLs, and http ones on a loopback host only:
// whoever can change the keys in transit can sign any user's tokens.
func checkJWKSURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return fmt.Errorf("USER_JWKS_URL %q is not an absolute URL", s)
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		host := u.Hostname()
		if ip := net.ParseIP(host); host == "localhost" || ip != nil && ip.IsLoopback() {
			return nil
		}
	}
	return fmt.Errorf("USER_JWKS_URL must be https (http only on a loopback host), not %q", s)
}

// userTokens verifies user JWTs: the signature with the configured key or
// the JWKS key named by the token's kid, an allowed algorithm only, an
// expiry (required), and the issuer and audience when configured. With a
// cache, a token that verified is taken from it until its exp, for at most
// tokenCacheMaxAge, and only while the keys are those it verified with.
type userTokens struct {
	keyfunc func(ctx context.Context) jwt.Keyfunc // the configured key, or the JWKS key of the token's kid
	keys    *keyGenerations                       // the keys of USER_JWKS_URL; nil with a static key
	stop    context.CancelFunc                    // ends the JWKS refresh
	parser  *jwt.Parser
	cache   *tokenCache // nil: every token is verified
	now     func() time.Time
}

// minUserJWTSecret is the shortest HS256 secret accepted, in bytes (256 bits,
// the size of the HMAC-SHA256 output).
const minUserJWTSecret = 32

// jwksAlgs are the algorithms accepted with a JWKS: asymmetric ones only,
// so that a symmetric key in a published set can never verify a token.
var jwksAlgs = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}

// jwksUnknownKIDEvery bounds the fetches that tokens with an unknown kid
// cause: at most one per interval, so forged kids cannot flood the provider.
const jwksUnknownKIDEvery = time.Minute

// jwksFetchTimeout bounds one fetch of the JWKS.
const jwksFetchTimeout = 5 * time.Second

// newUserTokens returns the verifier configured by cfg, or nil when user
// authentication is off or has no keys. With a JWKS it fetches the set once
// (a provider that does not answer yet is not fatal: tokens are refused
// until it does) and refreshes it in the background until stop.
func newUserTokens(cfg TokenConfig, log *slog.Logger) (*userTokens, error) {
	if err := cfg.Check(); err != nil {
		return nil, err
	}
	if !cfg.Configured() {
		return nil, nil
	}
	u := &userTokens{stop: func() {}, now: time.Now, cache: newTokenCache(cfg.UserTokenCache, tokenCacheMaxAge)}
	opts := []jwt.ParserOption{jwt.WithExpirationRequired(), jwt.WithLeeway(30 * time.Second),
		jwt.WithTimeFunc(func() time.Time { return u.now() })}
	if cfg.UserJWTIssuer != "" {
		opts = append(opts, jwt.WithIssuer(cfg.UserJWTIssuer))
	}
	if cfg.UserJWTAudience != "" {
		opts = append(opts, jwt.WithAudience(cfg.UserJWTAudience))
	}
	if cfg.UserJWKSURL == "" {
		sk, err := staticKey(cfg)
		if err != nil {
			return nil, err
		}
		kf := func(*jwt.Token) (any, error) { return sk.key, nil }
		u.keyfunc = func(context.Context) jwt.Keyfunc { return kf }
		u.parser = jwt.NewParser(append(opts, jwt.WithValidMethods([]string{sk.alg}))...)
		return u, nil
	}
	refresh := cfg.UserJWKSRefresh
	if refresh == 0 {
		refresh = 15 * time.Minute
	}
	ctx, stop := context.WithCancel(context.Background())
	u.keys = newKeyGenerations()
	store, err := jwkset.NewStorageFromHTTP(cfg.UserJWKSURL, jwkset.HTTPClientStorageOptions{
		Ctx:                       ctx,
		HTTPTimeout:               jwksFetchTimeout,
		NoErrorReturnFirstHTTPReq: true,
		RefreshInterval:           refresh,
		RefreshErrorHandler: func(_ context.Context, err error) {
			log.Warn("user authentication: fetching USER_JWKS_URL failed; the keys fetched before stay in use", "url", cfg.UserJWKSURL, "err", err)
		},
		Client:  &http.Client{Timeout: jwksFetchTimeout},
		Storage: u.keys,
	})
	if err != nil {
		stop()
		return nil, fmt.Errorf("USER_JWKS_URL: %w", err)
	}
	client, err := jwkset.NewHTTPClient(jwkset.HTTPClientOptions{
		HTTPURLs: map[string]jwkset.Storage{cfg.UserJWKSURL: store},
		// The wait for the limiter is bounded by the request's own deadline:
		// a request that would wait longer is refused at once.
		RateLimitWaitMax:  0,
		RefreshUnknownKID: rate.NewLimiter(rate.Every(jwksUnknownKIDEvery), 1),
	})
	if err != nil {
		stop()
		return nil, fmt.Errorf("USER_JWKS_URL: %w", err)
	}
	jwks, err := keyfunc.New(keyfunc.Options{Ctx: ctx, Storage: client})
	if err != nil {
		stop()
		return nil, fmt.Errorf("USER_JWKS_URL: %w", err)
	}
	u.keyfunc = jwks.KeyfuncCtx
	u.stop = stop
	u.parser = jwt.NewParser(append(opts, jwt.WithValidMethods(jwksAlgs))...)
	return u, nil
}

// keyAlg is a static key and the one algorithm it verifies.
type keyAlg struct {
	key any
	alg string
}

// staticKey reads USER_JWT_SECRET or USER_JWT_PUBLIC_KEY, whichever is set
// (neither: a nil key).
func staticKey(cfg TokenConfig) (keyAlg, error) {
	switch {
	case cfg.UserJWTSecret != "":
		if len(cfg.UserJWTSecret) < minUserJWTSecret {
			return keyAlg{}, fmt.Errorf("USER_JWT_SECRET is %d bytes; it must be at least %d", len(cfg.UserJWTSecret), minUserJWTSecret)
		}
		return keyAlg{[]byte(cfg.UserJWTSecret), jwt.SigningMethodHS256.Alg()}, nil
	case cfg.UserJWTPublicKey != "":
		key, alg, err := parsePublicKey(cfg.UserJWTPublicKey)
		if err != nil {
			return keyAlg{}, fmt.Errorf("USER_JWT_PUBLIC_KEY: %w", err)
		}
		return keyAlg{key, alg}, nil
	}
	return keyAlg{}, nil
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

// errNoSubject is the answer for a verified token without a subject.
var errNoSubject = errors.New("token has no subject")

// subject verifies a token, or finds it in the cache, and returns its
// subject. ctx bounds the one JWKS fetch that a token with an unknown kid
// may cause.
func (u *userTokens) subject(ctx context.Context, token string) (string, error) {
	if u.cache == nil {
		sub, _, err := u.verify(ctx, token)
		return sub, err
	}
	var buf [1024]byte // the token's bytes on the stack, for tokens of up to 1 kB
	key := tokenKey(sha256.Sum256(append(buf[:0], token...)))
	// The generation and the time are read before verifying: keys replaced
	// while the token is verified leave its entry with the older generation,
	// unusable.
	gen := u.generation()
	now := u.now()
	if sub, ok := u.cache.get(&key, gen, now); ok {
		return sub, nil
	}
	sub, exp, err := u.verify(ctx, token)
	if err != nil {
		return "", err
	}
	u.cache.put(&key, sub, exp, gen, now)
	return sub, nil
}

// generation returns the generation of the JWKS's keys (0 with a static key,
// which never changes).
func (u *userTokens) generation() uint64 {
	if u.keys == nil {
		return 0
	}
	return u.keys.gen.Load()
}

// verify checks a token and returns its subject and expiry.
func (u *userTokens) verify(ctx context.Context, token string) (string, time.Time, error) {
	var claims jwt.RegisteredClaims
	if _, err := u.parser.ParseWithClaims(token, &claims, u.keyfunc(ctx)); err != nil {
		return "", time.Time{}, err
	}
	if claims.Subject == "" {
		return "", time.Time{}, errNoSubject
	}
	return claims.Subject, claims.ExpiresAt.Time, nil
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
	case errors.Is(err, jwkset.ErrKeyNotFound):
		return "no key with its kid in USER_JWKS_URL"
	case errors.Is(err, jwt.ErrTokenSignatureInvalid), errors.Is(err, jwt.ErrTokenUnverifiable):
		return "bad signature or algorithm"
	case errors.Is(err, jwt.ErrTokenMalformed):
		return "malformed"
	case errors.Is(err, errNoSubject):
		return "no subject"
	}
	return "not acceptable"
}
