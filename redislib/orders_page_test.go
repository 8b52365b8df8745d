package redislib_test

import (
	"encoding/base64"
	"fmt"
	"slices"
	"testing"

	"github.com/redis/go-redis/v9"

	"seckill/redislib"
	"seckill/redislib/internal/key"
	"seckill/redislib/sale"
)

// mustPageQuery is the page query of a request with this cursor and limit.
func mustPageQuery(t *testing.T, cursor string, limit int) sale.PageQuery {
	t.Helper()
	q := sale.PageQuery{Limit: limit}
	if cursor != "" {
		c, err := sale.ParseCursor(cursor)
		if err != nil {
			t.Fatalf("page query (%q, %d): %v", cursor, limit, err)
		}
		q.After = &c
	}
	return q
}

// mustPages follows a listing from the first page to the last, calling
// between after each page, and returns the IDs in listing order.
func mustPages(t *testing.T, list func(cursor string) (sale.Page[sale.Order], error), between func(page int)) (ids []string, sizes []int) {
	t.Helper()
	cursor := ""
	for page := 0; ; page++ {
		p, err := list(cursor)
		if err != nil {
			t.Fatalf("page %d: %v", page, err)
		}
		sizes = append(sizes, len(p.Items))
		for _, o := range p.Items {
			if o.ID == "" || o.Status == "" || o.CreatedAt.IsZero() {
				t.Fatalf("page %d holds an incomplete order: %+v", page, o)
			}
			ids = append(ids, o.ID)
		}
		if p.NextCursor == nil {
			return ids, sizes
		}
		if page > 1000 {
			t.Fatalf("listing never ends")
		}
		cursor = *p.NextCursor
		if between != nil {
			between(page)
		}
	}
}

// Orders added while a client pages through (newer ones at the top, and an
// old one the projector adds late) never duplicate or skip an item.
func TestUserOrdersPagesAcrossBoundaries(t *testing.T) {
	s, be := mustStore(t)
	rdb := be.AdminClient(t) // reads and seeds keys with commands the functions never run
	const n = 25
	for range n {
		a := mustActivity(t, s, 5, 900)
		mustWin(t, s, a.ID, "pager")
	}
	key := key.UserOrders("pager")
	want := mustHistory(t, rdb, "pager") // ground truth: ZREVRANGE order
	late, _ := rdb.ZRangeWithScores(ctx, key, 0, 2).Result()
	for _, z := range late {
		rdb.ZRem(ctx, key, z.Member)
	}

	list := func(cursor string) (sale.Page[sale.Order], error) {
		return s.UserOrders(ctx, "pager", mustPageQuery(t, cursor, 7))
	}
	got, sizes := mustPages(t, list, func(page int) {
		a := mustActivity(t, s, 5, 900)
		mustWin(t, s, a.ID, "pager") // newer than anything listed
		if page == 0 {
			rdb.ZAdd(ctx, key, late...) // older than the cursor: listed later, once
		}
	})
	if !slices.Equal(got, want) {
		t.Fatalf("listed %v\nwant %v", got, want)
	}
	if !slices.Equal(sizes, []int{7, 7, 7, 4}) {
		t.Fatalf("page sizes %v", sizes)
	}
}

// Many orders can share a creation millisecond; the cursor's member breaks
// the tie, also when that member has left the index since.
func TestOrderPagesWithTiedScores(t *testing.T) {
	s, be := mustStore(t)
	rdb := be.AdminClient(t) // reads and seeds keys with commands the functions never run
	a := mustActivity(t, s, 20, 900)
	var ids []string
	for i := range 12 {
		ids = append(ids, mustWin(t, s, a.ID, fmt.Sprintf("u%d", i)).ID)
	}
	key := key.OrdersIndex(a.ID)
	for _, id := range ids {
		rdb.ZAdd(ctx, key, redis.Z{Score: 1_000, Member: id})
	}
	slices.Sort(ids)
	slices.Reverse(ids) // ties list in member order, descending

	list := func(cursor string) (sale.Page[sale.Order], error) {
		return s.ActivityOrders(ctx, a.ID, "", mustPageQuery(t, cursor, 5))
	}
	got, sizes := mustPages(t, list, nil)
	if !slices.Equal(got, ids) || !slices.Equal(sizes, []int{5, 5, 2}) {
		t.Fatalf("listed %v (sizes %v)\nwant %v", got, sizes, ids)
	}

	// The last item of page one leaves the index before page two is read.
	first, _ := list("")
	rdb.ZRem(ctx, key, ids[4])
	second, err := list(*first.NextCursor)
	if err != nil {
		t.Fatalf("page two: %v", err)
	}
	var secondIDs []string
	for _, o := range second.Items {
		secondIDs = append(secondIDs, o.ID)
	}
	if !slices.Equal(secondIDs, ids[5:10]) || second.NextCursor == nil {
		t.Fatalf("page two after the cursor left: %v, want %v", secondIDs, ids[5:10])
	}
	// And once more with distinct lower scores after the tie.
	rdb.ZAdd(ctx, key, redis.Z{Score: 999, Member: ids[10]}, redis.Z{Score: 998, Member: ids[11]})
	rdb.ZRem(ctx, key, ids[9])
	third, err := list(*second.NextCursor)
	if err != nil || len(third.Items) != 2 || third.Items[0].ID != ids[10] || third.Items[1].ID != ids[11] || third.NextCursor != nil {
		t.Fatalf("page three: %+v, %v", third, err)
	}
}

func TestOrderPageLimitBoundary(t *testing.T) {
	s, _ := mustStore(t)
	a := mustActivity(t, s, 20, 900)
	for i := range 20 {
		mustWin(t, s, a.ID, fmt.Sprintf("u%d", i))
	}
	p, err := s.ActivityOrders(ctx, a.ID, "", mustPageQuery(t, "", 20))
	if err != nil || len(p.Items) != 20 || p.NextCursor != nil {
		t.Fatalf("limit 20 of 20: %d items, cursor %v, %v", len(p.Items), p.NextCursor, err)
	}
	p, err = s.ActivityOrders(ctx, a.ID, "", mustPageQuery(t, "", 19))
	if err != nil || len(p.Items) != 19 || p.NextCursor == nil {
		t.Fatalf("limit 19 of 20: %d items, %v", len(p.Items), err)
	}
	p, err = s.ActivityOrders(ctx, a.ID, "", mustPageQuery(t, *p.NextCursor, 19))
	if err != nil || len(p.Items) != 1 || p.NextCursor != nil {
		t.Fatalf("the rest: %d items, cursor %v, %v", len(p.Items), p.NextCursor, err)
	}
	if p, err := s.UserOrders(ctx, "nobody", mustPageQuery(t, "", 20)); err != nil || p.Items == nil || len(p.Items) != 0 || p.NextCursor != nil {
		t.Fatalf("empty history: %+v, %v", p, err)
	}
	for _, limit := range []int{0, -1, 101} {
		if _, err := s.UserOrders(ctx, "u1", sale.PageQuery{Limit: limit}); err == nil {
			t.Fatalf("limit %d accepted", limit)
		}
	}
}

// A cursor whose order has left the index still pages by its position.
func TestOrderCursorOfMissingOrder(t *testing.T) {
	s, _ := mustStore(t)
	a := mustActivity(t, s, 5, 900)
	o := mustWin(t, s, a.ID, "alice")
	c := base64.RawURLEncoding.EncodeToString([]byte(fmt.Sprintf("%d:%s-ffffffffffffffff", o.CreatedAt.UnixMilli()+1, a.ID)))
	if p, err := s.UserOrders(ctx, "alice", mustPageQuery(t, c, 20)); err != nil || len(p.Items) != 1 || p.Items[0].ID != o.ID {
		t.Fatalf("cursor after a missing order: %+v, %v", p, err)
	}
}

// The status filter sees statuses as they read now: a pending order whose
// window has closed lists as expired before the job records it.
func TestActivityOrdersByStatus(t *testing.T) {
	s, _ := mustStore(t)
	a := mustActivity(t, s, 20, 1)
	var last sale.Order
	want := map[string][]string{}
	for i := range 10 {
		o := mustWin(t, s, a.ID, fmt.Sprintf("u%d", i))
		last = o
		switch {
		case i < 3:
			if _, err := payOrder(s, o.ID); err != nil {
				t.Fatalf("pay: %v", err)
			}
			want[sale.OrderPaid] = append(want[sale.OrderPaid], o.ID)
		case i < 5:
			if _, err := s.CancelOrder(ctx, o.ID, "", true); err != nil {
				t.Fatalf("cancel: %v", err)
			}
			want[sale.OrderCancelled] = append(want[sale.OrderCancelled], o.ID)
		default:
			want[sale.OrderExpired] = append(want[sale.OrderExpired], o.ID)
		}
	}
	waitRedisTime(t, s.Client(), *last.ExpiresAt)
	check := func(when string) {
		for _, status := range []string{sale.OrderPending, sale.OrderPaid, sale.OrderCancelled, sale.OrderExpired} {
			list := func(cursor string) (sale.Page[sale.Order], error) {
				return s.ActivityOrders(ctx, a.ID, status, mustPageQuery(t, cursor, 2))
			}
			got, _ := mustPages(t, list, nil)
			slices.Sort(got)
			w := slices.Clone(want[status])
			slices.Sort(w)
			if !slices.Equal(got, w) {
				t.Fatalf("%s: status %s lists %v, want %v", when, status, got, w)
			}
		}
	}
	check("before the job")
	if r, err := s.ExpireOrders(ctx, redislib.JobOptions{}); err != nil || r.Expired != 5 {
		t.Fatalf("expire: %+v, %v", r, err)
	}
	check("after the job")
	if _, err := s.ActivityOrders(ctx, a.ID, "shipped", mustPageQuery(t, "", 20)); err == nil {
		t.Fatalf("unknown status accepted")
	}
}

// A filtered page reads a bounded number of index entries; when it runs out
// it ends early with a cursor, and the listing still reaches every match.
func TestActivityOrdersScanBudget(t *testing.T) {
	s, _ := mustStore(t)
	const n = 1050
	a := mustActivity(t, s, n, 900)
	oldest := mustWin(t, s, a.ID, "first")
	if _, err := payOrder(s, oldest.ID); err != nil {
		t.Fatalf("pay: %v", err)
	}
	for i := 1; i < n; i++ {
		if r, err := s.Purchase(ctx, a.ID, fmt.Sprintf("u%d", i), sale.Rate{}); err != nil || r.Outcome != sale.OutcomeWon {
			t.Fatalf("purchase %d: %+v, %v", i, r, err)
		}
	}
	list := func(cursor string) (sale.Page[sale.Order], error) {
		return s.ActivityOrders(ctx, a.ID, sale.OrderPaid, mustPageQuery(t, cursor, 20))
	}
	got, sizes := mustPages(t, list, nil)
	if !slices.Equal(got, []string{oldest.ID}) || !slices.Equal(sizes, []int{0, 1}) {
		t.Fatalf("paid orders %v in pages of sizes %v", got, sizes)
	}
	all, _ := mustPages(t, func(c string) (sale.Page[sale.Order], error) {
		return s.ActivityOrders(ctx, a.ID, "", mustPageQuery(t, c, 100))
	}, nil)
	slices.Sort(all)
	if len(all) != n || len(slices.Compact(all)) != n {
		t.Fatalf("unfiltered listing: %d orders, want %d distinct", len(all), n)
	}
}
