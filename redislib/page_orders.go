package redislib

import (
	"context"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"
)

// Pagination of order listings. An index is a ZSET of order IDs scored by
// creation time (ms), listed newest first. A cursor names the last item of
// the previous page by (score, member), so orders added while a client pages
// through are neither repeated nor skipped (order_page.lua).

// Limits of a page of orders.
const (
	DefaultOrderPageLimit = 20
	MaxOrderPageLimit     = 100
	// orderScanBudget bounds how many index entries one filtered page reads;
	// past it the page ends early with a cursor to continue from.
	orderScanBudget = 1000
)

// orderCursor is the position of the last item of a page: its score and member.
type orderCursor struct {
	score  int64
	member string
}

// encodeOrderCursor returns the opaque cursor string of a position.
func encodeOrderCursor(c orderCursor) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(c.score, 10) + ":" + c.member))
}

// decodeOrderCursor parses a cursor made by encodeOrderCursor; "" is the
// first page (nil). Anything else is an invalid_cursor error.
func decodeOrderCursor(s string) (*orderCursor, error) {
	if s == "" {
		return nil, nil
	}
	bad := Errorf(CodeInvalidCursor, "cursor is not one this API returned; start again without a cursor")
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, bad
	}
	score, member, ok := strings.Cut(string(raw), ":")
	n, err := strconv.ParseInt(score, 10, 64)
	if !ok || err != nil || n < 0 {
		return nil, bad
	}
	if _, ok := ActivityOfOrder(member); !ok {
		return nil, bad
	}
	return &orderCursor{score: n, member: member}, nil
}

// readOrderPage reads at most n entries of the index key after the cursor
// (nil: from the start), newest first.
func (s *Store) readOrderPage(ctx context.Context, key string, after *orderCursor, n int) ([]orderCursor, error) {
	score, member := "", ""
	if after != nil {
		score, member = strconv.FormatInt(after.score, 10), after.member
	}
	flat, err := orderPageScript.Run(ctx, s.rdb, []string{key}, n, score, member).StringSlice()
	if err != nil {
		return nil, storeErr(err)
	}
	if len(flat)%2 != 0 {
		return nil, fmt.Errorf("order_page: odd reply length %d", len(flat))
	}
	out := make([]orderCursor, 0, len(flat)/2)
	for i := 0; i < len(flat); i += 2 {
		sc, err := strconv.ParseFloat(flat[i+1], 64)
		if err != nil {
			return nil, fmt.Errorf("order_page: score %q: %w", flat[i+1], err)
		}
		out = append(out, orderCursor{score: int64(sc), member: flat[i]})
	}
	return out, nil
}

// fetchOrders reads the orders named by entries, in one pipeline with the
// Redis time that decides whether a pending order reads as expired. An entry
// whose order hash is missing (or whose ID is malformed) gives ok false.
func (s *Store) fetchOrders(ctx context.Context, entries []orderCursor) (orders []Order, ok []bool, err error) {
	cmds := make([]*redis.MapStringStringCmd, len(entries))
	var now *redis.TimeCmd
	_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		now = p.Time(ctx)
		for i, e := range entries {
			if act, valid := ActivityOfOrder(e.member); valid {
				cmds[i] = p.HGetAll(ctx, OrderKey(act, e.member))
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, storeErr(err)
	}
	ms := now.Val().UnixMilli()
	orders, ok = make([]Order, len(entries)), make([]bool, len(entries))
	for i, c := range cmds {
		if c != nil && len(c.Val()) > 0 {
			orders[i], ok[i] = orderFromHash(c.Val(), ms), true
		}
	}
	return orders, ok, nil
}

// pageOrders lists the orders of the index key newest first: at most limit
// orders after cursor for which keep (nil: all) holds. A filtered page reads
// at most orderScanBudget index entries and may end early with a cursor.
func (s *Store) pageOrders(ctx context.Context, key, cursor string, limit int, keep func(Order) bool) (OrderPage, error) {
	if limit < 1 || limit > MaxOrderPageLimit {
		return OrderPage{}, fmt.Errorf("page limit %d out of range 1..%d", limit, MaxOrderPageLimit)
	}
	after, err := decodeOrderCursor(cursor)
	if err != nil {
		return OrderPage{}, err
	}
	page := OrderPage{Items: []Order{}}
	batch := limit + 1 // one more than needed tells whether anything follows
	if keep != nil {
		batch = MaxOrderPageLimit
	}
	scanned := 0
	for {
		entries, err := s.readOrderPage(ctx, key, after, batch)
		if err != nil {
			return OrderPage{}, err
		}
		orders, ok, err := s.fetchOrders(ctx, entries)
		if err != nil {
			return OrderPage{}, err
		}
		for i, e := range entries {
			after = &entries[i]
			scanned++
			if ok[i] && (keep == nil || keep(orders[i])) {
				page.Items = append(page.Items, orders[i])
			}
			more := i < len(entries)-1 || len(entries) == batch
			if len(page.Items) == limit || scanned >= orderScanBudget {
				if more {
					next := encodeOrderCursor(e)
					page.NextCursor = &next
				}
				return page, nil
			}
		}
		if len(entries) < batch {
			return page, nil
		}
	}
}
