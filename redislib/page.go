package redislib

import (
	"cmp"
	"context"
	"fmt"
	"seckill/redislib/sale"
	"slices"
	"strconv"
	"strings"
)

// Cursor pagination over a ZSET, newest first (see sale.Page).
//
// Every listing (products, activities, orders) is a ZSET scored by creation
// time in ms. A page lists members in (score, member) descending order, the
// order of ZREVRANGE, and its cursor is the (score, member) position of the
// last member examined.

// maxPageScan bounds how many index entries one filtered page examines.
// A filtered page can therefore hold fewer items than its limit (even
// none) and still have a next_cursor: only a null next_cursor ends a walk.
const maxPageScan = 1000

// idPage is one page of a ZSET's members.
type idPage struct {
	IDs []string
	// Next is the cursor of the following page, nil on the last page.
	Next *string
}

// pageIDs returns up to q.Limit members of the ZSET at key after q.After,
// newest first, with the cursor of the next page.
func (s *Store) pageIDs(ctx context.Context, key string, q sale.PageQuery) (idPage, error) {
	if q.Limit < 1 || q.Limit > sale.MaxPageLimit {
		return idPage{}, sale.Errorf(sale.CodeInvalidLimit, "limit must be an integer from 1 to %d", sale.MaxPageLimit)
	}
	entries, err := s.zpage(ctx, key, q.After, q.Limit+1)
	if err != nil {
		return idPage{}, err
	}
	var p idPage
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

// loader reads the items of a page by ID. IDs it cannot find (deleted, or not
// written yet) are left out of the map and so out of the page.
type loader[T any] func(ctx context.Context, ids []string) (map[string]T, error)

// listPage walks the ZSET at key from q.After, newest first, loading the
// members with load and keeping those for which keep (nil: all) holds, until
// q.Limit items are collected, the ZSET ends, or maxPageScan entries have been
// examined. The next cursor is the position of the last entry examined, so a
// filter is applied after loading (to a status derived at read time, say) and
// paging stays exact.
func listPage[T any](ctx context.Context, s *Store, key string, q sale.PageQuery, load loader[T], keep func(T) bool) (sale.Page[T], error) {
	return listPageKeys(ctx, s, []string{key}, q, load, keep)
}

// listPageKeys is listPage over the union of several ZSETs (the order
// indexes of an activity's buckets), merged in (score, member) descending
// order: a cursor is a position in that order, valid in every one of them.
func listPageKeys[T any](ctx context.Context, s *Store, keys []string, q sale.PageQuery, load loader[T], keep func(T) bool) (sale.Page[T], error) {
	if q.Limit < 1 || q.Limit > sale.MaxPageLimit {
		return sale.Page[T]{}, sale.Errorf(sale.CodeInvalidLimit, "limit must be an integer from 1 to %d", sale.MaxPageLimit)
	}
	page := sale.Page[T]{Items: []T{}}
	after := q.After
	examined := 0
	for {
		batch := q.Limit - len(page.Items)
		if keep != nil {
			// A filter may drop most entries: read in larger batches.
			batch = sale.MaxPageLimit
		}
		batch = min(batch, maxPageScan-examined)
		// One entry more than needed tells whether the ZSET goes on.
		entries, err := s.zpageMerged(ctx, keys, after, batch+1)
		if err != nil {
			return sale.Page[T]{}, err
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
			return sale.Page[T]{}, err
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
	cursor sale.Cursor
}

// zpageMerged returns up to n entries of the union of the ZSETs at keys
// strictly after the cursor, in (score, member) descending order: the first
// n of each, merged.
func (s *Store) zpageMerged(ctx context.Context, keys []string, after *sale.Cursor, n int) ([]pageEntry, error) {
	if len(keys) == 1 {
		return s.zpage(ctx, keys[0], after, n)
	}
	var score, member string
	if after != nil {
		score, member = after.Score, after.Member
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
			all = append(all, pageEntry{member: reply[i], cursor: sale.Cursor{Score: reply[i+1], Member: reply[i]}})
		}
	}
	slices.SortFunc(all, func(a, b pageEntry) int {
		sa, _ := strconv.ParseFloat(a.cursor.Score, 64)
		sb, _ := strconv.ParseFloat(b.cursor.Score, 64)
		if c := cmp.Compare(sb, sa); c != 0 {
			return c
		}
		return strings.Compare(b.member, a.member)
	})
	return all[:min(n, len(all))], nil
}

// zpage returns up to n entries of the ZSET at key strictly after the cursor
// (from the newest when after is nil), in (score, member) descending order.
func (s *Store) zpage(ctx context.Context, key string, after *sale.Cursor, n int) ([]pageEntry, error) {
	var score, member string
	if after != nil {
		score, member = after.Score, after.Member
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
		entries = append(entries, pageEntry{member: reply[i], cursor: sale.Cursor{Score: reply[i+1], Member: reply[i]}})
	}
	return entries, nil
}
