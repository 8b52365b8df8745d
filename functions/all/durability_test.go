package all_test

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"seckill/functions/httpapi"
	"seckill/redislib/redistest"
	"seckill/redislib/sale"
)

// TestDurabilityLostUnderLoad is the demonstration of a Redis that stops
// fsyncing every write while a sale runs (CONFIG SET appendfsync no): the
// server sees it within its check interval plus a check's timeout; from then
// on no purchase is answered won, every purchase and every other write
// answers 503 not_durable with Retry-After, /readyz answers 503, the gauge
// says 0 and the log names the node and the setting, while reads go on
// answering. Switched back, purchases win again, and every acknowledged win
// is in Redis.
func TestDurabilityLostUnderLoad(t *testing.T) {
	const interval = time.Second
	bin := mustBuild(t, "./cmd")
	srv := redistest.Start(t)
	p := startServer(t, bin, srv, "DURABILITY_CHECK_INTERVAL="+interval.String(), "LOG_LEVEL=info")
	c := newClient(p.base, 16)
	a := c.mustActivity(t, 1_000_000)
	admin := srv.AdminClient(t)

	var (
		mu       sync.Mutex
		attempts []attempt
		next     atomic.Int64
		stop     = make(chan struct{})
		wg       sync.WaitGroup
	)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				at := c.purchase(a.ID, "u"+strconv.FormatInt(next.Add(1), 10))
				mu.Lock()
				attempts = append(attempts, at)
				mu.Unlock()
			}
		}()
	}
	stopLoad := sync.OnceFunc(func() { close(stop); wg.Wait() })
	t.Cleanup(stopLoad)
	count := func(pred func(attempt) bool) int {
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for _, at := range attempts {
			if pred(at) {
				n++
			}
		}
		return n
	}
	mustPoll(t, func() bool { return count(func(at attempt) bool { return at.outcome == sale.OutcomeWon }) >= 100 },
		"100 wins before the switch")

	if err := admin.ConfigSet(context.Background(), "appendfsync", "no").Err(); err != nil {
		t.Fatal(err)
	}
	switched := time.Now()
	t.Cleanup(func() { admin.ConfigSet(context.Background(), "appendfsync", "always") })
	mustPoll(t, func() bool {
		st, err := c.do("GET", "/readyz", nil, false, nil)
		return err == nil && st == http.StatusServiceUnavailable
	}, "/readyz answers 503 after appendfsync no")
	observed := time.Now()
	// The watcher checks every interval; one check takes at most
	// REQUEST_TIMEOUT (2 s), which a loaded test machine may come close to.
	if bound := interval + 2*time.Second; observed.Sub(switched) > bound {
		t.Errorf("not durable seen %s after the switch, want within %s", observed.Sub(switched), bound)
	}
	t.Logf("appendfsync no seen after %s", observed.Sub(switched).Round(time.Millisecond))
	mustPoll(t, func() bool {
		return count(func(at attempt) bool { return at.start.After(observed) && at.code == httpapi.CodeNotDurable }) >= 200
	}, "200 purchases refused after the switch was seen")

	// Every write is refused, with Retry-After; reads answer.
	req, _ := http.NewRequest("POST", p.base+"/products", strings.NewReader(`{"name":"x","price":1}`))
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(body), `"not_durable"`) || resp.Header.Get("Retry-After") == "" {
		t.Errorf("POST /products while not durable: %d %s, Retry-After %q; want 503 not_durable with Retry-After",
			resp.StatusCode, body, resp.Header.Get("Retry-After"))
	}
	var got sale.Activity
	if st, err := c.do("GET", "/activities/"+a.ID, nil, false, &got); err != nil || st != http.StatusOK {
		t.Errorf("GET activity while not durable: %d %v, want 200", st, err)
	}
	if m := metricsText(t, c); !strings.Contains(m, "\nseckill_redis_durable 0\n") || !strings.Contains(m, "seckill_redis_used_memory_bytes{node=") ||
		!strings.Contains(m, "seckill_redis_maxmemory_bytes{node=") {
		t.Errorf("metrics while not durable lack seckill_redis_durable 0 or the memory gauges:\n%s", grepLines(m, "seckill_redis_"))
	}
	if logs := p.logs.String(); !strings.Contains(logs, "redis is not durable") || !strings.Contains(logs, srv.Addr) ||
		!strings.Contains(logs, `appendfsync=\"no\"`) {
		t.Errorf("no error log naming the node and the setting:\n%s", logs)
	}

	switchedBack := time.Now()
	if err := admin.ConfigSet(context.Background(), "appendfsync", "always").Err(); err != nil {
		t.Fatal(err)
	}
	mustPoll(t, func() bool {
		st, err := c.do("GET", "/readyz", nil, false, nil)
		return err == nil && st == http.StatusOK
	}, "/readyz answers 200 after appendfsync always")
	restored := time.Now()
	mustPoll(t, func() bool {
		return count(func(at attempt) bool { return at.start.After(restored) && at.outcome == sale.OutcomeWon }) >= 50
	}, "50 wins after the switch back")
	stopLoad()

	if m := metricsText(t, c); !strings.Contains(m, "\nseckill_redis_durable 1\n") {
		t.Errorf("metrics after the switch back lack seckill_redis_durable 1:\n%s", grepLines(m, "seckill_redis_"))
	}
	held := holdings(t, admin, a.ID)
	for _, at := range attempts {
		switch {
		case at.start.After(observed) && at.start.Before(switchedBack) && at.code != httpapi.CodeNotDurable:
			t.Errorf("%s sent after not durable was seen was answered %s, want 503 not_durable", at.user, kindOf(at))
		case at.outcome == sale.OutcomeWon && held[at.user] != at.order:
			t.Errorf("%s was answered won with %s; Redis holds %q", at.user, at.order, held[at.user])
		}
	}
}

// TestReadinessThroughRedisBlip: readiness is not about Redis once the
// server has verified it at start. With Redis down, /readyz and /livez still
// answer 200 (so the load balancer keeps every instance), and the handlers
// answer 503 store_unavailable themselves; with Redis back, purchases win
// with no instance having been taken out of service.
func TestReadinessThroughRedisBlip(t *testing.T) {
	bin := mustBuild(t, "./cmd")
	srv := redistest.Start(t)
	p := startServer(t, bin, srv)
	c := newClient(p.base, 4)
	a := c.mustActivity(t, 10)
	srv.Kill()
	if at := c.purchase(a.ID, "blip"); at.status != http.StatusServiceUnavailable || at.code != sale.CodeStoreUnavailable {
		t.Fatalf("purchase with Redis down: %s, want 503 store_unavailable", kindOf(at))
	}
	for _, path := range []string{"/readyz", "/livez"} {
		if st, err := c.do("GET", path, nil, false, nil); err != nil || st != http.StatusOK {
			t.Errorf("GET %s with Redis down: %d %v, want 200", path, st, err)
		}
	}
	srv.Restart()
	mustPoll(t, func() bool { return c.purchase(a.ID, "blip").outcome == sale.OutcomeWon }, "purchase wins once Redis is back")
}

// metricsText returns the server's /metrics.
func metricsText(t *testing.T, c *client) string {
	t.Helper()
	resp, err := c.http.Get(c.base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}
