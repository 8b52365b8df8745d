package server_test

import (
	"testing"

	"seckill/functions/createproduct"
	"seckill/functions/getactivity"
	"seckill/functions/purchase"
	"seckill/functions/server/servertest"
	"seckill/functions/telemetry"
)

func TestMetricsCountRequestsByRouteStatusOutcomeAndCode(t *testing.T) {
	a := mustApp(t, nil, purchase.Function, getactivity.Function, createproduct.Function)
	act := servertest.MustActivity(t, a.store, 1)
	buy := "/activities/" + act.ID + "/purchase"
	steps := []struct {
		req  servertest.Request
		want int
	}{
		{servertest.Request{Method: "POST", Path: buy, Body: map[string]string{"user_id": "alice"}}, 200},    // won
		{servertest.Request{Method: "POST", Path: buy, Body: map[string]string{"user_id": "alice"}}, 200},    // already_won
		{servertest.Request{Method: "POST", Path: buy, Body: map[string]string{"user_id": "bob"}}, 200},      // sold_out
		{servertest.Request{Method: "POST", Path: buy, Body: `{"user_id":`}, 400},                            // malformed_json
		{servertest.Request{Method: "GET", Path: "/activities/nosuch"}, 404},                                 // activity_not_found
		{servertest.Request{Method: "GET", Path: "/activities/" + act.ID}, 200},                              //
		{servertest.Request{Method: "GET", Path: "/no/such/route"}, 404},                                     // not_found, unmatched
		{servertest.Request{Method: "POST", Path: "/products", Body: map[string]any{"name": "x"}}, 401},      // unauthorized
		{servertest.Request{Method: "GET", Path: "/activities/" + act.ID, Header: map[string]string{}}, 200}, //
	}
	for i, s := range steps {
		if got := a.do(t, s.req); got.Status != s.want {
			t.Fatalf("step %d %s %s: status %d, want %d: %s", i, s.req.Method, s.req.Path, got.Status, s.want, got.Body)
		}
	}

	mfs := mustScrape(t, a.app)
	const reqs, dur = "seckill_http_requests_total", "seckill_http_request_duration_seconds"
	route := "/activities/:id/purchase"
	mustMetric(t, mfs, reqs, map[string]string{"route": route, "method": "POST", "status": "200"}, 3)
	mustMetric(t, mfs, reqs, map[string]string{"route": route, "method": "POST", "status": "400"}, 1)
	mustMetric(t, mfs, reqs, map[string]string{"route": "/activities/:id", "method": "GET", "status": "200"}, 2)
	mustMetric(t, mfs, reqs, map[string]string{"route": "/activities/:id", "method": "GET", "status": "404"}, 1)
	mustMetric(t, mfs, reqs, map[string]string{"route": "unmatched", "method": "GET", "status": "404"}, 1)
	mustMetric(t, mfs, reqs, map[string]string{"route": "/products", "method": "POST", "status": "401"}, 1)
	mustMetric(t, mfs, dur, map[string]string{"route": route, "method": "POST", "status": "200"}, 3)
	mustMetric(t, mfs, dur, map[string]string{"route": "/activities/:id", "method": "GET", "status": "200"}, 2)
	if _, ok := metricValue(mfs, reqs, map[string]string{"route": "/no/such/route", "method": "GET", "status": "404"}); ok {
		t.Fatal("a raw unmatched path became a route label")
	}

	const outcomes = "seckill_outcomes_total"
	mustMetric(t, mfs, outcomes, map[string]string{"route": route, "outcome": "won"}, 1)
	mustMetric(t, mfs, outcomes, map[string]string{"route": route, "outcome": "already_won"}, 1)
	mustMetric(t, mfs, outcomes, map[string]string{"route": route, "outcome": "sold_out"}, 1)
	if n := len(mfs[outcomes].GetMetric()); n != 3 {
		t.Fatalf("%s has %d series, want 3", outcomes, n)
	}

	const errs = "seckill_errors_total"
	mustMetric(t, mfs, errs, map[string]string{"route": route, "code": "malformed_json"}, 1)
	mustMetric(t, mfs, errs, map[string]string{"route": "/activities/:id", "code": "activity_not_found"}, 1)
	mustMetric(t, mfs, errs, map[string]string{"route": "unmatched", "code": "not_found"}, 1)
	mustMetric(t, mfs, errs, map[string]string{"route": "/products", "code": "unauthorized"}, 1)
	if n := len(mfs[errs].GetMetric()); n != 4 {
		t.Fatalf("%s has %d series, want 4", errs, n)
	}

	// The scrape itself was counted after it was answered: a second scrape sees it.
	mfs = mustScrape(t, a.app)
	mustMetric(t, mfs, reqs, map[string]string{"route": "/metrics", "method": "GET", "status": "200"}, 1)
}

func TestMetricsRedisPoolAndRuntime(t *testing.T) {
	a := mustApp(t, nil, getactivity.Function)
	act := servertest.MustActivity(t, a.store, 5)
	for i := 0; i < 3; i++ {
		if r := a.do(t, servertest.Request{Method: "GET", Path: "/activities/" + act.ID}); r.Status != 200 {
			t.Fatalf("get activity: %d %s", r.Status, r.Body)
		}
	}
	mfs := mustScrape(t, a.app)
	stats := telemetry.PoolTotals(a.store.PoolStats())
	// The scrape reads the pool when asked; nothing used Redis in between.
	mustMetric(t, mfs, "seckill_redis_pool_hits_total", nil, float64(stats.Hits))
	mustMetric(t, mfs, "seckill_redis_pool_misses_total", nil, float64(stats.Misses))
	mustMetric(t, mfs, "seckill_redis_pool_connections", nil, float64(stats.TotalConns))
	mustMetric(t, mfs, "seckill_redis_pool_idle_connections", nil, float64(stats.IdleConns))
	mustMetric(t, mfs, "seckill_redis_pool_timeouts_total", nil, 0)
	if stats.Hits+stats.Misses < 4 || stats.TotalConns < 1 {
		t.Fatalf("pool stats do not show the requests: %+v", stats)
	}
	for _, name := range []string{"go_goroutines", "go_memstats_heap_alloc_bytes", "process_resident_memory_bytes", "process_open_fds"} {
		if mfs[name] == nil {
			t.Errorf("runtime metric %s missing", name)
		}
	}
}

func TestMetricsCountStoreUnavailable(t *testing.T) {
	a := mustApp(t, nil, getactivity.Function)
	a.redis.Kill()
	r := a.do(t, servertest.Request{Method: "GET", Path: "/activities/abc"})
	if r.Status != 503 || r.ErrorCode() != "store_unavailable" {
		t.Fatalf("with Redis down: %d %s", r.Status, r.Body)
	}
	mfs := mustScrape(t, a.app)
	mustMetric(t, mfs, "seckill_errors_total", map[string]string{"route": "/activities/:id", "code": "store_unavailable"}, 1)
	mustMetric(t, mfs, "seckill_http_requests_total", map[string]string{"route": "/activities/:id", "method": "GET", "status": "503"}, 1)
}

func TestMetricsRegistryIsPerApp(t *testing.T) {
	a := mustApp(t, nil, getactivity.Function)
	b := mustApp(t, nil, getactivity.Function)
	for i := 0; i < 2; i++ {
		a.do(t, servertest.Request{Method: "GET", Path: "/activities/nosuch"})
	}
	mustMetric(t, mustScrape(t, a.app), "seckill_http_requests_total",
		map[string]string{"route": "/activities/:id", "method": "GET", "status": "404"}, 2)
	if _, ok := metricValue(mustScrape(t, b.app), "seckill_http_requests_total",
		map[string]string{"route": "/activities/:id", "method": "GET", "status": "404"}); ok {
		t.Fatal("app b counted app a's requests")
	}
}
