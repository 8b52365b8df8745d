package redislib_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"

	"seckill/redislib"
	"seckill/redislib/sale"
)

// mustZAdd adds members with the given scores to key.
func mustZAdd(t *testing.T, rdb redis.UniversalClient, key string, zs ...redis.Z) {
	t.Helper()
	if err := rdb.ZAdd(context.Background(), key, zs...).Err(); err != nil {
		t.Fatalf("zadd: %v", err)
	}
}

// mustWalk pages through key with the given limit and returns every member
// in the order listed, failing on an empty page that is not the last.
func mustWalk(t *testing.T, store *redislib.Store, key string, limit int, between func(page int)) []string {
	t.Helper()
	var all []string
	q := sale.PageQuery{Limit: limit}
	for page := 0; ; page++ {
		p, err := store.PageIDs(context.Background(), key, q)
		if err != nil {
			t.Fatalf("page %d: %v", page, err)
		}
		if len(p.IDs) > limit {
			t.Fatalf("page %d has %d members, limit %d", page, len(p.IDs), limit)
		}
		all = append(all, p.IDs...)
		if p.Next == nil {
			return all
		}
		if len(p.IDs) == 0 {
			t.Fatalf("page %d is empty but has a next cursor", page)
		}
		if between != nil {
			between(page)
		}
		q = mustPageQuery(t, *p.Next, limit)
	}
}

// zrevAll is the full listing order of key as Redis sorts it.
func zrevAll(t *testing.T, rdb redis.UniversalClient, key string) []string {
	t.Helper()
	all, err := rdb.ZRevRange(context.Background(), key, 0, -1).Result()
	if err != nil {
		t.Fatalf("zrevrange: %v", err)
	}
	return all
}

// TestPageIDsWalksEveryMemberOnce lists a ZSET with many tied scores at
// every page size and expects exactly the ZREVRANGE order.
func TestPageIDsWalksEveryMemberOnce(t *testing.T) {
	srv := start(t)
	store, rdb := srv.Store(t), srv.AdminClient(t)
	const key = "sk:{test}:page:ties"
	var zs []redis.Z
	for i := range 57 {
		// 57 members on 6 scores: long runs of ties cross page boundaries.
		zs = append(zs, redis.Z{Score: float64(1_700_000_000_000 + i%6), Member: fmt.Sprintf("m%02d", i)})
	}
	mustZAdd(t, rdb, key, zs...)
	want := zrevAll(t, rdb, key)
	for limit := 1; limit <= 60; limit++ {
		if got := mustWalk(t, store, key, limit, nil); !slices.Equal(got, want) {
			t.Fatalf("limit %d: walked %v, want %v", limit, got, want)
		}
	}
	// The last page ends exactly at the last member: no empty page after it.
	p, err := store.PageIDs(context.Background(), key, sale.PageQuery{Limit: 57})
	if err != nil || len(p.IDs) != 57 || p.Next != nil {
		t.Fatalf("one full page: %d members, next %v, err %v", len(p.IDs), p.Next, err)
	}
	empty, err := store.PageIDs(context.Background(), "sk:{test}:page:none", sale.PageQuery{Limit: 10})
	if err != nil || len(empty.IDs) != 0 || empty.Next != nil {
		t.Fatalf("empty ZSET: %+v, %v", empty, err)
	}
}

// TestPageIDsCursorMemberRemoved removes the member a cursor points at (a
// deleted product, say) before the next page, for every position, with ties.
func TestPageIDsCursorMemberRemoved(t *testing.T) {
	srv := start(t)
	store, rdb := srv.Store(t), srv.AdminClient(t)
	ctx := context.Background()
	for _, limit := range []int{1, 2, 3, 5} {
		for removeAfterPage := 0; removeAfterPage < 8; removeAfterPage++ {
			key := fmt.Sprintf("sk:{test}:page:removed:%d:%d", limit, removeAfterPage)
			var zs []redis.Z
			for i := range 20 {
				// Members with byte orders that a locale-aware compare would
				// get wrong: upper case, underscore and digits.
				zs = append(zs, redis.Z{Score: float64(1000 + i/7), Member: fmt.Sprintf("%c_%d", "aBc_Z9"[i%6], i)})
			}
			mustZAdd(t, rdb, key, zs...)
			want := zrevAll(t, rdb, key)
			var removed string
			q := sale.PageQuery{Limit: limit}
			var got []string
			for page := 0; ; page++ {
				p, err := store.PageIDs(ctx, key, q)
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, p.IDs...)
				if p.Next == nil {
					break
				}
				if page == removeAfterPage {
					removed = p.IDs[len(p.IDs)-1]
					rdb.ZRem(ctx, key, removed)
				}
				q = mustPageQuery(t, *p.Next, limit)
			}
			if !slices.Equal(got, want) {
				t.Fatalf("limit %d, removed %q after page %d: walked %v, want %v", limit, removed, removeAfterPage, got, want)
			}
		}
	}
}

// TestPageIDsConcurrentInserts pages while other goroutines insert members
// at random scores, ties included: no member is listed twice and every
// member that existed before the walk started is listed.
func TestPageIDsConcurrentInserts(t *testing.T) {
	srv := start(t)
	store, rdb := srv.Store(t), srv.AdminClient(t)
	ctx := context.Background()
	const key = "sk:{test}:page:concurrent"
	var before []redis.Z
	for i := range 500 {
		before = append(before, redis.Z{Score: float64(rand.IntN(100)), Member: fmt.Sprintf("old%04d", i)})
	}
	mustZAdd(t, rdb, key, before...)

	insert := func(m string) {
		if err := rdb.ZAdd(ctx, key, redis.Z{Score: float64(rand.IntN(110)), Member: m}).Err(); err != nil {
			t.Errorf("zadd: %v", err)
		}
	}
	for _, limit := range []int{3, 7, 50} {
		// Inserters race the walk; each page boundary also gets an insert of
		// its own, so inserts certainly interleave with the pages.
		var wg sync.WaitGroup
		for w := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range 300 {
					insert(fmt.Sprintf("new%d_%d_%04d", limit, w, i))
				}
			}()
		}
		seen := map[string]bool{}
		walked := mustWalk(t, store, key, limit, func(page int) { insert(fmt.Sprintf("between%d_%04d", limit, page)) })
		wg.Wait()
		for _, m := range walked {
			if seen[m] {
				t.Fatalf("limit %d: %s listed twice", limit, m)
			}
			seen[m] = true
		}
		for _, z := range before {
			if !seen[z.Member.(string)] {
				t.Fatalf("limit %d: %s existed before the walk and was skipped", limit, z.Member)
			}
		}
	}
}

// TestListPageFilterScansInBoundedSteps filters a listing where few entries
// match: pages may be short, even empty, while a cursor follows, and the walk
// lists each match exactly once, in order.
func TestListPageFilterScansInBoundedSteps(t *testing.T) {
	srv := start(t)
	store, rdb := srv.Store(t), srv.AdminClient(t)
	ctx := context.Background()
	const key = "sk:{test}:page:filter"
	const n = 2*redislib.MaxPageScan + 345
	var zs []redis.Z
	for i := range n {
		zs = append(zs, redis.Z{Score: float64(i / 3), Member: fmt.Sprintf("m%05d", i)})
	}
	mustZAdd(t, rdb, key, zs...)
	all := zrevAll(t, rdb, key)
	match := func(m string) bool { return m[len(m)-1] == '7' && m[len(m)-2] == '7' } // 1 in 100
	var want []string
	for _, m := range all {
		if match(m) {
			want = append(want, m)
		}
	}
	load := func(_ context.Context, ids []string) (map[string]string, error) {
		out := map[string]string{}
		for _, id := range ids {
			out[id] = id
		}
		return out, nil
	}
	for _, limit := range []int{1, 3, 100} {
		var got []string
		q := sale.PageQuery{Limit: limit}
		pages := 0
		for {
			p, err := redislib.ListPage(ctx, store, key, q, load, match)
			if err != nil {
				t.Fatal(err)
			}
			pages++
			if len(p.Items) > limit {
				t.Fatalf("page of %d items, limit %d", len(p.Items), limit)
			}
			got = append(got, p.Items...)
			if p.NextCursor == nil {
				break
			}
			q = mustPageQuery(t, *p.NextCursor, limit)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("limit %d: got %d matches, want %d", limit, len(got), len(want))
		}
		// With limit 100 the matches fit in one page, but one page examines at
		// most MaxPageScan entries, so the walk takes three.
		if limit == 100 && pages != 3 {
			t.Fatalf("limit 100: %d pages, want 3 (bounded scans)", pages)
		}
	}
	// Loader results missing (deleted items) are left out without a filter.
	sparse := func(_ context.Context, ids []string) (map[string]string, error) {
		out := map[string]string{}
		for _, id := range ids {
			if match(id) {
				out[id] = id
			}
		}
		return out, nil
	}
	p, err := redislib.ListPage(ctx, store, key, sale.PageQuery{Limit: 5}, sparse, nil)
	if err != nil || !slices.Equal(p.Items, want[:5]) || p.NextCursor == nil {
		t.Fatalf("unfiltered page over missing items: %+v, %v; want %v", p, err, want[:5])
	}
}
