package listactivities_test

import (
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"

	"seckill/functions/httpapi"
	"seckill/functions/listactivities"
	"seckill/functions/server/servertest"
	"seckill/redislib/sale"
)

// mustWalk lists every page of GET /activities with the query and returns
// the items in order, checking the page invariants.
func mustWalk(t *testing.T, env *servertest.Env, query string, limit int) []sale.Activity {
	t.Helper()
	var all []sale.Activity
	seen := map[string]bool{}
	q := fmt.Sprintf("?limit=%d%s", limit, query)
	for {
		resp := env.Do(t, servertest.Request{Method: http.MethodGet, Path: "/activities" + q})
		if resp.Status != 200 {
			t.Fatalf("GET /activities%s: %d %s", q, resp.Status, resp.Body)
		}
		var page sale.Page[sale.Activity]
		resp.Decode(t, &page)
		if len(page.Items) > limit {
			t.Fatalf("page of %d, limit %d", len(page.Items), limit)
		}
		for _, a := range page.Items {
			if seen[a.ID] {
				t.Fatalf("%s listed twice", a.ID)
			}
			seen[a.ID] = true
		}
		all = append(all, page.Items...)
		if page.NextCursor == nil {
			return all
		}
		q = fmt.Sprintf("?limit=%d%s&cursor=%s", limit, query, *page.NextCursor)
	}
}

func ids(as []sale.Activity) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.ID
	}
	return out
}

func TestListActivitiesErrors(t *testing.T) {
	env := servertest.New(t, listactivities.Function)
	tests := []struct {
		name, query string
		wantStatus  int
		wantCode    string
	}{
		{"unknown status", "?status=asleep", 400, httpapi.CodeInvalidStatus},
		{"status case matters", "?status=Running", 400, httpapi.CodeInvalidStatus},
		{"limit zero", "?limit=0", 400, sale.CodeInvalidLimit},
		{"limit too high", "?limit=101", 400, sale.CodeInvalidLimit},
		{"cursor garbage", "?cursor=xyz", 400, sale.CodeInvalidCursor},
		{"every status", "?status=running&limit=5", 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := env.Do(t, servertest.Request{Method: http.MethodGet, Path: "/activities" + tt.query})
			if resp.Status != tt.wantStatus || resp.ErrorCode() != tt.wantCode {
				t.Fatalf("status %d code %q, want %d %q: %s", resp.Status, resp.ErrorCode(), tt.wantStatus, tt.wantCode, resp.Body)
			}
		})
	}
}

// TestListActivitiesByStatus makes activities in every status and lists
// each status: exactly its activities, newest first, at any page size.
func TestListActivitiesByStatus(t *testing.T) {
	env := servertest.New(t, listactivities.Function)
	want := map[string][]string{}
	for range 3 {
		// Each status list is kept newest first, the listing order.
		for status, create := range map[string]func() sale.Activity{
			sale.StatusScheduled: func() sale.Activity { return servertest.MustScheduled(t, env.Store, 5) },
			sale.StatusRunning:   func() sale.Activity { return servertest.MustActivity(t, env.Store, 5) },
			sale.StatusSoldOut:   func() sale.Activity { return servertest.MustSoldOut(t, env.Store) },
			sale.StatusEnded:     func() sale.Activity { return servertest.MustEnded(t, env.Store, 5) },
			sale.StatusCancelled: func() sale.Activity { return servertest.MustCancelled(t, env.Store, 5) },
		} {
			want[status] = append([]string{create().ID}, want[status]...)
		}
	}
	all := mustWalk(t, env, "", 4)
	if len(all) != 15 {
		t.Fatalf("unfiltered: %d activities, want 15", len(all))
	}
	for status, wantIDs := range want {
		for _, limit := range []int{1, 2, 100} {
			got := mustWalk(t, env, "&status="+status, limit)
			if !slices.Equal(ids(got), wantIDs) {
				t.Fatalf("status %s, limit %d: %v, want %v", status, limit, ids(got), wantIDs)
			}
			for _, a := range got {
				if a.Status != status {
					t.Fatalf("status %s listed activity %s in status %s", status, a.ID, a.Status)
				}
			}
		}
	}
}

// TestListActivitiesFilteredPagesConcurrentInserts walks the running
// activities while more are created: none twice, none of those that existed
// before the walk skipped, and only running ones listed.
func TestListActivitiesFilteredPagesConcurrentInserts(t *testing.T) {
	env := servertest.New(t, listactivities.Function)
	var running []string
	for i := range 40 {
		if i%2 == 0 {
			servertest.MustScheduled(t, env.Store, 3)
		} else {
			running = append(running, servertest.MustActivity(t, env.Store, 3).ID)
		}
	}
	for _, limit := range []int{1, 3, 25} {
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 20 {
				if i%2 == 0 {
					servertest.MustScheduled(t, env.Store, 3)
				} else {
					servertest.MustActivity(t, env.Store, 3)
				}
			}
		}()
		got := mustWalk(t, env, "&status=running", limit)
		wg.Wait()
		listed := map[string]bool{}
		for _, a := range got {
			if a.Status != sale.StatusRunning {
				t.Fatalf("limit %d: %s is %s", limit, a.ID, a.Status)
			}
			listed[a.ID] = true
		}
		for _, id := range running {
			if !listed[id] {
				t.Fatalf("limit %d: running activity %s existed before the walk and was skipped", limit, id)
			}
		}
	}
}
