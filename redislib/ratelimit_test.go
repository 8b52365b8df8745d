package redislib_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"seckill/redislib"
	"seckill/redislib/internal/key"
	"seckill/redislib/redistest"
	"seckill/redislib/sale"
)

func TestRateLimitBurstThenRefuse(t *testing.T) {
	singleOnly(t, "restarts its redis-server and reads its AOF")
	ctx := context.Background()
	srv := redistest.Start(t)
	store := srv.Store(t)
	// One request per 1000 s: only the burst can pass within the test.
	l := userLimit("alice", 0.001, 5)
	for i := 0; i < 5; i++ {
		ok, wait, err := rateLimit(ctx, store, l)
		if err != nil || !ok || wait != 0 {
			t.Fatalf("request %d of the burst: allowed=%v wait=%v err=%v", i+1, ok, wait, err)
		}
	}
	ok, wait, err := rateLimit(ctx, store, l)
	if err != nil || ok {
		t.Fatalf("request past the burst: allowed=%v err=%v, want refused", ok, err)
	}
	if wait <= 990*time.Second || wait > 1000*time.Second {
		t.Fatalf("wait = %v, want just under the 1000 s interval", wait)
	}
	// The bucket expires once it would be full again: 5 intervals.
	ttl := srv.AdminClient(t).PTTL(ctx, l.key()).Val()
	if ttl <= 4990*time.Second || ttl > 5000*time.Second {
		t.Fatalf("bucket TTL = %v, want just under 5000 s", ttl)
	}
	// A refusal writes nothing: the bucket is unchanged.
	before := srv.Client(t).Get(ctx, l.key()).Val()
	if ok, _, _ := rateLimit(ctx, store, l); ok {
		t.Fatal("allowed after a refusal")
	}
	if after := srv.Client(t).Get(ctx, l.key()).Val(); after != before {
		t.Fatalf("a refused request changed the bucket: %s -> %s", before, after)
	}
	// Buckets are not durable: not in the AOF, and full again after a restart.
	mustNotInAOF(t, srv, l.key())
	srv.Restart()
	if ok, _, err := rateLimit(ctx, store, l); err != nil || !ok {
		t.Fatalf("after a restart: allowed=%v err=%v, want a full bucket", ok, err)
	}
	// Another key is another bucket.
	if ok, _, err := rateLimit(ctx, store, userLimit("bob", 0.001, 5)); err != nil || !ok {
		t.Fatalf("bob refused by alice's bucket: %v %v", ok, err)
	}
}

func TestRateLimitRefills(t *testing.T) {
	ctx := context.Background()
	store := start(t).Store(t)
	l := ipLimit("192.0.2.1", 20, 1) // one per 50 ms
	if ok, _, err := rateLimit(ctx, store, l); err != nil || !ok {
		t.Fatalf("first request: %v %v", ok, err)
	}
	ok, wait, err := rateLimit(ctx, store, l)
	if err != nil || ok || wait <= 0 || wait > 50*time.Millisecond {
		t.Fatalf("second request at once: allowed=%v wait=%v err=%v; want refused with 0 < wait <= 50ms", ok, wait, err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		if ok, _, err := rateLimit(ctx, store, l); err != nil {
			t.Fatal(err)
		} else if ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("bucket never refilled")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestRateLimitConcurrent races many goroutines on one bucket that does not
// refill during the test: exactly Burst requests pass.
func TestRateLimitConcurrent(t *testing.T) {
	const burst, workers, tries = 37, 64, 20
	ctx := context.Background()
	store := start(t).Store(t)
	l := userLimit("racer", 0.0001, burst)
	var allowed, refused atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < tries; i++ {
				ok, _, err := rateLimit(ctx, store, l)
				if err != nil {
					t.Error(err)
					return
				}
				if ok {
					allowed.Add(1)
				} else {
					refused.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if allowed.Load() != burst || refused.Load() != workers*tries-burst {
		t.Fatalf("allowed %d, refused %d; want exactly %d allowed of %d", allowed.Load(), refused.Load(), burst, workers*tries)
	}
}

// TestRateLimitSeveral checks several buckets in one round trip, including
// after the server's script cache was flushed (the pipeline path loads it).
func TestRateLimitSeveral(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Start(t)
	store := srv.Store(t)
	user := userLimit("carol", 0.001, 3)
	ip := ipLimit("2001:db8::1", 0.001, 1)
	off := ipLimit("off", 0, 10)
	if err := srv.AdminClient(t).ScriptFlush(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	if ok, _, err := rateLimit(ctx, store, user, ip); err != nil || !ok {
		t.Fatalf("first request: %v %v", ok, err)
	}
	ok, wait, err := rateLimit(ctx, store, user, ip)
	if err != nil || ok || wait < 990*time.Second {
		t.Fatalf("second request: allowed=%v wait=%v err=%v; want refused by the IP bucket", ok, wait, err)
	}
	// The user bucket counted both requests: one more passes it, then none.
	if ok, _, _ := rateLimit(ctx, store, user); !ok {
		t.Fatal("user bucket refused its third request")
	}
	if ok, _, _ := rateLimit(ctx, store, user); ok {
		t.Fatal("user bucket allowed a fourth request")
	}
	if ok, _, err := rateLimit(ctx, store, off); err != nil || !ok {
		t.Fatalf("a limit with rate 0: %v %v, want allowed", ok, err)
	}
	if n := srv.AdminClient(t).Exists(ctx, off.key()).Val(); n != 0 {
		t.Fatal("a limit with rate 0 wrote a bucket")
	}
	if ok, _, err := rateLimit(ctx, store); err != nil || !ok {
		t.Fatalf("no limits: %v %v, want allowed", ok, err)
	}
}

func TestRateLimitStoreUnavailable(t *testing.T) {
	singleOnly(t, "kills its redis-server")
	srv := redistest.Start(t)
	store := srv.Store(t)
	srv.Kill()
	l := userLimit("dave", 1, 1)
	for _, limits := range [][]limit{{l}, {ipLimit("192.0.2.9", 1, 1), l}} {
		if _, _, err := rateLimit(context.Background(), store, limits...); sale.ErrorCode(err) != sale.CodeStoreUnavailable {
			t.Fatalf("%d limits with Redis down: err = %v, want store_unavailable", len(limits), err)
		}
	}
}

func TestRateLimitKeysHaveTheirOwnTag(t *testing.T) {
	for key, want := range map[string]string{
		key.UserRateLimit("u@x.io"):    "rl:user:u@x.io",
		key.IPRateLimit("2001:db8::1"): "rl:ip:2001:db8::1",
	} {
		if tag := hashTag(key); tag != want {
			t.Errorf("key %s has hash tag %q, want %q", key, tag, want)
		}
	}
}

// mustNotInAOF fails when any AOF file of srv mentions key.
func mustNotInAOF(t *testing.T, srv *redistest.Server, key string) {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(srv.Dir, "appendonlydir", "*"))
	if len(files) == 0 {
		t.Fatalf("no AOF files in %s", srv.Dir)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), key) {
			t.Fatalf("%s holds %s: rate-limit buckets must not be persisted", f, key)
		}
	}
}

// limit is one rate limit of these tests: a client network's or a user's.
type limit struct {
	ip, user string
	rate     sale.Rate
}

func userLimit(user string, perSecond float64, burst int) limit {
	return limit{user: user, rate: sale.Rate{PerSecond: perSecond, Burst: burst}}
}

func ipLimit(ip string, perSecond float64, burst int) limit {
	return limit{ip: ip, rate: sale.Rate{PerSecond: perSecond, Burst: burst}}
}

// key is the limit's bucket key.
func (l limit) key() string {
	if l.ip != "" {
		return key.IPRateLimit(l.ip)
	}
	return key.UserRateLimit(l.user)
}

// rateLimit counts one request against limits: at most one of a client
// network and one of a user.
func rateLimit(ctx context.Context, store *redislib.Store, limits ...limit) (bool, time.Duration, error) {
	var ip, user limit
	for _, l := range limits {
		if l.ip != "" {
			ip = l
		} else {
			user = l
		}
	}
	return store.RateLimit(ctx, ip.ip, ip.rate, user.user, user.rate)
}
