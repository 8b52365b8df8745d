package listproducts_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"sync"
	"testing"

	"seckill/functions/listproducts"
	"seckill/functions/server/servertest"
	"seckill/redislib/sale"
)

// mustPage gets one page of products.
func mustPage(t *testing.T, env *servertest.Env, query string) sale.Page[sale.Product] {
	t.Helper()
	resp := env.Do(t, servertest.Request{Method: http.MethodGet, Path: "/products" + query})
	if resp.Status != 200 {
		t.Fatalf("GET /products%s: %d %s", query, resp.Status, resp.Body)
	}
	var p sale.Page[sale.Product]
	resp.Decode(t, &p)
	return p
}

func TestListProductsErrors(t *testing.T) {
	env := servertest.New(t, listproducts.Function)
	tests := []struct {
		name, query string
		wantStatus  int
		wantCode    string
	}{
		{"limit zero", "?limit=0", 400, sale.CodeInvalidLimit},
		{"limit too high", "?limit=101", 400, sale.CodeInvalidLimit},
		{"limit not a number", "?limit=many", 400, sale.CodeInvalidLimit},
		{"cursor garbage", "?cursor=%%%", 400, sale.CodeInvalidCursor},
		{"cursor not ours", "?cursor=" + base64.RawURLEncoding.EncodeToString([]byte("hello")), 400, sale.CodeInvalidCursor},
		{"limit 100", "?limit=100", 200, ""},
		{"empty limit is the default", "?limit=", 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := env.Do(t, servertest.Request{Method: http.MethodGet, Path: "/products" + tt.query})
			if resp.Status != tt.wantStatus || resp.ErrorCode() != tt.wantCode {
				t.Fatalf("status %d code %q, want %d %q: %s", resp.Status, resp.ErrorCode(), tt.wantStatus, tt.wantCode, resp.Body)
			}
		})
	}
}

func TestListProductsEmpty(t *testing.T) {
	env := servertest.New(t, listproducts.Function)
	resp := env.Do(t, servertest.Request{Method: http.MethodGet, Path: "/products"})
	if resp.Status != 200 || string(resp.Body) != `{"items":[],"next_cursor":null}` {
		t.Fatalf("%d %s", resp.Status, resp.Body)
	}
}

// TestListProductsPages walks the listing at several page sizes while
// products are created and deleted: newest first, no product twice, every
// product that existed before the walk and was not deleted is listed, and
// deleted ones never are.
func TestListProductsPages(t *testing.T) {
	env := servertest.New(t, listproducts.Function)
	ctx := context.Background()
	var existing []sale.Product
	for range 45 {
		existing = append(existing, servertest.MustProduct(t, env.Store))
	}
	deleted := map[string]bool{}
	for _, p := range existing[10:15] {
		if _, err := env.Store.DeleteProduct(ctx, p.ID); err != nil {
			t.Fatal(err)
		}
		deleted[p.ID] = true
	}

	first := mustPage(t, env, "")
	if len(first.Items) != sale.DefaultPageLimit || first.NextCursor == nil {
		t.Fatalf("default page: %d items, next %v", len(first.Items), first.NextCursor)
	}

	for _, limit := range []int{1, 4, 20, 100} {
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 30 {
				p := servertest.MustProduct(t, env.Store)
				if i%3 == 0 {
					// Products deleted during the walk may or may not be listed.
					if _, err := env.Store.DeleteProduct(ctx, p.ID); err != nil {
						t.Errorf("delete: %v", err)
					}
				}
			}
		}()
		seen := map[string]bool{}
		var prev *sale.Product
		query := fmt.Sprintf("?limit=%d", limit)
		for {
			page := mustPage(t, env, query)
			if len(page.Items) > limit {
				t.Fatalf("limit %d: page of %d", limit, len(page.Items))
			}
			for _, p := range page.Items {
				if seen[p.ID] {
					t.Fatalf("limit %d: %s listed twice", limit, p.ID)
				}
				if deleted[p.ID] || p.Deleted {
					t.Fatalf("limit %d: deleted product %s listed", limit, p.ID)
				}
				if prev != nil && (p.CreatedAt.After(prev.CreatedAt) || p.CreatedAt.Equal(prev.CreatedAt) && p.ID > prev.ID) {
					t.Fatalf("limit %d: %s (%v) listed after %s (%v): not newest first", limit, p.ID, p.CreatedAt, prev.ID, prev.CreatedAt)
				}
				seen[p.ID] = true
				prev = &p
			}
			if page.NextCursor == nil {
				break
			}
			query = fmt.Sprintf("?limit=%d&cursor=%s", limit, *page.NextCursor)
		}
		wg.Wait()
		for _, p := range existing {
			if !deleted[p.ID] && !seen[p.ID] {
				t.Fatalf("limit %d: product %s existed before the walk and was skipped", limit, p.ID)
			}
		}
	}
}
