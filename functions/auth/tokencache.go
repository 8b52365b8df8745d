package auth

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/MicahParks/jwkset"
)

// DefaultUserTokenCache is the default bound on the verified user tokens
// one process remembers (USER_TOKEN_CACHE).
const DefaultUserTokenCache = 50_000

// tokenCacheMaxAge bounds how long a verified token is taken from the cache
// without being verified again, whatever its exp: the longest a cached token
// can outlive a change that its entry does not follow. A change of the
// JWKS's keys it does follow (see keyGenerations).
const tokenCacheMaxAge = time.Minute

// tokenCacheShards is the most shards of a cache; each has its own lock, so
// parallel requests rarely wait for one another.
const tokenCacheShards = 64

// tokenKey is the SHA-256 of a whole token, header, claims and signature:
// two tokens share an entry only if they are the same string, so a token
// that differs from a verified one in any byte (another signature, another
// key's, changed claims) is verified on its own.
type tokenKey = [32]byte

// tokenCache remembers the subjects of user tokens that verified, so that a
// buyer's next requests with the same token skip the signature check. It
// holds at most its size in entries, in shards chosen by the key's first
// byte, each evicting its oldest entry first. Only successful verifications
// are stored: a refused token costs a verification every time, and an
// attacker cannot fill the cache with tokens that do not verify.
type tokenCache struct {
	shards []tokenShard
	maxAge time.Duration
}

// tokenShard is one lock's share of a tokenCache: a map and the ring of its
// keys in insertion order, which says which entry to evict.
type tokenShard struct {
	mu      sync.Mutex
	entries map[tokenKey]tokenEntry
	ring    []tokenKey // every key of entries, oldest at next once full
	next    int
	size    int
	_       [64]byte // keeps the locks of neighbouring shards off one cache line
}

// tokenEntry is what a verified token proved and for how long.
type tokenEntry struct {
	subject string
	until   int64  // Unix nanoseconds: the token's exp or the max age, whichever is first
	gen     uint64 // the key generation the token verified with
}

// newTokenCache returns a cache of at most size entries, or nil for size 0
// (no cache).
func newTokenCache(size int, maxAge time.Duration) *tokenCache {
	if size <= 0 {
		return nil
	}
	n := tokenCacheShards
	for n > 1 && size/n < 64 { // small caches: fewer shards, so each keeps a useful share
		n /= 2
	}
	c := &tokenCache{shards: make([]tokenShard, n), maxAge: maxAge}
	for i := range c.shards {
		s := &c.shards[i]
		s.size = size / n
		if i < size%n {
			s.size++
		}
		s.entries = make(map[tokenKey]tokenEntry)
	}
	return c
}

func (c *tokenCache) shard(k *tokenKey) *tokenShard {
	return &c.shards[int(k[0])%len(c.shards)]
}

// get returns the subject of the token with key k if it verified with key
// generation gen and its entry is still good at now.
func (c *tokenCache) get(k *tokenKey, gen uint64, now time.Time) (string, bool) {
	s := c.shard(k)
	s.mu.Lock()
	e, ok := s.entries[*k]
	s.mu.Unlock()
	if !ok || e.gen != gen || now.UnixNano() >= e.until {
		return "", false
	}
	return e.subject, true
}

// put remembers that the token with key k verified at now, with key
// generation gen, for subject until exp (or the max age, if sooner).
func (c *tokenCache) put(k *tokenKey, subject string, exp time.Time, gen uint64, now time.Time) {
	until := now.Add(c.maxAge)
	if exp.Before(until) {
		until = exp
	}
	if !until.After(now) {
		return
	}
	e := tokenEntry{subject: subject, until: until.UnixNano(), gen: gen}
	s := c.shard(k)
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.entries[*k]; ok {
		s.entries[*k] = e // verified again: a later entry, the same place in the ring
		return
	}
	if len(s.ring) < s.size {
		s.ring = append(s.ring, *k)
	} else {
		delete(s.entries, s.ring[s.next])
		s.ring[s.next] = *k
		s.next = (s.next + 1) % len(s.ring)
	}
	s.entries[*k] = e
}

// len returns the number of entries, for tests.
func (c *tokenCache) len() int {
	n := 0
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		n += len(s.entries)
		s.mu.Unlock()
	}
	return n
}

// keyGenerations is the storage of a JWKS's keys, counting the times they
// are replaced (every refresh) or changed. A cached token is used only with
// the generation it verified with, so a key that a refresh removes stops
// verifying cached tokens at the same moment as new ones.
type keyGenerations struct {
	jwkset.Storage
	gen atomic.Uint64
}

func newKeyGenerations() *keyGenerations {
	return &keyGenerations{Storage: jwkset.NewMemoryStorage()}
}

// KeyReplaceAll replaces the keys, then starts a new generation: a
// verification that began before it carries the old generation, whichever
// keys it read.
func (s *keyGenerations) KeyReplaceAll(ctx context.Context, given []jwkset.JWK) error {
	defer s.gen.Add(1)
	return s.Storage.KeyReplaceAll(ctx, given)
}

// KeyWrite adds or replaces one key, then starts a new generation.
func (s *keyGenerations) KeyWrite(ctx context.Context, jwk jwkset.JWK) error {
	defer s.gen.Add(1)
	return s.Storage.KeyWrite(ctx, jwk)
}

// KeyDelete removes one key, then starts a new generation.
func (s *keyGenerations) KeyDelete(ctx context.Context, keyID string) (bool, error) {
	defer s.gen.Add(1)
	return s.Storage.KeyDelete(ctx, keyID)
}
