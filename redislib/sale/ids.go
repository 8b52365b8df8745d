package sale

import (
	"crypto/rand"
	"encoding/hex"
	"strconv"
	"strings"
)

// MaxIDLen is the longest product or activity ID accepted.
const MaxIDLen = 64

// MaxUserIDLen is the longest user ID accepted: room for the subjects that
// identity providers issue (auth0|…, google-oauth2|…, UUIDs, e-mail-like).
const MaxUserIDLen = 128

// UserIDPunct is the punctuation a user ID may hold besides A-Z a-z 0-9.
const UserIDPunct = "._:@-|+="

// NewID returns a new random product or activity ID: 16 lowercase hex characters.
func NewID() string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b[:])
}

// NewOrderID returns a new order ID for bucket k of an activity: the
// activity ID, a dash, for k > 0 "s<k>" and a dash, and 16 hex characters.
// An activity with one bucket has only bucket 0, so its order IDs are
// "<activity>-<16 hex>". OrderBucket reverses it.
func NewOrderID(activityID string, k int) string {
	if k == 0 {
		return activityID + "-" + NewID()
	}
	return activityID + "-s" + strconv.Itoa(k) + "-" + NewID()
}

// ActivityOfOrder returns the activity ID encoded in an order ID, and false
// when orderID is not a well-formed order ID.
func ActivityOfOrder(orderID string) (string, bool) {
	act, _, ok := OrderBucket(orderID)
	return act, ok
}

// OrderBucket returns the activity ID and the stock bucket encoded in an
// order ID (see NewOrderID), and false when orderID is not well formed. A
// bucket number is written without leading zeros, so one order has one ID.
func OrderBucket(orderID string) (activityID string, k int, ok bool) {
	i := strings.LastIndexByte(orderID, '-')
	if i <= 0 || len(orderID)-i-1 != 16 {
		return "", 0, false
	}
	for _, c := range orderID[i+1:] {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return "", 0, false
		}
	}
	head := orderID[:i]
	if j := strings.IndexByte(head, '-'); j >= 0 {
		num, found := strings.CutPrefix(head[j+1:], "s")
		n, err := strconv.Atoi(num)
		if !found || err != nil || n < 1 || n >= MaxBuckets || strconv.Itoa(n) != num {
			return "", 0, false
		}
		head, k = head[:j], n
	}
	if !ValidID(head) {
		return "", 0, false
	}
	return head, k, true
}

// ValidID reports whether s can be a product or activity ID: 1 to 64 ASCII
// letters, digits or underscores.
func ValidID(s string) bool { return validChars(s, "_", MaxIDLen) }

// ValidUserID reports whether s can be a user ID: 1 to MaxUserIDLen
// characters of A-Z a-z 0-9 and UserIDPunct, which covers the subjects of
// identity providers (auth0|abc, google-oauth2|123, UUIDs). Braces keep a
// user ID inside its key's hash tag; spaces, control characters, quotes and
// backslashes stay out of keys, logs and JSON unescaped; slashes and glob
// characters stay out of paths and key patterns.
func ValidUserID(s string) bool { return validChars(s, UserIDPunct, MaxUserIDLen) }

func validChars(s, extra string, maxLen int) bool {
	if len(s) == 0 || len(s) > maxLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte(extra, c) >= 0 {
			continue
		}
		return false
	}
	return true
}
