package all_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"seckill/functions/all"
	"seckill/functions/httpapi"
	"seckill/functions/server"
	"seckill/functions/server/servertest"
	"seckill/redislib"
	"seckill/redislib/redistest"
	"seckill/redislib/sale"
)

// sysEnv is every function served over real HTTP in this process, with its
// own Redis client, so a test can read the pool's statistics, and an admin
// client for what the functions never run (KEYS, DUMP, LATENCY).
type sysEnv struct {
	base  string
	rdb   redis.UniversalClient
	admin redis.UniversalClient
	store *redislib.Store
	cfg   server.Config
}

// serveWith serves every function on a free port with the test
// configuration changed by configure and a Redis client from rcfg.
func serveWith(t *testing.T, srv *redistest.Server, rcfg redislib.Config, configure func(*server.Config)) *sysEnv {
	t.Helper()
	rdb, err := redislib.NewClient(rcfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rdb.Close() })
	cfg := server.TestConfig(servertest.AdminToken)
	if configure != nil {
		configure(&cfg)
	}
	store := redislib.NewStore(rdb)
	base := servertest.Listen(t, server.Deps{Store: store, Log: servertest.Logger(), Config: cfg}, all.Functions...)
	return &sysEnv{base: base, rdb: rdb, admin: srv.AdminClient(t), store: store, cfg: cfg}
}

// attempt is one purchase request and what it was answered.
type attempt struct {
	user    string
	status  int
	code    string
	outcome sale.Outcome
	order   string
	start   time.Time
	took    time.Duration
	err     error
}

// purchase sends one purchase over HTTP and records the answer.
func (c *client) purchase(activityID, user string) attempt {
	var body struct {
		sale.PurchaseResult
		Error httpapi.ErrorDetail `json:"error"`
	}
	start := time.Now()
	st, err := c.do("POST", "/activities/"+activityID+"/purchase", map[string]string{"user_id": user}, false, &body)
	return attempt{user: user, status: st, code: body.Error.Code, outcome: body.Outcome, order: body.OrderID, start: start, took: time.Since(start), err: err}
}

// holdings reads an activity's state straight from Redis and checks its
// invariants (see checkHoldings); it returns user -> order.
func holdings(t *testing.T, rdb redis.UniversalClient, activityID string) map[string]string {
	t.Helper()
	h, err := checkHoldings(rdb, activityID)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// checkHoldings reads an activity's state and checks its invariants:
// remaining + pending + paid == stock, one buyer entry per order, every
// order's user is its buyer, no user holds two orders, remaining + live
// orders == stock. It returns user -> order.
func checkHoldings(rdb redis.UniversalClient, activityID string) (map[string]string, error) {
	ctx := context.Background()
	// One atomic read of the activity, its stock, buyers, orders and pending
	// orders.
	var metaCmd *redis.MapStringStringCmd
	var stockCmd *redis.StringCmd
	var buyersCmd *redis.MapStringStringCmd
	var ordersCmd *redis.StringSliceCmd
	var pendingCmd *redis.IntCmd
	if _, err := rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		metaCmd = p.HGetAll(ctx, redistest.ActivityKey(activityID))
		stockCmd = p.Get(ctx, redistest.StockKey(activityID))
		buyersCmd = p.HGetAll(ctx, redistest.BuyersKey(activityID))
		ordersCmd = p.ZRange(ctx, redistest.OrdersIndexKey(activityID), 0, -1)
		pendingCmd = p.ZCard(ctx, redistest.PendingKey(activityID))
		return nil
	}); err != nil {
		return nil, err
	}
	meta := metaCmd.Val()
	n := func(field string) int64 { v, _ := strconv.ParseInt(meta[field], 10, 64); return v }
	remaining, err := stockCmd.Int64()
	if err != nil {
		return nil, err
	}
	pending := pendingCmd.Val()
	if remaining < 0 || remaining+pending+n("paid") != n("stock") {
		return nil, fmt.Errorf("activity %s: remaining %d + pending %d + paid %d != stock %d", activityID, remaining, pending, n("paid"), n("stock"))
	}
	buyers, orders := buyersCmd.Val(), ordersCmd.Val()
	if len(orders) != len(buyers) || int64(len(orders)) != pending+n("paid")+n("cancelled")+n("expired") {
		return nil, fmt.Errorf("activity %s: %d orders, %d buyers, %d pending, counters %v", activityID, len(orders), len(buyers), pending, meta)
	}
	live := int64(0)
	owner := map[string]string{}
	for _, id := range orders {
		o, err := rdb.HGetAll(ctx, redistest.OrderKey(activityID, id)).Result()
		if err != nil || len(o) == 0 {
			return nil, fmt.Errorf("order %s of the index has no record (%v)", id, err)
		}
		if prev, dup := owner[o["user_id"]]; dup {
			return nil, fmt.Errorf("user %s holds two orders: %s and %s", o["user_id"], prev, id)
		}
		owner[o["user_id"]] = id
		if buyers[o["user_id"]] != id {
			return nil, fmt.Errorf("order %s belongs to %s, whose buyer entry is %q", id, o["user_id"], buyers[o["user_id"]])
		}
		if o["status"] == "pending" || o["status"] == "paid" {
			live++
		}
	}
	if remaining+live != n("stock") {
		return nil, fmt.Errorf("activity %s: remaining %d + live orders %d != stock %d", activityID, remaining, live, n("stock"))
	}
	return buyers, nil
}

// keyDump returns every key in Redis with its serialized value and TTL, to
// compare the whole dataset before and after.
func keyDump(t *testing.T, rdb redis.UniversalClient) map[string]string {
	t.Helper()
	ctx := context.Background()
	keys, err := rdb.Keys(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	dump := make(map[string]string, len(keys))
	for _, k := range keys {
		v, err := rdb.Dump(ctx, k).Result()
		if err != nil {
			t.Fatalf("DUMP %s: %v", k, err)
		}
		dump[k] = v
	}
	return dump
}

func mustSameDump(t *testing.T, before, after map[string]string) {
	t.Helper()
	for k, v := range after {
		if old, ok := before[k]; !ok {
			t.Errorf("key %s was written", k)
		} else if old != v {
			t.Errorf("key %s was changed", k)
		}
	}
	for k := range before {
		if _, ok := after[k]; !ok {
			t.Errorf("key %s was deleted", k)
		}
	}
}

// counter counts answers by kind, safe for concurrent use.
type counter struct {
	mu sync.Mutex
	m  map[string]int
}

func (c *counter) add(kind string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]int{}
	}
	c.m[kind]++
}

func (c *counter) get(kind string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[kind]
}

func (c *counter) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var parts []string
	for k, v := range c.m {
		parts = append(parts, k+"="+strconv.Itoa(v))
	}
	return strings.Join(parts, " ")
}

// idleConns closes the client's idle keep-alive connections, so they do not
// count as the server's.
func (c *client) idleConns() { c.http.Transport.(*http.Transport).CloseIdleConnections() }

// doAuth is do with the given Authorization header (none when empty).
func (c *client) doAuth(method, path string, body any, authorization string, out any) (int, error) {
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, r)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, err
	}
	if out != nil && len(b) > 0 && resp.StatusCode < 300 {
		if err := json.Unmarshal(b, out); err != nil {
			return resp.StatusCode, fmt.Errorf("decode %q: %w", b, err)
		}
	}
	return resp.StatusCode, nil
}
