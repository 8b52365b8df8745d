package redislib_test

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"seckill/redislib"
	"seckill/redislib/redistest"
)

// TestAutoPipeSkipsAbandonedCalls stalls Redis while calls queue behind the
// pipelines in flight: the calls whose callers gave up meanwhile are never
// sent, the others all run, each exactly once.
func TestAutoPipeSkipsAbandonedCalls(t *testing.T) {
	singleOnly(t, "pauses its redis-server")
	srv := redistest.Start(t)
	rdb := srv.Client(t)
	p := redislib.NewAutoPipe(rdb)
	key := "sk:test:autopipe:" + t.Name()

	srv.Pause()
	var kept sync.WaitGroup
	// Fill every flusher with a call that waits for Redis, one at a time (two
	// calls at once could share a pipeline), so that later calls queue.
	for i := range redislib.MaxFlushers {
		kept.Add(1)
		go func() {
			defer kept.Done()
			if err := p.Process(context.Background(), redis.NewIntCmd(context.Background(), "incr", key)); err != nil {
				t.Errorf("kept call: %v", err)
			}
		}()
		waitFor(t, func() bool { f, q := p.State(); return f == i+1 && q == 0 })
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	var abandoned sync.WaitGroup
	for range 10 {
		abandoned.Add(1)
		go func() {
			defer abandoned.Done()
			if err := p.Process(ctx, redis.NewIntCmd(ctx, "incr", key)); !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("abandoned call: %v, want its deadline", err)
			}
		}()
	}
	abandoned.Wait()
	srv.Resume()
	kept.Wait()
	waitFor(t, func() bool { f, _ := p.State(); return f == 0 })
	if n, err := rdb.Get(context.Background(), key).Int(); err != nil || n != redislib.MaxFlushers {
		t.Fatalf("%s = %d, %v; want %d: only the calls still awaited ran", key, n, err, redislib.MaxFlushers)
	}
}

// TestAutoPipeBatches sends many concurrent calls and checks they shared
// trips: no pipeline carries more than maxBatch calls, at most maxFlushers are
// in flight at once, and every call got its own reply.
func TestAutoPipeBatches(t *testing.T) {
	singleOnly(t, "counts the pipelines of one server client")
	srv := redistest.Start(t)
	rdb := srv.AdminClient(t) // ECHO: a probe of the pipeline, not a command of the product
	var trips, maxInFlight, inFlight, maxLen int
	var mu sync.Mutex
	rdb.AddHook(pipeHook{before: func(n int) {
		mu.Lock()
		defer mu.Unlock()
		trips++
		inFlight++
		maxInFlight = max(maxInFlight, inFlight)
		maxLen = max(maxLen, n)
	}, after: func() { mu.Lock(); inFlight--; mu.Unlock() }})
	p := redislib.NewAutoPipe(rdb)
	const calls = 2000
	var wg sync.WaitGroup
	for i := range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := redis.NewCmd(context.Background(), "echo", i)
			if err := p.Process(context.Background(), cmd); err != nil || cmd.Val() != any(fmtInt(i)) {
				t.Errorf("call %d: %v, %v", i, cmd.Val(), err)
			}
		}()
	}
	wg.Wait()
	if trips >= calls || maxLen > redislib.MaxBatch || maxInFlight > redislib.MaxFlushers {
		t.Fatalf("%d calls in %d trips, longest %d (cap %d), %d in flight (cap %d)", calls, trips, maxLen, redislib.MaxBatch, maxInFlight, redislib.MaxFlushers)
	}
	t.Logf("%d calls in %d trips, longest %d, at most %d in flight", calls, trips, maxLen, maxInFlight)
}

// pipeHook observes the pipelines of ECHO commands a client sends (not the
// handshake a new connection pipelines inside them).
type pipeHook struct {
	before func(n int)
	after  func()
}

func (pipeHook) DialHook(next redis.DialHook) redis.DialHook { return next }

func (pipeHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook { return next }

func (h pipeHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if len(cmds) == 0 || cmds[0].Name() != "echo" {
			return next(ctx, cmds)
		}
		h.before(len(cmds))
		defer h.after()
		return next(ctx, cmds)
	}
}

func fmtInt(i int) string { return strconv.Itoa(i) }

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 10 s")
		}
		time.Sleep(time.Millisecond)
	}
}
