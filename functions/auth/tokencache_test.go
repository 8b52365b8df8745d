package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/golang-jwt/jwt/v5"
)

const cacheTestSecret = "0123456789abcdef0123456789abcdef-cache"

// newCachedVerifier returns an HS256 verifier with a cache of size entries,
// its clock set to start and moved by the test, and the count of the
// verifications it makes (a token taken from the cache is not one).
func newCachedVerifier(t *testing.T, size int, start time.Time) (u *userTokens, clock *atomic.Int64, verified *atomic.Int32) {
	t.Helper()
	u, err := newUserTokens(TokenConfig{UserJWTSecret: cacheTestSecret, UserTokenCache: size}, slog.Default())
	if err != nil {
		t.Fatal(err)
	}
	return u, fakeClock(u, start), countVerifications(u)
}

func fakeClock(u *userTokens, start time.Time) *atomic.Int64 {
	clock := new(atomic.Int64)
	clock.Store(start.UnixNano())
	u.now = func() time.Time { return time.Unix(0, clock.Load()) }
	return clock
}

func countVerifications(u *userTokens) *atomic.Int32 {
	n := new(atomic.Int32)
	kf := u.keyfunc
	u.keyfunc = func(ctx context.Context) jwt.Keyfunc { n.Add(1); return kf(ctx) }
	return n
}

func hs256(t *testing.T, key string, claims jwt.MapClaims) string {
	t.Helper()
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte(key))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestTokenCacheAcceptsCachedToken verifies a token once and takes it from
// the cache after that, for as many requests as it is sent with.
func TestTokenCacheAcceptsCachedToken(t *testing.T) {
	t.Parallel()
	now := time.Now()
	u, _, verified := newCachedVerifier(t, 100, now)
	tok := hs256(t, cacheTestSecret, jwt.MapClaims{"sub": "auth0|alice", "exp": now.Add(time.Hour).Unix()})
	for i := range 5 {
		if sub, err := u.subject(context.Background(), tok); err != nil || sub != "auth0|alice" {
			t.Fatalf("request %d: %q, %v", i, sub, err)
		}
	}
	if n := verified.Load(); n != 1 {
		t.Fatalf("%d verifications for 5 requests with one token, want 1", n)
	}
	if n := u.cache.len(); n != 1 {
		t.Fatalf("%d cache entries, want 1", n)
	}
}

// TestTokenCacheExpiry: an entry is used until the token's exp or the max
// age, whichever is first, and never after; past either, the token is
// verified again, which refuses it once it has expired (past the leeway).
func TestTokenCacheExpiry(t *testing.T) {
	t.Parallel()
	start := time.Unix(time.Now().Unix(), 0)
	u, clock, verified := newCachedVerifier(t, 100, start)
	exp := start.Add(tokenCacheMaxAge + 30*time.Second)
	tok := hs256(t, cacheTestSecret, jwt.MapClaims{"sub": "alice", "exp": exp.Unix()})
	steps := []struct {
		at       time.Duration // after start
		verified int32         // verifications so far
		err      error
	}{
		{0, 1, nil},
		{tokenCacheMaxAge - time.Second, 1, nil},                    // from the cache
		{tokenCacheMaxAge, 2, nil},                                  // past the max age: verified again
		{tokenCacheMaxAge + 29*time.Second, 2, nil},                 // from the cache, until exp
		{tokenCacheMaxAge + 30*time.Second, 3, nil},                 // at exp: verified, accepted within the leeway, not cached
		{tokenCacheMaxAge + 40*time.Second, 4, nil},                 // verified again
		{tokenCacheMaxAge + 61*time.Second, 5, jwt.ErrTokenExpired}, // past the leeway: refused
		{tokenCacheMaxAge + 62*time.Second, 6, jwt.ErrTokenExpired},
	}
	for _, s := range steps {
		clock.Store(start.Add(s.at).UnixNano())
		sub, err := u.subject(context.Background(), tok)
		switch {
		case s.err == nil && (err != nil || sub != "alice"):
			t.Fatalf("at %v: %q, %v; want alice", s.at, sub, err)
		case s.err != nil && !errors.Is(err, s.err):
			t.Fatalf("at %v: %q, %v; want %v", s.at, sub, err, s.err)
		}
		if n := verified.Load(); n != s.verified {
			t.Fatalf("at %v: %d verifications, want %d", s.at, n, s.verified)
		}
	}
}

// TestTokenCacheNeverAcceptsAnotherToken: the cache is keyed by the whole
// token, so a token that differs from a cached one in its signature, its
// claims or anything else is verified, and refused when it is forged;
// refused tokens are not cached.
func TestTokenCacheNeverAcceptsAnotherToken(t *testing.T) {
	t.Parallel()
	now := time.Now()
	u, _, _ := newCachedVerifier(t, 100, now)
	claims := jwt.MapClaims{"sub": "alice", "exp": now.Add(time.Hour).Unix()}
	tok := hs256(t, cacheTestSecret, claims)
	if _, err := u.subject(context.Background(), tok); err != nil {
		t.Fatal(err)
	}
	head, payload, sig := splitToken(t, tok)
	_, bobPayload, _ := splitToken(t, hs256(t, cacheTestSecret, jwt.MapClaims{"sub": "bob", "exp": now.Add(time.Hour).Unix()}))
	_, _, otherSig := splitToken(t, hs256(t, "another-secret-0123456789abcdef-0123456789", claims))
	flipped := []byte(sig)
	flipped[len(flipped)/2] ^= 1
	for _, tt := range []struct{ name, tok string }{
		{"signed with another key", head + "." + payload + "." + otherSig},
		{"a changed signature", head + "." + payload + "." + string(flipped)},
		{"another subject under the cached signature", head + "." + bobPayload + "." + sig},
		{"the cached token with its signature cut short", head + "." + payload + "." + sig[:len(sig)-4]},
		{"no signature", head + "." + payload + "."},
		{"alg none", mustNone(t, claims)},
	} {
		if sub, err := u.subject(context.Background(), tt.tok); err == nil {
			t.Errorf("%s: accepted as %q", tt.name, sub)
		}
	}
	if n := u.cache.len(); n != 1 {
		t.Fatalf("%d cache entries, want 1: refused tokens are not cached", n)
	}
	if sub, err := u.subject(context.Background(), tok); err != nil || sub != "alice" {
		t.Fatalf("the cached token after the forgeries: %q, %v", sub, err)
	}
}

func splitToken(t *testing.T, tok string) (head, payload, sig string) {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("%q is not a JWS", tok)
	}
	return parts[0], parts[1], parts[2]
}

func mustNone(t *testing.T, claims jwt.MapClaims) string {
	t.Helper()
	tok, err := jwt.NewWithClaims(jwt.SigningMethodNone, claims).SignedString(jwt.UnsafeAllowNoneSignatureType)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestTokenCacheBound fills caches of several sizes from parallel
// goroutines, with repeats: none ever holds more entries than its size, a
// full one holds exactly its size, and a shard evicts its oldest entry.
func TestTokenCacheBound(t *testing.T) {
	t.Parallel()
	now := time.Now()
	key := func(i int) tokenKey { return sha256.Sum256([]byte(strconv.Itoa(i))) }
	for _, size := range []int{1, 7, 64, 100, 1000, 4097} {
		c := newTokenCache(size, time.Minute)
		var wg sync.WaitGroup
		for g := range 8 {
			wg.Go(func() {
				for i := range 4*size + 50 {
					k := key(i*8/3 + g) // overlapping: some keys are put by several goroutines
					c.put(&k, "u"+strconv.Itoa(i), now.Add(time.Hour), 0, now)
					if i%97 == 0 {
						if n := c.len(); n > size {
							t.Errorf("size %d: %d entries", size, n)
						}
					}
				}
			})
		}
		wg.Wait()
		if n := c.len(); n != size {
			t.Errorf("size %d: %d entries once full", size, n)
		}
	}
	c := newTokenCache(2, time.Minute)
	if len(c.shards) != 1 {
		t.Fatalf("a cache of 2 has %d shards, want 1", len(c.shards))
	}
	for i := range 3 {
		k := key(i)
		c.put(&k, strconv.Itoa(i), now.Add(time.Hour), 0, now)
	}
	for i, want := range []bool{false, true, true} {
		k := key(i)
		if _, ok := c.get(&k, 0, now); ok != want {
			t.Errorf("entry %d present: %v, want %v (the oldest goes first)", i, ok, want)
		}
	}
	if newTokenCache(0, time.Minute) != nil {
		t.Error("a cache of size 0 is not off")
	}
}

// TestTokenCacheOff verifies every request's token when USER_TOKEN_CACHE is 0.
func TestTokenCacheOff(t *testing.T) {
	t.Parallel()
	now := time.Now()
	u, _, verified := newCachedVerifier(t, 0, now)
	tok := hs256(t, cacheTestSecret, jwt.MapClaims{"sub": "alice", "exp": now.Add(time.Hour).Unix()})
	for range 3 {
		if _, err := u.subject(context.Background(), tok); err != nil {
			t.Fatal(err)
		}
	}
	if n := verified.Load(); n != 3 {
		t.Fatalf("%d verifications of 3 requests without a cache", n)
	}
}

// TestTokenCacheParallel sends the same and distinct tokens from parallel
// goroutines (run it with -race): every answer is the token's own subject.
func TestTokenCacheParallel(t *testing.T) {
	t.Parallel()
	now := time.Now()
	u, _, _ := newCachedVerifier(t, 64, now)
	toks := make([]string, 200)
	for i := range toks {
		toks[i] = hs256(t, cacheTestSecret, jwt.MapClaims{"sub": "user-" + strconv.Itoa(i), "exp": now.Add(time.Hour).Unix()})
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 2000 {
				j := (i*(g+1) + g) % len(toks)
				if i%2 == 0 {
					j %= 10 // a few hot tokens, mostly in the cache
				}
				sub, err := u.subject(context.Background(), toks[j])
				if err != nil || sub != "user-"+strconv.Itoa(j) {
					t.Errorf("token %d: %q, %v", j, sub, err)
					return
				}
			}
		})
	}
	wg.Wait()
	if n := u.cache.len(); n > 64 {
		t.Fatalf("%d entries in a cache of 64", n)
	}
}

// TestTokenCacheJWKSRefresh: a key that a JWKS refresh removes stops
// verifying a token that was cached with it at the refresh, long before the
// cache's max age.
func TestTokenCacheJWKSRefresh(t *testing.T) {
	t.Parallel()
	k1, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	k2, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	var mu sync.Mutex
	published := map[string]*ecdsa.PrivateKey{"k1": k1}
	idp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		var set jwkset.JWKSMarshal
		for kid, k := range published {
			jwk, err := jwkset.NewJWKFromKey(k.Public(), jwkset.JWKOptions{Metadata: jwkset.JWKMetadataOptions{KID: kid}})
			if err != nil {
				http.Error(w, err.Error(), 500)
				return
			}
			set.Keys = append(set.Keys, jwk.Marshal())
		}
		_ = json.NewEncoder(w).Encode(set)
	}))
	t.Cleanup(idp.Close)
	u, err := newUserTokens(TokenConfig{UserJWKSURL: idp.URL, UserJWKSRefresh: 50 * time.Millisecond, UserTokenCache: 100}, slog.Default())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(u.stop)
	verified := countVerifications(u)
	es256 := func(key *ecdsa.PrivateKey, kid string) string {
		tok := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.MapClaims{"sub": "alice", "exp": time.Now().Add(time.Hour).Unix()})
		tok.Header["kid"] = kid
		s, err := tok.SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	old := es256(k1, "k1")
	// A refresh between the two requests could empty the cache: retry until
	// one pair of requests shows the cache at work.
	for hit := false; !hit; {
		before := verified.Load()
		for range 2 {
			if _, err := u.subject(context.Background(), old); err != nil {
				t.Fatal(err)
			}
		}
		hit = verified.Load()-before == 1
	}

	mu.Lock()
	published = map[string]*ecdsa.PrivateKey{"k2": k2}
	mu.Unlock()
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, err := u.subject(context.Background(), old)
		if errors.Is(err, jwkset.ErrKeyNotFound) {
			break
		}
		if err != nil {
			t.Fatalf("the retired key's token: %v, want ErrKeyNotFound", err)
		}
		if time.Now().After(deadline) {
			t.Fatal("the retired key's cached token is still accepted 5 s after its key left the JWKS")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := u.subject(context.Background(), es256(k2, "k2")); err != nil {
		t.Fatalf("the new key's token: %v", err)
	}
}

// TestUserTokenCacheDefault: the variable's default is DefaultUserTokenCache.
func TestUserTokenCacheDefault(t *testing.T) {
	t.Parallel()
	f, _ := reflect.TypeFor[TokenConfig]().FieldByName("UserTokenCache")
	if got := f.Tag.Get("default"); got != strconv.Itoa(DefaultUserTokenCache) {
		t.Fatalf("USER_TOKEN_CACHE defaults to %s, DefaultUserTokenCache is %d", got, DefaultUserTokenCache)
	}
	if err := (TokenConfig{UserTokenCache: -1}).Check(); err == nil || !strings.Contains(err.Error(), "USER_TOKEN_CACHE") {
		t.Fatalf("a negative USER_TOKEN_CACHE: %v", err)
	}
}
