package sale

import (
	"encoding/base64"
	"math"
	"strconv"
	"strings"
	"unicode"
)

// Every listing (products, activities, orders, audit trails) is read a page
// at a time, newest first. A page ends with the position of the last entry
// it examined, and the next page starts strictly after it, so entries added
// while a client pages (they are newer) never shift the pages, an entry is
// never listed twice, and none that existed when the walk started is
// skipped, even when many share a creation time.

// Page limits.
const (
	// DefaultPageLimit is the number of items of a page when none is asked.
	DefaultPageLimit = 20
	// MaxPageLimit is the most items one page may hold.
	MaxPageLimit = 100

	maxCursorMember = 256
)

// Page is one page of a listing.
type Page[T any] struct {
	Items []T `json:"items"`
	// NextCursor is passed as ?cursor= to get the next page; null on the last page.
	NextCursor *string `json:"next_cursor"`
}

// PageQuery is a page request: how many items, after which position.
type PageQuery struct {
	Limit int
	// After is nil for the first page.
	After *Cursor
}

// Check validates the query: Limit from 1 to MaxPageLimit (invalid_limit).
func (q PageQuery) Check() error {
	if q.Limit < 1 || q.Limit > MaxPageLimit {
		return Errorf(CodeInvalidLimit, "limit must be an integer from 1 to %d", MaxPageLimit)
	}
	return nil
}

// Cursor is a position in a listing: the score (creation time in ms) and
// the member (ID) of the last entry a page examined. Clients see it only as
// an opaque string.
type Cursor struct {
	Score  string
	Member string
}

// String encodes the cursor as an opaque URL-safe string.
func (c Cursor) String() string {
	return base64.RawURLEncoding.EncodeToString([]byte(c.Score + ":" + c.Member))
}

// ParseCursor decodes a cursor made by Cursor.String; anything else is
// invalid_cursor.
func ParseCursor(s string) (Cursor, error) {
	bad := Errorf(CodeInvalidCursor, "cursor is not a next_cursor returned by this listing")
	if len(s) > 2*maxCursorMember {
		return Cursor{}, bad
	}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return Cursor{}, bad
	}
	score, member, ok := strings.Cut(string(raw), ":")
	if !ok || member == "" || len(member) > maxCursorMember {
		return Cursor{}, bad
	}
	f, err := strconv.ParseFloat(score, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return Cursor{}, bad
	}
	for _, r := range member {
		if r == unicode.ReplacementChar || unicode.IsControl(r) || unicode.IsSpace(r) {
			return Cursor{}, bad
		}
	}
	return Cursor{Score: score, Member: member}, nil
}
