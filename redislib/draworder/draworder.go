// Package draworder is the order of a draw: the one function that decides,
// from the seed the activity committed to and the entrants' user IDs, who
// wins. The store ranks entries with it and scripts/verifydraw recomputes it,
// so both read this one definition.
//
// The algorithm, precisely enough to reimplement it in another language:
//
//  1. The seed is 32 bytes. It is published as lowercase hex (64 characters);
//     seed_hash is the lowercase hex of SHA-256 over those 32 bytes (not over
//     the hex text).
//  2. For each entrant, key = lowercase hex of SHA-256(seed bytes || user ID
//     bytes): the 32 seed bytes followed directly by the user ID's bytes as
//     sent (ASCII; no separator, no length prefix: user IDs contain no byte
//     that would make two concatenations equal with different splits, since
//     the seed has a fixed length).
//  3. Entrants are sorted ascending by key, comparing the 64-character hex
//     strings byte by byte (equivalently, the 32-byte digests as unsigned
//     big-endian numbers). Equal keys (a SHA-256 collision, not expected in
//     practice) are ordered by user ID bytes ascending.
//  4. Position 0 is the first in that order. The first stock positions win;
//     a unit that comes back (an order cancelled or expired unpaid) goes to
//     the next position that has not been awarded one.
//
// The store keeps the order as a ZSET whose members are "<key>:<user id>",
// all with score 0: Redis orders equal scores by member bytes, which is the
// order above (every key has the same length, so the ':' never compares
// against a key character).
package draworder

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
)

// SeedLen is the length of a draw seed in bytes.
const SeedLen = 32

// Key returns the draw key of userID under seed: the lowercase hex of
// SHA-256(seed || userID).
func Key(seed []byte, userID string) string {
	h := sha256.New()
	h.Write(seed)
	h.Write([]byte(userID))
	return hex.EncodeToString(h.Sum(nil))
}

// Member is the ZSET member that ranks userID: its key, ':', the user ID.
func Member(seed []byte, userID string) string { return Key(seed, userID) + ":" + userID }

// UserOf returns the user ID of a member made by Member.
func UserOf(member string) (string, bool) {
	if len(member) < 2*sha256.Size+2 || member[2*sha256.Size] != ':' {
		return "", false
	}
	return member[2*sha256.Size+1:], true
}

// SeedHash returns the lowercase hex of SHA-256(seed): the commitment
// published before the draw.
func SeedHash(seed []byte) string {
	sum := sha256.Sum256(seed)
	return hex.EncodeToString(sum[:])
}

// ParseSeed decodes a published seed (64 lowercase or uppercase hex
// characters).
func ParseSeed(s string) ([]byte, error) {
	seed, err := hex.DecodeString(s)
	if err != nil || len(seed) != SeedLen {
		return nil, fmt.Errorf("a seed is %d hex characters", 2*SeedLen)
	}
	return seed, nil
}

// Order returns users in draw order under seed. Duplicate user IDs are kept
// once.
func Order(seed []byte, users []string) []string {
	type ranked struct{ key, user string }
	rs := make([]ranked, 0, len(users))
	seen := make(map[string]bool, len(users))
	for _, u := range users {
		if seen[u] {
			continue
		}
		seen[u] = true
		rs = append(rs, ranked{Key(seed, u), u})
	}
	slices.SortFunc(rs, func(a, b ranked) int {
		if c := strings.Compare(a.key, b.key); c != 0 {
			return c
		}
		return bytes.Compare([]byte(a.user), []byte(b.user))
	})
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.user
	}
	return out
}
