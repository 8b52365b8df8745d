package redislib

import (
	"crypto/rand"
	"encoding/hex"
	"strconv"
	"strings"
)

// MaxIDLen is the longest product, activity or user ID accepted.
const MaxIDLen = 64

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
		if !found || err != nil || n < 1 || n >= MaxShards || strconv.Itoa(n) != num {
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
func ValidID(s string) bool { return validChars(s, "_") }

// ValidUserID reports whether s can be a user ID: 1 to 64 characters of the
// safe set A-Z a-z 0-9 and . _ : @ -. Braces, spaces and control characters
// are excluded so a user ID can sit inside a key's hash tag.
func ValidUserID(s string) bool { return validChars(s, "._:@-") }

func validChars(s, extra string) bool {
	if len(s) == 0 || len(s) > MaxIDLen {
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
