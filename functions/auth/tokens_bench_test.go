package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"log/slog"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// BenchmarkTokenVerify measures what user authentication adds to each
// request: verifying one token (signature, expiry, issuer, audience) with
// each kind of key, and, for comparison, a hit in a cache of verified tokens
// (a sync.Map from token to subject), the most such a cache could save.
// scripts/README.md has the figures and why there is no cache.
func BenchmarkTokenVerify(b *testing.B) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		b.Fatal(err)
	}
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	pemOf := func(pub any) string {
		der, err := x509.MarshalPKIXPublicKey(pub)
		if err != nil {
			b.Fatal(err)
		}
		return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	}
	secret := "0123456789abcdef0123456789abcdef-bench"
	for _, tc := range []struct {
		name   string
		cfg    TokenConfig
		method jwt.SigningMethod
		key    any
	}{
		{"HS256", TokenConfig{UserJWTSecret: secret}, jwt.SigningMethodHS256, []byte(secret)},
		{"RS256", TokenConfig{UserJWTPublicKey: pemOf(&rsaKey.PublicKey)}, jwt.SigningMethodRS256, rsaKey},
		{"ES256", TokenConfig{UserJWTPublicKey: pemOf(&ecKey.PublicKey)}, jwt.SigningMethodES256, ecKey},
	} {
		tc.cfg.UserJWTIssuer, tc.cfg.UserJWTAudience = "https://id.example/", "seckill"
		u, err := newUserTokens(tc.cfg, slog.Default())
		if err != nil {
			b.Fatal(err)
		}
		// Distinct tokens, as distinct buyers send them.
		toks := make([]string, 1024)
		for i := range toks {
			toks[i], err = jwt.NewWithClaims(tc.method, jwt.MapClaims{"sub": "user-" + strconv.Itoa(i), "iss": "https://id.example/",
				"aud": "seckill", "exp": time.Now().Add(time.Hour).Unix()}).SignedString(tc.key)
			if err != nil {
				b.Fatal(err)
			}
		}
		ctx := context.Background()
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				if _, err := u.subject(ctx, toks[i%len(toks)]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("cache-hit", func(b *testing.B) {
		var cache sync.Map
		toks := make([]string, 1024)
		for i := range toks {
			toks[i] = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1c2VyLTEyMyIsImV4cCI6MTc2NTA1MDAwMH0." + strconv.Itoa(i) + "-signature-of-some-length-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
			cache.Store(toks[i], "user-"+strconv.Itoa(i))
		}
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if _, ok := cache.Load(toks[i%len(toks)]); !ok {
				b.Fatal("miss")
			}
		}
	})
}
