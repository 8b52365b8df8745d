package redislib

import (
	"cmp"
	"context"
	"encoding/base64"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// Cursor pagination over a ZSET, newest first.
//
// Every listing (products, activities, orders) is a ZSET scored by creation
// time in ms. A page lists members in (score, member) descending order, the
// order of ZREVRANGE, and its cursor is the (score, member) position of the
// last member examined. The next page starts strictly after that position, so
// members added while a client pages (they score higher, being newer) never
// shift the pages, an item is never listed twice, and no item that existed when
// the walk started is skipped, even when many members share a score.

// Page limits.
const (
	DefaultPageLimit = 20
	maxPageLimit     = 100
	// maxPageScan bounds how many index entries one filtered page examines.
	// A filtered page can therefore hold fewer items than its limit (even
	// none) and still have a next_cursor: only a null next_cursor ends a walk.
	maxPageScan = 1000

	maxCursorMember = 256
)

// Page is one page of a listing, as the API answers it.
type Page[T any] struct {
	Items []T `json:"items"`
	// NextCursor is passed as ?cursor= to get the next page; null on the last page.
	NextCursor *string `json:"next_cursor"`
}

// Cursor is a position in a ZSET listing: the score and member of the last
// entry a page examined. Clients see it only as an opaque string.
type Cursor struct {
	score  string
	member string
}

// String encodes the cursor as an opaque URL-safe string.
func (c Cursor) String() string {
	return base64.RawURLEncoding.EncodeToString([]byte(c.score + ":" + c.member))
}

// parseCursor decodes a cursor made by Cursor.String; anything else is a 400
// invalid_cursor.
func parseCursor(s string) (Cursor, error) {
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
	return Cursor{score: score, member: member}, nil
}

// PageQuery is a validated page request: how many items, after which position.
type PageQuery struct {
	Limit int
	// After is nil for the first page.
	After *Cursor
}

// ParsePageQuery validates the raw ?cursor= and ?limit= values of a listing
// request. An empty limit is DefaultPageLimit; an empty cursor is the first
// page. Failures are 400 invalid_limit or invalid_cursor.
func ParsePageQuery(cursor, limit string) (PageQuery, error) {
	q := PageQuery{Limit: DefaultPageLimit}
	if limit != "" {
		n, err := strconv.Atoi(limit)
		if err != nil || n < 1 || n > maxPageLimit {
			return q, Errorf(CodeInvalidLimit, "limit must be an integer from 1 to %d", maxPageLimit)
		}
		q.Limit = n
	}
	if cursor != "" {
		c, err := parseCursor(cursor)
		if err != nil {
			return q, err
		}
		q.After = &c
	}
	return q, nil
}

// IDPage is one page of a ZSET's members.
type IDPage struct {
	IDs []string
	// Next is the cursor of the following page, nil on the last page.
	Next *string
}

// PageIDs returns up to q.Limit members of the ZSET at key after q.After,
// newest first, with the cursor of the next page.
func (s *Store) PageIDs(ctx context.Context, key string, q PageQuery) (IDPage, error) {
	if q.Limit < 1 || q.Limit > maxPageLimit {
		return IDPage{}, Errorf(CodeInvalidLimit, "limit must be an integer from 1 to %d", maxPageLimit)
	}
	entries, err := s.zpage(ctx, key, q.After, q.Limit+1)
	if err != nil {
		return IDPage{}, err
	}
	var p IDPage
	for i, e := range entries {
		if i == q.Limit {
			next := entries[i-1].cursor.String()
			p.Next = &next
			break
		}
		p.IDs = append(p.IDs, e.member)
	}
	return p, nil
}

// Loader reads the items of a page by ID. IDs it cannot find (deleted, or not
// written yet) are left out of the map and so out of the page.
type Loader[T any] func(ctx context.Context, ids []string) (map[string]T, error)

// ListPage walks the ZSET at key from q.After, newest first, loading the
// members with load and keeping those for which keep (nil: all) holds, until
// q.Limit items are collected, the ZSET ends, or maxPageScan entries have been
// examined. The next cursor is the position of the last entry examined, so a
// filter is applied after loading (to a status derived at read time, say) and
// paging stays exact.
func ListPage[T any](ctx context.Context, s *Store, key string, q PageQuery, load Loader[T], keep func(T) bool) (Page[T], error) {
	return listPageKeys(ctx, s, []string{key}, q, load, keep)
}

// listPageKeys is ListPage over the union of several ZSETs (the order
// indexes of an activity's buckets), merged in (score, member) descending
// order: a cursor is a position in that order, valid in every one of them.
func listPageKeys[T any](ctx context.Context, s *Store, keys []string, q PageQuery, load Loader[T], keep func(T) bool) (Page[T], error) {
	if q.Limit < 1 || q.Limit > maxPageLimit {
		return Page[T]{}, Errorf(CodeInvalidLimit, "limit must be an integer from 1 to %d", maxPageLimit)
	}
	page := Page[T]{Items: []T{}}
	after := q.After
	examined := 0
	for {
		batch := q.Limit - len(page.Items)
		if keep != nil {
			// A filter may drop most entries: read in larger batches.
			batch = maxPageLimit
		}
		batch = min(batch, maxPageScan-examined)
		// One entry more than needed tells whether the ZSET goes on.
		entries, err := s.zpageMerged(ctx, keys, after, batch+1)
		if err != nil {
			return Page[T]{}, err
		}
		more := len(entries) > batch
		if more {
			entries = entries[:batch]
		}
		ids := make([]string, len(entries))
		for i, e := range entries {
			ids[i] = e.member
		}
		items, err := load(ctx, ids)
		if err != nil {
			return Page[T]{}, err
		}
		for i, e := range entries {
			examined++
			if it, ok := items[e.member]; ok && (keep == nil || keep(it)) {
				page.Items = append(page.Items, it)
			}
			last := i == len(entries)-1 && !more
			if last {
				return page, nil
			}
			if len(page.Items) == q.Limit || examined >= maxPageScan {
				next := e.cursor.String()
				page.NextCursor = &next
				return page, nil
			}
		}
		if len(entries) == 0 {
			return page, nil
		}
		after = &entries[len(entries)-1].cursor
	}
}

// pageEntry is one ZSET member with its position.
type pageEntry struct {
	member string
	cursor Cursor
}

// zpageMerged returns up to n entries of the union of the ZSETs at keys
// strictly after the cursor, in (score, member) descending order: the first
// n of each, merged.
func (s *Store) zpageMerged(ctx context.Context, keys []string, after *Cursor, n int) ([]pageEntry, error) {
	if len(keys) == 1 {
		return s.zpage(ctx, keys[0], after, n)
	}
	var score, member string
	if after != nil {
		score, member = after.score, after.member
	}
	calls := make([]scriptCall, len(keys))
	for i, key := range keys {
		calls[i] = scriptCall{script: zpageScript, keys: []string{key}, args: []any{n, score, member}}
	}
	cmds, err := runPipelined(ctx, s.rdb, calls)
	if err != nil {
		return nil, storeErr(err)
	}
	var all []pageEntry
	for _, c := range cmds {
		reply, err := c.StringSlice()
		if err != nil || len(reply)%2 != 0 {
			return nil, fmt.Errorf("zpage: unexpected reply %v, %v", reply, err)
		}
		for i := 0; i < len(reply); i += 2 {
			// The sort below compares the scores as numbers.
			if _, err := strconv.ParseFloat(reply[i+1], 64); err != nil {
				return nil, fmt.Errorf("zpage: unexpected score %q", reply[i+1])
			}
			all = append(all, pageEntry{member: reply[i], cursor: Cursor{score: reply[i+1], member: reply[i]}})
		}
	}
	slices.SortFunc(all, func(a, b pageEntry) int {
		sa, _ := strconv.ParseFloat(a.cursor.score, 64)
		sb, _ := strconv.ParseFloat(b.cursor.score, 64)
		if c := cmp.Compare(sb, sa); c != 0 {
			return c
		}
		return strings.Compare(b.member, a.member)
	})
	return all[:min(n, len(all))], nil
}

// zpage returns up to n entries of the ZSET at key strictly after the cursor
// (from the newest when after is nil), in (score, member) descending order.
func (s *Store) zpage(ctx context.Context, key string, after *Cursor, n int) ([]pageEntry, error) {
	var score, member string
	if after != nil {
		score, member = after.score, after.member
	}
	reply, err := zpageScript.Run(ctx, s.rdb, []string{key}, n, score, member).StringSlice()
	if err != nil {
		return nil, storeErr(err)
	}
	if len(reply)%2 != 0 {
		return nil, fmt.Errorf("zpage: odd reply length %d", len(reply))
	}
	entries := make([]pageEntry, 0, len(reply)/2)
	for i := 0; i < len(reply); i += 2 {
		entries = append(entries, pageEntry{member: reply[i], cursor: Cursor{score: reply[i+1], member: reply[i]}})
	}
	return entries, nil
}
