package auth_test

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/golang-jwt/jwt/v5"

	"seckill/functions/auth"
	"seckill/functions/httpapi"
	"seckill/functions/server"
	"seckill/functions/server/servertest"
	"seckill/redislib/redistest"
)

const secret = "0123456789abcdef0123456789abcdef-test"

// userFunction has a route of each kind a function may declare.
var userFunction = server.Function{Name: "usertest", Routes: []server.Route{
	{Method: "POST", Path: "/body", User: auth.UserInBody, Handler: ok},
	{Method: "GET", Path: "/users/:user_id", User: auth.UserInParam("user_id"), Handler: ok},
	{Method: "POST", Path: "/cancel", User: auth.UserInBody, AdminActsForUser: true, Handler: ok},
	{Method: "POST", Path: "/limited", User: auth.UserInBody, RateLimited: true, Handler: ok},
	{Method: "POST", Path: "/ip-limited", RateLimited: true, Handler: ok},
	{Method: "POST", Path: "/limited-or-admin", User: auth.UserInBody, RateLimited: true, AdminActsForUser: true, Handler: ok},
	{Method: "GET", Path: "/open", Handler: ok},
}}

// ok answers 200 with the authenticated user.
func ok(server.Deps) fiber.Handler {
	return func(c *fiber.Ctx) error { return c.JSON(fiber.Map{"user": auth.AuthenticatedUser(c)}) }
}

// newApp serves userFunction with cfg changed by configure.
func newApp(t *testing.T, srv *redistest.Server, configure func(*server.Config)) *fiber.App {
	t.Helper()
	env := servertest.NewOn(t, srv)
	d := env.Deps
	d.Config.RateLimitUserRPS, d.Config.RateLimitReadRPS, d.Config.RateLimitIPRPS = 0, 0, 0
	if configure != nil {
		configure(&d.Config)
	}
	if err := d.Config.Check(); err != nil {
		t.Fatalf("config: %v", err)
	}
	return server.NewApp(d, nil, userFunction)
}

func hsToken(t *testing.T, claims jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte(secret))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func valid(sub string) jwt.MapClaims {
	return jwt.MapClaims{"sub": sub, "exp": time.Now().Add(time.Hour).Unix()}
}

func bearer(tok string) map[string]string { return map[string]string{"Authorization": "Bearer " + tok} }

func TestUserAuthOff(t *testing.T) {
	app := newApp(t, redistest.Start(t), nil)
	for _, req := range []servertest.Request{
		{Method: "POST", Path: "/body", Body: `{"user_id":"alice"}`},
		{Method: "GET", Path: "/users/alice"},
	} {
		if resp := servertest.Do(t, app, req); resp.Status != 200 {
			t.Fatalf("%s %s without auth configured: %d %s", req.Method, req.Path, resp.Status, resp.Body)
		}
	}
}

func TestUserAuthHS256(t *testing.T) {
	app := newApp(t, redistest.Start(t), func(c *server.Config) { c.UserJWTSecret = secret })
	alice := hsToken(t, valid("alice"))
	otherKey, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, valid("alice")).SignedString([]byte(strings.Repeat("x", 40)))
	none, _ := jwt.NewWithClaims(jwt.SigningMethodNone, valid("alice")).SignedString(jwt.UnsafeAllowNoneSignatureType)
	hs512, _ := jwt.NewWithClaims(jwt.SigningMethodHS512, valid("alice")).SignedString([]byte(secret))
	tests := []struct {
		name     string
		req      servertest.Request
		want     int
		wantCode string
	}{
		{"valid token, body user", servertest.Request{Method: "POST", Path: "/body", Body: `{"user_id":"alice"}`, Header: bearer(alice)}, 200, ""},
		{"valid token, path user", servertest.Request{Method: "GET", Path: "/users/alice", Header: bearer(alice)}, 200, ""},
		{"lower-case scheme", servertest.Request{Method: "GET", Path: "/users/alice", Header: map[string]string{"Authorization": "bearer " + alice}}, 200, ""},
		{"other user in body", servertest.Request{Method: "POST", Path: "/body", Body: `{"user_id":"bob"}`, Header: bearer(alice)}, 403, "forbidden"},
		{"other user in path", servertest.Request{Method: "GET", Path: "/users/bob", Header: bearer(alice)}, 403, "forbidden"},
		{"no token", servertest.Request{Method: "POST", Path: "/body", Body: `{"user_id":"alice"}`}, 401, "unauthorized"},
		{"basic scheme", servertest.Request{Method: "GET", Path: "/users/alice", Header: map[string]string{"Authorization": "Basic " + alice}}, 401, "unauthorized"},
		{"empty bearer", servertest.Request{Method: "GET", Path: "/users/alice", Header: map[string]string{"Authorization": "Bearer "}}, 401, "unauthorized"},
		{"garbage", servertest.Request{Method: "GET", Path: "/users/alice", Header: bearer("not.a.jwt")}, 401, "unauthorized"},
		{"signed with another key", servertest.Request{Method: "GET", Path: "/users/alice", Header: bearer(otherKey)}, 401, "unauthorized"},
		{"alg none", servertest.Request{Method: "GET", Path: "/users/alice", Header: bearer(none)}, 401, "unauthorized"},
		{"other HMAC alg", servertest.Request{Method: "GET", Path: "/users/alice", Header: bearer(hs512)}, 401, "unauthorized"},
		{"expired", servertest.Request{Method: "GET", Path: "/users/alice", Header: bearer(hsToken(t, jwt.MapClaims{"sub": "alice", "exp": time.Now().Add(-time.Hour).Unix()}))}, 401, "unauthorized"},
		{"no expiry", servertest.Request{Method: "GET", Path: "/users/alice", Header: bearer(hsToken(t, jwt.MapClaims{"sub": "alice"}))}, 401, "unauthorized"},
		{"not yet valid", servertest.Request{Method: "GET", Path: "/users/alice", Header: bearer(hsToken(t, jwt.MapClaims{"sub": "alice", "exp": time.Now().Add(2 * time.Hour).Unix(), "nbf": time.Now().Add(time.Hour).Unix()}))}, 401, "unauthorized"},
		{"no subject", servertest.Request{Method: "GET", Path: "/users/alice", Header: bearer(hsToken(t, jwt.MapClaims{"exp": time.Now().Add(time.Hour).Unix()}))}, 401, "unauthorized"},
		{"admin token is not a user token", servertest.Request{Method: "POST", Path: "/body", Body: `{"user_id":"alice"}`, Admin: true}, 401, "unauthorized"},
		{"admin acts for user", servertest.Request{Method: "POST", Path: "/cancel", Body: `{"user_id":"alice"}`, Admin: true}, 200, ""},
		{"user on admin-or-user route", servertest.Request{Method: "POST", Path: "/cancel", Body: `{"user_id":"alice"}`, Header: bearer(alice)}, 200, ""},
		{"wrong admin token on admin-or-user route", servertest.Request{Method: "POST", Path: "/cancel", Body: `{"user_id":"alice"}`, Header: bearer(servertest.AdminToken + "x")}, 401, "unauthorized"},
		{"token checked before the body", servertest.Request{Method: "POST", Path: "/body", Body: `{`}, 401, "unauthorized"},
		{"valid token, malformed body", servertest.Request{Method: "POST", Path: "/body", Body: `{"user_id":`, Header: bearer(alice)}, 400, "malformed_json"},
		{"valid token, no user", servertest.Request{Method: "POST", Path: "/body", Body: `{}`, Header: bearer(alice)}, 400, "missing_field"},
		{"valid token, invalid user", servertest.Request{Method: "GET", Path: "/users/a%20b", Header: bearer(alice)}, 400, "invalid_user_id"},
		{"route without a user", servertest.Request{Method: "GET", Path: "/open"}, 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := servertest.Do(t, app, tt.req)
			if resp.Status != tt.want || resp.ErrorCode() != tt.wantCode {
				t.Fatalf("got %d %s, want %d %q", resp.Status, resp.Body, tt.want, tt.wantCode)
			}
			if tt.want == 200 && tt.req.Header != nil {
				if got := resp.JSON(t)["user"]; got != "alice" {
					t.Fatalf("authenticated user = %v, want alice", got)
				}
			}
			if tt.want == 401 && strings.Contains(string(resp.Body), alice) {
				t.Fatalf("the answer echoes the token: %s", resp.Body)
			}
		})
	}
}

func TestUserAuthIssuerAudience(t *testing.T) {
	app := newApp(t, redistest.Start(t), func(c *server.Config) {
		c.UserJWTSecret, c.UserJWTIssuer, c.UserJWTAudience = secret, "https://id.example", "seckill"
	})
	claims := func(iss, aud string) jwt.MapClaims {
		m := valid("alice")
		m["iss"], m["aud"] = iss, aud
		return m
	}
	for _, tt := range []struct {
		iss, aud string
		want     int
	}{{"https://id.example", "seckill", 200}, {"https://evil.example", "seckill", 401}, {"https://id.example", "other", 401}} {
		resp := servertest.Do(t, app, servertest.Request{Method: "GET", Path: "/users/alice", Header: bearer(hsToken(t, claims(tt.iss, tt.aud)))})
		if resp.Status != tt.want {
			t.Errorf("iss %s aud %s: %d %s, want %d", tt.iss, tt.aud, resp.Status, resp.Body, tt.want)
		}
	}
}

func TestUserAuthPublicKeys(t *testing.T) {
	srv := redistest.Start(t)
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pemOf := func(pub any) string {
		der, err := x509.MarshalPKIXPublicKey(pub)
		if err != nil {
			t.Fatal(err)
		}
		return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	}
	keyFile := filepath.Join(t.TempDir(), "ec.pem")
	if err := os.WriteFile(keyFile, []byte(pemOf(&ecKey.PublicKey)), 0o600); err != nil {
		t.Fatal(err)
	}
	sign := func(m jwt.SigningMethod, key any) string {
		s, err := jwt.NewWithClaims(m, valid("alice")).SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	rsaPEM := pemOf(&rsaKey.PublicKey)
	pkcs1PEM := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(&rsaKey.PublicKey)}))
	edPub, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)}
	certDER, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &ecKey.PublicKey, ecKey)
	if err != nil {
		t.Fatal(err)
	}
	certPEM := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: certDER}))
	// An HS256 token whose secret is the public key's PEM: the classic
	// algorithm-confusion attack, refused because only RS256 is accepted.
	confused, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, valid("alice")).SignedString([]byte(rsaPEM))
	tests := []struct {
		name  string
		key   string
		token string
		want  int
	}{
		{"RS256 PEM text", rsaPEM, sign(jwt.SigningMethodRS256, rsaKey), 200},
		{"RS256 key, PS256 token", rsaPEM, sign(jwt.SigningMethodPS256, rsaKey), 401},
		{"RS256 key, HS256 token keyed with the PEM", rsaPEM, confused, 401},
		{"ES256 PEM file", keyFile, sign(jwt.SigningMethodES256, ecKey), 200},
		{"ES256 key, RS256 token", keyFile, sign(jwt.SigningMethodRS256, rsaKey), 401},
		{"RS256 PKCS #1 PEM", pkcs1PEM, sign(jwt.SigningMethodRS256, rsaKey), 200},
		{"EdDSA PEM", pemOf(edPub), sign(jwt.SigningMethodEdDSA, edKey), 200},
		{"EdDSA key, ES256 token", pemOf(edPub), sign(jwt.SigningMethodES256, ecKey), 401},
		{"ES256 certificate", certPEM, sign(jwt.SigningMethodES256, ecKey), 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			app := newApp(t, srv, func(c *server.Config) { c.UserJWTPublicKey = tt.key })
			resp := servertest.Do(t, app, servertest.Request{Method: "GET", Path: "/users/alice", Header: bearer(tt.token)})
			if resp.Status != tt.want {
				t.Fatalf("got %d %s, want %d", resp.Status, resp.Body, tt.want)
			}
		})
	}
}

func TestConfigCheck(t *testing.T) {
	smallRSA, _ := rsa.GenerateKey(rand.Reader, 1024)
	der, _ := x509.MarshalPKIXPublicKey(&smallRSA.PublicKey)
	smallPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	p224, _ := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	der, _ = x509.MarshalPKIXPublicKey(&p224.PublicKey)
	p224PEM := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	tests := []struct {
		name   string
		change func(*server.Config)
		want   string
	}{
		{"short secret", func(c *server.Config) { c.UserJWTSecret = "short-secret" }, "at least 32"},
		{"secret and key", func(c *server.Config) { c.UserJWTSecret, c.UserJWTPublicKey = secret, smallPEM }, "not both"},
		{"not PEM", func(c *server.Config) { c.UserJWTPublicKey = "/no/such/file.pem" }, "USER_JWT_PUBLIC_KEY"},
		{"private key block", func(c *server.Config) {
			c.UserJWTPublicKey = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"
		}, "not a public key"},
		{"weak RSA key", func(c *server.Config) { c.UserJWTPublicKey = smallPEM }, "2048"},
		{"unsupported curve", func(c *server.Config) { c.UserJWTPublicKey = p224PEM }, "unsupported EC curve P-224"},
		{"PEM marker without a block", func(c *server.Config) { c.UserJWTPublicKey = "-----BEGIN PUBLIC KEY----- AAAA" }, "no PEM block"},
		{"user burst 0", func(c *server.Config) { c.RateLimitUserRPS, c.RateLimitUserBurst = 1, 0 }, "RATE_LIMIT_USER_BURST"},
		{"negative IP rate", func(c *server.Config) { c.RateLimitIPRPS = -1 }, "RATE_LIMIT"},
		{"proxy header without trusted proxies", func(c *server.Config) { c.ProxyHeader = "X-Forwarded-For" }, "TRUSTED_PROXIES"},
		{"bad trusted proxy", func(c *server.Config) {
			c.ProxyHeader, c.TrustedProxies = "X-Forwarded-For", []string{"10.0.0.0/8", "proxy.local"}
		}, "proxy.local"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := server.TestConfig("x")
			tt.change(&cfg)
			err := cfg.Check()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Check() = %v, want an error mentioning %q", err, tt.want)
			}
			if cfg.UserJWTSecret != "" && strings.Contains(err.Error(), cfg.UserJWTSecret) {
				t.Fatalf("the error shows the secret: %v", err)
			}
		})
	}
	if err := server.TestConfig("x").Check(); err != nil {
		t.Fatalf("test config: %v", err)
	}
}

// TestUserAuthMisconfiguredFailsClosed builds an app directly (Run would
// refuse to start) with a bad key: user routes answer 500, never open.
func TestUserAuthMisconfiguredFailsClosed(t *testing.T) {
	env := servertest.NewOn(t, redistest.Start(t))
	d := env.Deps
	d.Config.UserJWTSecret = "short"
	app := server.NewApp(d, nil, userFunction)
	resp := servertest.Do(t, app, servertest.Request{Method: "GET", Path: "/users/alice"})
	if resp.Status != 500 {
		t.Fatalf("got %d %s, want 500", resp.Status, resp.Body)
	}
}

func TestRateLimit(t *testing.T) {
	srv := redistest.Start(t)
	app := newApp(t, srv, func(c *server.Config) {
		c.RateLimitReadRPS, c.RateLimitReadBurst = 0.01, 2 // one per 100 s after a burst of 2
		c.RateLimitIPRPS, c.RateLimitIPBurst = 0.01, 4
	})
	post := func(path, user string) servertest.Response {
		return servertest.Do(t, app, servertest.Request{Method: "POST", Path: path, Body: `{"user_id":"` + user + `"}`})
	}
	mustStatus := func(resp servertest.Response, want int) {
		t.Helper()
		if resp.Status != want {
			t.Fatalf("got %d %s, want %d", resp.Status, resp.Body, want)
		}
	}
	mustStatus(post("/limited", "alice"), 200)
	mustStatus(post("/limited", "alice"), 200)
	resp := post("/limited", "alice")
	mustStatus(resp, 429)
	if resp.ErrorCode() != httpapi.CodeRateLimited {
		t.Fatalf("code %q, want rate_limited", resp.ErrorCode())
	}
	if secs, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || secs < 99 || secs > 100 {
		t.Fatalf("Retry-After = %q, want 99..100 seconds", resp.Header.Get("Retry-After"))
	}
	// Bad input is refused before the buckets are touched.
	mustStatus(post("/limited", "a b"), 400)
	// The IP bucket (burst 4) counted alice's three requests: one more passes.
	mustStatus(post("/limited", "bob"), 200)
	mustStatus(post("/limited", "carol"), 429)
	// A route without a user is limited by IP only; other routes not at all.
	mustStatus(post("/ip-limited", "dave"), 429)
	mustStatus(servertest.Do(t, app, servertest.Request{Method: "GET", Path: "/open"}), 200)
}

// TestRateLimitProxyHeader takes the client IP from X-Forwarded-For, which
// the test connection's address (0.0.0.0) is trusted to set.
func TestRateLimitProxyHeader(t *testing.T) {
	srv := redistest.Start(t)
	app := newApp(t, srv, func(c *server.Config) {
		c.RateLimitIPRPS, c.RateLimitIPBurst = 0.01, 1
		c.ProxyHeader, c.TrustedProxies = "X-Forwarded-For", []string{"0.0.0.0"}
	})
	from := func(ip string) int {
		return servertest.Do(t, app, servertest.Request{Method: "POST", Path: "/ip-limited", Body: `{}`,
			Header: map[string]string{"X-Forwarded-For": ip}}).Status
	}
	if a, b, c := from("192.0.2.1"), from("192.0.2.2"), from("192.0.2.1"); a != 200 || b != 200 || c != 429 {
		t.Fatalf("statuses %d %d %d, want 200 200 429: one bucket per forwarded IP", a, b, c)
	}
}

func TestRateLimitAdminBypass(t *testing.T) {
	app := newApp(t, redistest.Start(t), func(c *server.Config) { c.RateLimitReadRPS, c.RateLimitReadBurst = 0.01, 1 })
	do := func(admin bool) int {
		return servertest.Do(t, app, servertest.Request{Method: "POST", Path: "/limited-or-admin", Body: `{"user_id":"alice"}`, Admin: admin}).Status
	}
	for i := 0; i < 3; i++ {
		if st := do(true); st != 200 {
			t.Fatalf("admin request %d: %d", i, st)
		}
	}
	if a, b := do(false), do(false); a != 200 || b != 429 {
		t.Fatalf("user requests: %d %d, want 200 429", a, b)
	}
}
