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
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// BenchmarkTokenVerify measures what user authentication adds to each
// request, over 1,024 distinct tokens (as distinct buyers send them) with
// each kind of key: verifying a token (signature, expiry, issuer, audience)
// without a cache ("HS256"); with the cache, a token not in it ("HS256/cold":
// verification, hash and insertion, a cache too small for the tokens so that
// every one misses) and a token in it ("HS256/warm", serially and from
// parallel goroutines). functions/auth/README.md has the figures.
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
		toks := make([]string, 1024)
		for i := range toks {
			toks[i], err = jwt.NewWithClaims(tc.method, jwt.MapClaims{"sub": "user-" + strconv.Itoa(i), "iss": "https://id.example/",
				"aud": "seckill", "exp": time.Now().Add(time.Hour).Unix()}).SignedString(tc.key)
			if err != nil {
				b.Fatal(err)
			}
		}
		ctx := context.Background()
		verifier := func(b *testing.B, cache int) *userTokens {
			cfg := tc.cfg
			cfg.UserTokenCache = cache
			u, err := newUserTokens(cfg, slog.Default())
			if err != nil {
				b.Fatal(err)
			}
			return u
		}
		serial := func(u *userTokens) func(b *testing.B) {
			return func(b *testing.B) {
				b.ReportAllocs()
				for i := 0; b.Loop(); i++ {
					if _, err := u.subject(ctx, toks[i%len(toks)]); err != nil {
						b.Fatal(err)
					}
				}
			}
		}
		b.Run(tc.name, serial(verifier(b, 0)))
		// FIFO eviction and tokens sent in a cycle longer than the cache:
		// every token was evicted before it comes back.
		b.Run(tc.name+"/cold", serial(verifier(b, len(toks)/2)))
		warm := verifier(b, DefaultUserTokenCache)
		for _, tok := range toks {
			if _, err := warm.subject(ctx, tok); err != nil {
				b.Fatal(err)
			}
		}
		b.Run(tc.name+"/warm", serial(warm))
		b.Run(tc.name+"/warm-parallel", func(b *testing.B) {
			b.ReportAllocs()
			var next atomic.Int64
			b.RunParallel(func(pb *testing.PB) {
				i := int(next.Add(1)) * 7919
				for ; pb.Next(); i++ {
					if _, err := warm.subject(ctx, toks[i%len(toks)]); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
