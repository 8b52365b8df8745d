package deploytest

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"seckill/functions/server/servertest"
	"seckill/redislib/redistest"
	"seckill/redislib/sale"
)

// pauseWrites holds every write command (the purchase script included) on
// the Redis server until unpause, so that requests stay in flight for as long
// as the test needs; it returns unpause.
func pauseWrites(t *testing.T, rdb *redis.Client) (unpause func()) {
	t.Helper()
	ctx := context.Background()
	if err := rdb.Do(ctx, "CLIENT", "PAUSE", 60_000, "WRITE").Err(); err != nil {
		t.Fatalf("CLIENT PAUSE: %v", err)
	}
	var once sync.Once
	unpause = func() {
		once.Do(func() {
			if err := rdb.Do(ctx, "CLIENT", "UNPAUSE").Err(); err != nil {
				t.Errorf("CLIENT UNPAUSE: %v", err)
			}
		})
	}
	t.Cleanup(unpause)
	return unpause
}

// blockedClients returns how many clients Redis holds (paused commands).
func blockedClients(t *testing.T, rdb *redis.Client) int {
	t.Helper()
	info, err := rdb.Info(context.Background(), "clients").Result()
	if err != nil {
		t.Fatalf("INFO clients: %v", err)
	}
	for _, line := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, "blocked_clients:"); ok {
			n, _ := strconv.Atoi(v)
			return n
		}
	}
	t.Fatalf("INFO clients has no blocked_clients: %q", info)
	return 0
}

// waitFor polls cond until it holds, failing after limit.
func waitFor(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", limit, what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// purchaseAnswer is one client's view of one purchase request.
type purchaseAnswer struct {
	User    string
	Status  int
	Outcome string
	OrderID string
	Err     error
}

// burst sends one purchase per user, all at once, each on its own
// connection, and returns a channel that yields every answer and a counter
// of the requests written out in full.
func burst(base, activityID string, users int) (<-chan purchaseAnswer, *atomic.Int64) {
	client := &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	out := make(chan purchaseAnswer, users)
	written := new(atomic.Int64)
	trace := &httptrace.ClientTrace{WroteRequest: func(httptrace.WroteRequestInfo) { written.Add(1) }}
	var wg sync.WaitGroup
	for i := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a := purchaseAnswer{User: fmt.Sprintf("user-%04d", i)}
			got, err := sendTraced(client, trace, base+"/activities/"+activityID+"/purchase", `{"user_id":"`+a.User+`"}`)
			a.Status, a.Err = got.Status, err
			if err == nil {
				var res sale.PurchaseResult
				if jerr := jsonUnmarshal(got.Body, &res); jerr != nil {
					a.Err = fmt.Errorf("%d %s: %v", got.Status, got.Body, jerr)
				}
				a.Outcome, a.OrderID = string(res.Outcome), res.OrderID
			}
			out <- a
		}()
	}
	go func() { wg.Wait(); close(out) }()
	return out, written
}

// sendTraced POSTs body to url with trace hooks.
func sendTraced(client *http.Client, trace *httptrace.ClientTrace, url, body string) (reply, error) {
	req, err := http.NewRequestWithContext(httptrace.WithClientTrace(context.Background(), trace), http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		return reply{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return reply{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return reply{Status: resp.StatusCode, Body: b}, err
}

// burstHeld reports whether a burst of users purchases is held inside the
// process: every request has been written out, the process has read every
// byte that reached its port (no socket of it has unread data), and Redis
// holds at least one purchase. The process sends concurrent purchases to
// Redis together on a few connections, so the others wait in the process, not
// as blocked Redis clients.
func burstHeld(t *testing.T, port int, rdb *redis.Client, written *atomic.Int64, users int) bool {
	t.Helper()
	return written.Load() == int64(users) && unreadSockets(t, port) == 0 && blockedClients(t, rdb) >= 1
}

// unreadSockets counts the established TCP sockets on local port port with
// received data the process has not read yet (Linux /proc/net/tcp{,6}).
func unreadSockets(t *testing.T, port int) int {
	t.Helper()
	n := 0
	for _, f := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		b, err := os.ReadFile(f)
		if err != nil {
			if f == "/proc/net/tcp" {
				t.Fatalf("read %s: %v", f, err)
			}
			continue
		}
		for _, line := range strings.Split(string(b), "\n")[1:] {
			fields := strings.Fields(line)
			if len(fields) < 5 || fields[3] != "01" { // 01: ESTABLISHED
				continue
			}
			local, queues := fields[1], fields[4] // "ADDR:PORT" and "TX:RX", hex
			if p, err := strconv.ParseInt(local[strings.LastIndexByte(local, ':')+1:], 16, 32); err != nil || int(p) != port {
				continue
			}
			if rx, err := strconv.ParseInt(queues[strings.IndexByte(queues, ':')+1:], 16, 64); err == nil && rx > 0 {
				n++
			}
		}
	}
	return n
}

// TestSIGTERMDrainsPurchasesInFlight runs the purchase binary, holds a burst
// of purchases inside it (Redis writes paused, so every request has been
// read and waits on the store), sends SIGTERM, and checks: the process stops
// accepting connections while the burst is still in flight; once Redis goes
// on, every request of the burst is answered 200 with no client error; every
// answered "won" is in Redis with its order and the stock is exact; the
// process closes its Redis pool and exits 0.
func TestSIGTERMDrainsPurchasesInFlight(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the purchase binary: not in -short mode")
	}
	const stock, users = 50, 200
	srv := redistest.Start(t)
	store := srv.Store(t)
	rdb := srv.AdminClient(t) // CLIENT PAUSE: not a command of the functions
	act := servertest.MustActivity(t, store, stock)

	p := startBinary(t, buildBinary(t, "purchase"), srv.Addr,
		"REDIS_POOL_SIZE="+strconv.Itoa(users+10), "REDIS_TIMEOUT=30s", "REQUEST_TIMEOUT=30s", "SHUTDOWN_TIMEOUT=30s")
	p.waitReady(t)

	unpause := pauseWrites(t, rdb)
	answers, written := burst(p.Base, act.ID, users)
	waitFor(t, 30*time.Second, "every purchase to be held in the process", func() bool { return burstHeld(t, p.Port, rdb, written, users) })

	p.signal(t, syscall.SIGTERM)
	waitFor(t, 10*time.Second, "the process to stop accepting connections", func() bool { return !p.acceptsConnections() })
	if p.exited() {
		t.Fatal("the process exited with requests in flight")
	}
	if n := blockedClients(t, rdb); n < 1 {
		t.Fatalf("no purchase held in Redis when the listener closed")
	}
	unpause()

	won := map[string]string{}
	outcomes := map[string]int{}
	var failed []string
	for a := range answers {
		if a.Err != nil || a.Status != http.StatusOK {
			failed = append(failed, fmt.Sprintf("%s: %d %v", a.User, a.Status, a.Err))
			continue
		}
		outcomes[a.Outcome]++
		if a.Outcome == string(sale.OutcomeWon) {
			won[a.User] = a.OrderID
		}
	}
	if len(failed) > 0 {
		t.Errorf("%d of %d in-flight purchases failed across SIGTERM, e.g. %v", len(failed), users, failed[:min(5, len(failed))])
	}
	t.Logf("outcomes: %v", outcomes)
	if len(won) != stock || outcomes[string(sale.OutcomeSoldOut)] != users-stock {
		t.Errorf("outcomes %v, want %d won and %d sold_out", outcomes, stock, users-stock)
	}

	if code := p.wait(t, 30*time.Second); code != 0 {
		t.Errorf("exit code %d after SIGTERM, want 0", code)
	}
	shut, closed := p.logIndex("shutting down"), p.logIndex("redis pool closed")
	if shut < 0 || closed < shut {
		t.Errorf("log has no \"redis pool closed\" after \"shutting down\" (lines %d, %d)", shut, closed)
	}

	// Nothing answered is lost: each win is the user's order in Redis.
	ctx := context.Background()
	for user, orderID := range won {
		held, err := store.OrderOf(ctx, act.ID, user)
		if err != nil || held != orderID {
			t.Errorf("%s won %s, Redis holds %q (%v)", user, orderID, held, err)
		}
		if n, err := rdb.Exists(ctx, redistest.OrderKey(act.ID, orderID)).Result(); err != nil || n != 1 {
			t.Errorf("order %s of %s is not in Redis (%v)", orderID, user, err)
		}
	}
	if n, _ := rdb.HLen(ctx, redistest.BuyersKey(act.ID)).Result(); n != int64(stock) {
		t.Errorf("%d buyers in Redis, want %d", n, stock)
	}
	if left, _ := rdb.Get(ctx, redistest.StockKey(act.ID)).Int64(); left != 0 {
		t.Errorf("remaining stock %d, want 0", left)
	}
}

// TestSIGTERMShutdownIsBounded checks that SHUTDOWN_TIMEOUT bounds the
// drain: with requests held in Redis until after the process has exited, the
// process exits anyway (non-zero: the drain was cut short), and none of the
// held requests is answered as if it had succeeded.
func TestSIGTERMShutdownIsBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the purchase binary: not in -short mode")
	}
	const users = 10
	srv := redistest.Start(t)
	store := srv.Store(t)
	rdb := srv.AdminClient(t) // CLIENT PAUSE: not a command of the functions
	act := servertest.MustActivity(t, store, users)

	p := startBinary(t, buildBinary(t, "purchase"), srv.Addr,
		"REDIS_POOL_SIZE=50", "REDIS_TIMEOUT=30s", "REQUEST_TIMEOUT=30s", "SHUTDOWN_TIMEOUT=300ms")
	p.waitReady(t)

	unpause := pauseWrites(t, rdb)
	answers, written := burst(p.Base, act.ID, users)
	waitFor(t, 30*time.Second, "every purchase to be held in the process", func() bool { return burstHeld(t, p.Port, rdb, written, users) })

	// Redis stays paused until the process has exited: it cannot have
	// waited for the held requests.
	p.signal(t, syscall.SIGTERM)
	code := p.wait(t, 20*time.Second)
	if code == 0 {
		t.Errorf("exit code 0 although the drain was cut short by SHUTDOWN_TIMEOUT")
	}
	if p.logIndex("shutdown") < 0 {
		t.Errorf("no \"shutdown\" error logged:\n%s", p.out.String())
	}
	unpause()
	for a := range answers {
		if a.Err == nil && a.Status == http.StatusOK {
			t.Errorf("%s was answered %s by a process that had exited", a.User, a.Outcome)
		}
	}
}
