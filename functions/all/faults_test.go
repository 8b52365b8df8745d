package all_test

import (
	"context"
	"fmt"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"seckill/functions/server"
	"seckill/redislib/redistest"
	"seckill/redislib/sale"
)

// burst runs purchase attempts with distinct users on workers connections
// until stop is closed, and returns every attempt once they have all ended.
// Each attempt is tagged with the phase it started in.
type burst struct {
	mu       sync.Mutex
	attempts []attempt
	phases   []int
	phase    atomic.Int32
	kinds    counter
	stop     chan struct{}
	wg       sync.WaitGroup
}

func startBurst(c *client, activityID string, workers int) *burst {
	b := &burst{stop: make(chan struct{})}
	var seq atomic.Int64
	for w := 0; w < workers; w++ {
		b.wg.Add(1)
		go func() {
			defer b.wg.Done()
			for {
				select {
				case <-b.stop:
					return
				default:
				}
				phase := int(b.phase.Load())
				at := c.purchase(activityID, fmt.Sprintf("user-%d", seq.Add(1)))
				b.mu.Lock()
				b.attempts = append(b.attempts, at)
				b.phases = append(b.phases, phase)
				b.mu.Unlock()
				b.kinds.add(fmt.Sprintf("p%d:%s", phase, kindOf(at)))
			}
		}()
	}
	return b
}

func (b *burst) end() []attempt {
	close(b.stop)
	b.wg.Wait()
	return b.attempts
}

// kindOf names an answer: its outcome, its error code, or "transport".
func kindOf(at attempt) string {
	switch {
	case at.err != nil:
		return "transport"
	case at.status == http.StatusOK:
		return string(at.outcome)
	default:
		return fmt.Sprintf("%d-%s", at.status, at.code)
	}
}

// TestRedisKilledDuringBurst SIGKILLs Redis while purchases stream in,
// restarts it from its data directory and checks that nothing acknowledged
// was lost: every "won" still holds its order, stock is exact, no user holds
// two orders. While Redis is down every answer is a prompt 503; the same
// server process recovers by itself once Redis is back; a user answered 503
// learns the truth by asking again.
func TestRedisKilledDuringBurst(t *testing.T) {
	const stock, workers = 100000, 32
	srv := redistest.Start(t)
	e := serveWith(t, srv, srv.Config(), func(c *server.Config) { c.RequestTimeout = time.Second })
	c := newClient(e.base, workers)
	a := c.mustActivity(t, stock)

	b := startBurst(c, a.ID, workers)
	mustPoll(t, func() bool { return b.kinds.get("p0:won") >= 200 }, "200 acknowledged wins")
	srv.Kill()
	b.phase.Store(1)
	mustPoll(t, func() bool { return b.kinds.get("p1:503-store_unavailable") >= 200 }, "200 answers while Redis is down")
	b.phase.Store(2)
	srv.Restart()
	restarted := time.Now()
	b.phase.Store(3)
	// The Redis client stops dialling once every pooled dial has failed and
	// probes once a second instead, so recovery takes up to about a second.
	mustPoll(t, func() bool { return b.kinds.get("p3:won") >= 1 }, "a win after Redis is back")
	firstWin := time.Since(restarted)
	b.phase.Store(4)
	mustPoll(t, func() bool { return time.Since(restarted) > 5*time.Second && b.kinds.get("p4:won") >= 100 }, "wins once recovered")
	attempts := b.end()
	var lastFailure time.Duration
	for _, at := range attempts {
		if at.status != http.StatusOK && at.start.After(restarted) {
			lastFailure = max(lastFailure, at.start.Sub(restarted))
		}
	}
	t.Logf("answers by phase (0 up, 1 down, 2 restarting, 3 back): %s; first win %v, last 503 %v after Redis was ready", &b.kinds, firstWin, lastFailure)

	var slowest time.Duration
	for _, at := range attempts {
		switch k := kindOf(at); {
		case k == "won", k == "sold_out":
		case k == "503-store_unavailable":
			slowest = max(slowest, at.took)
			if at.start.Sub(restarted) > recoveryBound {
				t.Errorf("%s answered 503 %v after Redis was back", at.user, at.start.Sub(restarted))
			}
		default:
			t.Errorf("%s: unexpected answer %s (%v)", at.user, k, at.err)
		}
	}
	if limit := e.cfg.RequestTimeout + time.Second; slowest > limit {
		t.Errorf("slowest 503 took %v, want at most %v", slowest, limit)
	}

	holds := holdings(t, e.rdb, a.ID)
	won := 0
	for _, at := range attempts {
		if at.outcome == sale.OutcomeWon {
			won++
			if holds[at.user] != at.order {
				t.Errorf("%s was answered won with %s; after the crash holds %q", at.user, at.order, holds[at.user])
			}
		}
	}
	// Users answered 503 ask again: the answer is the truth, whatever it is.
	retried, heldAfter503 := 0, 0
	for _, at := range attempts {
		if at.status != http.StatusServiceUnavailable {
			continue
		}
		retried++
		again := c.purchase(a.ID, at.user)
		switch held := holds[at.user]; {
		case held != "":
			heldAfter503++
			if again.outcome != sale.OutcomeAlreadyWon || again.order != held {
				t.Errorf("%s holds %s but asking again answered %s %q", at.user, held, kindOf(again), again.order)
			}
		case again.outcome != sale.OutcomeWon:
			t.Errorf("%s holds nothing, stock remains, but asking again answered %s", at.user, kindOf(again))
		}
	}
	final := holdings(t, e.rdb, a.ID)
	t.Logf("%d attempts, %d answered won, %d answered 503 (of which %d had in fact won); %d orders in the end; slowest 503 %v",
		len(attempts), won, retried, heldAfter503, len(final), slowest)
	if won < 300 {
		t.Fatalf("only %d acknowledged wins: the burst did not exercise the crash", won)
	}
}

// recoveryBound is how soon after Redis answers again every request must
// succeed. It is typically under a second (the client's dial circuit breaker
// probes once a second); the bound leaves room for a loaded CI machine.
const recoveryBound = 10 * time.Second

// TestRedisDownAnswersPromptly: with Redis killed (connection refused) and
// with Redis hung (SIGSTOP: connections accepted, nothing answered), every
// request is a 503 store_unavailable within REQUEST_TIMEOUT plus a margin,
// /readyz stays 200, the Redis pool stays within its size, and the server
// recovers without a restart.
func TestRedisDownAnswersPromptly(t *testing.T) {
	const poolSize, concurrent = 8, 48
	srv := redistest.Start(t)
	rcfg := srv.Config()
	rcfg.PoolSize = poolSize
	e := serveWith(t, srv, rcfg, func(c *server.Config) { c.RequestTimeout = 500 * time.Millisecond })
	c := newClient(e.base, concurrent)
	a := c.mustActivity(t, 1000)

	for _, fault := range []struct {
		name         string
		break_, mend func()
	}{
		{"killed", srv.Kill, srv.Restart},
		{"hung", srv.Pause, srv.Resume},
	} {
		t.Run(fault.name, func(t *testing.T) {
			fault.break_()
			var maxConns atomic.Uint32
			sampling := make(chan struct{})
			go func() {
				for {
					select {
					case <-sampling:
						return
					case <-time.After(5 * time.Millisecond):
						if n := e.rdb.PoolStats().TotalConns; n > maxConns.Load() {
							maxConns.Store(n)
						}
					}
				}
			}()
			answers := make([]attempt, concurrent)
			var wg sync.WaitGroup
			for i := range answers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					answers[i] = c.purchase(a.ID, fmt.Sprintf("%s-%d", fault.name, i))
				}()
			}
			wg.Wait()
			close(sampling)
			limit := e.cfg.RequestTimeout + time.Second
			for _, at := range answers {
				if at.status != http.StatusServiceUnavailable || at.code != sale.CodeStoreUnavailable || at.took > limit {
					t.Errorf("%s: %s after %v, want 503 store_unavailable within %v", at.user, kindOf(at), at.took, limit)
				}
			}
			// Readiness is not about Redis (see deploy/README.md, "Probes").
			if st, _ := c.do("GET", "/readyz", nil, false, nil); st != http.StatusOK {
				t.Errorf("/readyz = %d with Redis %s, want 200", st, fault.name)
			}
			if st, _ := c.do("GET", "/activities/"+a.ID, nil, false, nil); st != http.StatusServiceUnavailable {
				t.Errorf("GET activity = %d with Redis %s, want 503", st, fault.name)
			}
			if m := maxConns.Load(); m > poolSize {
				t.Errorf("the Redis pool grew to %d connections, its size is %d", m, poolSize)
			}
			fault.mend()
			mustPoll(t, func() bool {
				st, err := c.do("GET", "/activities/"+a.ID, nil, false, nil)
				return err == nil && st == http.StatusOK
			}, "reads answer 200 again")
			for _, at := range answers {
				// A short REQUEST_TIMEOUT on a loaded machine can still time out
				// right after recovery: a 503 is no answer about the sale, ask again.
				again := c.purchase(a.ID, at.user)
				for try := 0; again.status == http.StatusServiceUnavailable && try < 50; try++ {
					again = c.purchase(a.ID, at.user)
				}
				if again.outcome != sale.OutcomeWon && again.outcome != sale.OutcomeAlreadyWon {
					t.Errorf("%s after recovery: %s", at.user, kindOf(again))
				}
			}
			holdings(t, e.rdb, a.ID)
		})
	}
}

// TestSlowRedis blocks Redis with DEBUG SLEEP while requests arrive: they
// answer 503 within REQUEST_TIMEOUT plus a margin, the pool never exceeds its
// size, and once Redis is responsive again the goroutines and connections go
// back to where they were and every user gets a true answer.
func TestSlowRedis(t *testing.T) {
	const poolSize, concurrent, sleepSecs = 8, 64, 3
	srv := redistest.Start(t)
	rcfg := srv.Config()
	rcfg.PoolSize = poolSize
	e := serveWith(t, srv, rcfg, func(c *server.Config) { c.RequestTimeout = 300 * time.Millisecond })
	c := newClient(e.base, concurrent)
	a := c.mustActivity(t, 1000)
	// Warm up connections and workers, then take the baseline at rest.
	var wg sync.WaitGroup
	for i := 0; i < concurrent; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); c.purchase(a.ID, fmt.Sprintf("warm-%d", i)) }()
	}
	wg.Wait()
	c.idleConns()
	baseline := settledGoroutines()

	sleeper := redis.NewClient(&redis.Options{Addr: srv.Addr, ReadTimeout: 30 * time.Second, MaxRetries: -1})
	defer sleeper.Close()
	slept := make(chan error, 1)
	go func() { slept <- sleeper.Do(context.Background(), "DEBUG", "SLEEP", sleepSecs).Err() }()
	probe := redis.NewClient(&redis.Options{Addr: srv.Addr, ReadTimeout: 50 * time.Millisecond, MaxRetries: -1})
	defer probe.Close()
	mustPoll(t, func() bool { return probe.Ping(context.Background()).Err() != nil }, "Redis is busy sleeping")

	var maxConns atomic.Uint32
	answers := make([]attempt, concurrent)
	for i := range answers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			answers[i] = c.purchase(a.ID, fmt.Sprintf("slow-%d", i))
			if n := e.rdb.PoolStats().TotalConns; n > maxConns.Load() {
				maxConns.Store(n)
			}
		}()
	}
	wg.Wait()
	limit := e.cfg.RequestTimeout + time.Second
	for _, at := range answers {
		if at.status != http.StatusServiceUnavailable || at.code != sale.CodeStoreUnavailable || at.took > limit {
			t.Errorf("%s: %s after %v, want 503 store_unavailable within %v", at.user, kindOf(at), at.took, limit)
		}
	}
	if err := <-slept; err != nil {
		t.Fatalf("DEBUG SLEEP: %v", err)
	}
	if m := maxConns.Load(); m > poolSize {
		t.Errorf("the Redis pool grew to %d connections, its size is %d", m, poolSize)
	}
	// Some purchases were queued in Redis behind the sleep and ran after
	// their requests had timed out: asking again tells each user the truth.
	holds := holdings(t, e.rdb, a.ID)
	ranLate := 0
	for _, at := range answers {
		// REQUEST_TIMEOUT is short here, so on a loaded machine a retry can
		// time out too: a 503 is not an answer about the sale, ask again.
		again := c.purchase(a.ID, at.user)
		for try := 0; again.status == http.StatusServiceUnavailable && try < 50; try++ {
			again = c.purchase(a.ID, at.user)
		}
		if held := holds[at.user]; held != "" {
			ranLate++
			if again.outcome != sale.OutcomeAlreadyWon || again.order != held {
				t.Errorf("%s holds %s, asking again answered %s %q", at.user, held, kindOf(again), again.order)
			}
		} else if again.outcome != sale.OutcomeWon {
			t.Errorf("%s asking again: %s, want won", at.user, kindOf(again))
		}
	}
	c.idleConns()
	after := mustSettleTo(t, baseline+10)
	stats := e.rdb.PoolStats()
	t.Logf("%d requests during a %ds DEBUG SLEEP: all 503; %d of them ran in Redis after timing out; pool max %d (size %d), now %d total %d idle; goroutines %d before, %d after",
		concurrent, sleepSecs, ranLate, maxConns.Load(), poolSize, stats.TotalConns, stats.IdleConns, baseline, after)
	if stats.TotalConns > poolSize {
		t.Errorf("pool holds %d connections, size %d", stats.TotalConns, poolSize)
	}
}

// settledGoroutines returns the goroutine count once it stops falling.
func settledGoroutines() int {
	n := runtime.NumGoroutine()
	for i := 0; i < 50; i++ {
		time.Sleep(20 * time.Millisecond)
		m := runtime.NumGoroutine()
		if m >= n {
			return m
		}
		n = m
	}
	return n
}

// mustSettleTo polls until the goroutine count is at most want (idle HTTP
// server workers are let go after 10 s), and returns it.
func mustSettleTo(t *testing.T, want int) int {
	t.Helper()
	deadline := time.Now().Add(40 * time.Second)
	for {
		n := runtime.NumGoroutine()
		if n <= want {
			return n
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines remain, want at most %d:\n%s", n, want, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(100 * time.Millisecond)
	}
}
