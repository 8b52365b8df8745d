package auth_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/golang-jwt/jwt/v5"

	"seckill/functions/server"
	"seckill/functions/server/servertest"
	"seckill/redislib/redistest"
)

// jwksServer is an identity provider's JWKS endpoint whose keys the test
// replaces, as a provider does when it rotates its signing key.
type jwksServer struct {
	*httptest.Server
	mu      sync.Mutex
	keys    []jwkset.JWKMarshal
	fetches atomic.Int32
}

func newJWKSServer(t *testing.T) *jwksServer {
	t.Helper()
	s := &jwksServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		s.fetches.Add(1)
		s.mu.Lock()
		defer s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(jwkset.JWKSMarshal{Keys: s.keys})
	}))
	t.Cleanup(s.Close)
	return s
}

// publish replaces the served keys by the public halves of keys, by kid.
func (s *jwksServer) publish(t *testing.T, keys map[string]crypto.Signer) {
	t.Helper()
	var set []jwkset.JWKMarshal
	for kid, k := range keys {
		jwk, err := jwkset.NewJWKFromKey(k.Public(), jwkset.JWKOptions{Metadata: jwkset.JWKMetadataOptions{KID: kid, USE: jwkset.UseSig}})
		if err != nil {
			t.Fatal(err)
		}
		set = append(set, jwk.Marshal())
	}
	s.mu.Lock()
	s.keys = set
	s.mu.Unlock()
}

// signed returns a token for claims, signed by key with the header kid.
func signed(t *testing.T, method jwt.SigningMethod, key any, kid string, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, claims)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestUserAuthJWKSRotation verifies tokens against a local JWKS that rotates
// its key during the test: the new key's tokens are accepted at once, without
// a restart, and the retired key's are refused, even one accepted and cached
// before; tokens signed by anyone else, with another algorithm, expired or
// for another issuer or audience are 401 invalid_token, and a refused
// request writes nothing.
func TestUserAuthJWKSRotation(t *testing.T) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	forger, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	idp := newJWKSServer(t)
	idp.publish(t, map[string]crypto.Signer{"k1": rsaKey})

	srv := redistest.Start(t)
	const iss, aud = "https://id.example/", "seckill"
	app := newApp(t, srv, func(c *server.Config) {
		c.UserAuth, c.UserJWKSURL, c.UserJWTIssuer, c.UserJWTAudience = "on", idp.URL+"/.well-known/jwks.json", iss, aud
		c.RateLimitUserRPS = 0
	})
	t.Cleanup(func() { _ = app.Shutdown() }) // ends the background refresh
	claims := func(sub string) jwt.MapClaims {
		return jwt.MapClaims{"sub": sub, "iss": iss, "aud": aud, "exp": time.Now().Add(time.Hour).Unix()}
	}
	get := func(tok string) servertest.Response {
		return servertest.Do(t, app, servertest.Request{Method: "GET", Path: "/users/auth0%7Cabc", Header: bearer(tok)})
	}
	const user = "auth0|abc"
	k1Token := signed(t, jwt.SigningMethodRS256, rsaKey, "k1", claims(user))
	for range 2 { // the second from the cache of verified tokens
		if r := get(k1Token); r.Status != 200 || r.JSON(t)["user"] != user {
			t.Fatalf("token of the published RSA key: %d %s", r.Status, r.Body)
		}
	}

	// The provider rotates: k1 is retired, k2 (EC) signs from now on.
	idp.publish(t, map[string]crypto.Signer{"k2": ecKey})
	before := idp.fetches.Load()
	if r := get(signed(t, jwt.SigningMethodES256, ecKey, "k2", claims(user))); r.Status != 200 || r.JSON(t)["user"] != user {
		t.Fatalf("token of the rotated-in key: %d %s", r.Status, r.Body)
	}
	if idp.fetches.Load() == before {
		t.Fatal("the unknown kid did not fetch the JWKS again")
	}

	rdb := srv.Client(t)
	keysBefore := rdb.DBSize(context.Background()).Val()
	for _, tt := range []struct {
		name, tok string
	}{
		{"retired key", signed(t, jwt.SigningMethodRS256, rsaKey, "k1", claims(user))},
		{"retired key, the token accepted and cached before", k1Token},
		{"forged with the current kid", signed(t, jwt.SigningMethodES256, forger, "k2", claims(user))},
		{"HMAC with the current kid", signed(t, jwt.SigningMethodHS256, []byte(secret), "k2", claims(user))},
		{"expired", signed(t, jwt.SigningMethodES256, ecKey, "k2", jwt.MapClaims{"sub": user, "iss": iss, "aud": aud, "exp": time.Now().Add(-time.Hour).Unix()})},
		{"wrong issuer", signed(t, jwt.SigningMethodES256, ecKey, "k2", jwt.MapClaims{"sub": user, "iss": "https://evil.example/", "aud": aud, "exp": time.Now().Add(time.Hour).Unix()})},
		{"wrong audience", signed(t, jwt.SigningMethodES256, ecKey, "k2", jwt.MapClaims{"sub": user, "iss": iss, "aud": "other", "exp": time.Now().Add(time.Hour).Unix()})},
		{"unknown kid", signed(t, jwt.SigningMethodES256, ecKey, "k9", claims(user))},
		{"malformed", "a.b.c"},
	} {
		start := time.Now()
		if r := get(tt.tok); r.Status != 401 || r.ErrorCode() != "invalid_token" {
			t.Errorf("%s: %d %s, want 401 invalid_token", tt.name, r.Status, r.Body)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("%s: answered after %v", tt.name, d)
		}
	}
	// Another user's valid token is a 403, not a 401.
	if r := get(signed(t, jwt.SigningMethodES256, ecKey, "k2", claims("google-oauth2|123"))); r.Status != 403 {
		t.Errorf("another user's token: %d %s, want 403", r.Status, r.Body)
	}
	if r := servertest.Do(t, app, servertest.Request{Method: "POST", Path: "/body", Body: `{"user_id":"auth0|abc"}`}); r.Status != 401 || r.ErrorCode() != "unauthorized" {
		t.Errorf("no token: %d %s, want 401 unauthorized", r.Status, r.Body)
	}
	if n := rdb.DBSize(context.Background()).Val(); n != keysBefore {
		t.Errorf("refused requests changed Redis: %d keys, %d before", n, keysBefore)
	}
}
