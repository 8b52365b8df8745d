package redislib_test

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"seckill/redislib"
	"seckill/redislib/internal/key"
	"seckill/redislib/redistest"
	"seckill/redislib/sale"
)

// BenchmarkBucketedSellOut sells one hot activity out with its stock in 1, 3
// and 6 buckets: b.N attempts by distinct users (ten per unit, so most
// lose, as in a flash sale) from 32 x GOMAXPROCS goroutines.
//
//	go test -run '^$' -bench ShardedSellOut -benchtime 30000x ./redislib/
//
// Besides ns/op (the inverse of the throughput) it reports p99-ms, the 99th
// percentile of one attempt; sellout-ms, from the first attempt to the last
// win; and cpu-ms-<addr>, the CPU time (user + sys, INFO CPU) each Redis
// server spent during the run.
func BenchmarkBucketedSellOut(b *testing.B) {
	srv := start(b)
	addrs := []string{}
	if cluster != nil {
		addrs, _ = cluster.Roles(b) // the primaries
	} else {
		addrs = append(addrs, srv.(singleBackend).Addr)
	}
	for _, shards := range []int{1, 3, 6} {
		b.Run(fmt.Sprintf("%s/shards=%d", current, shards), func(b *testing.B) {
			sellOut(b, srv.Store(b), addrs, shards)
		})
	}
}

// sellOut runs one sell-out on store; addrs are the Redis servers whose CPU
// time is reported.
func sellOut(b *testing.B, store *redislib.Store, addrs []string, shards int) {
	ctx := context.Background()
	stock := max(int64(b.N/10), 1)
	a := redistest.MustActivity(b, store, stock, redistest.Buckets(shards))
	if cluster != nil {
		where := make([]string, shards)
		for k := range shards {
			where[k] = cluster.PrimaryOf(b, key.BucketStock(a.ID, k)).Addr
		}
		b.Logf("buckets on primaries %v", where)
	}
	cpu0 := redisCPU(b, addrs)
	lat := make([]time.Duration, b.N)
	var next atomic.Int64
	var wins atomic.Int64
	var lastWin atomic.Int64
	var mu sync.Mutex
	var failed error
	b.SetParallelism(32)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := next.Add(1) - 1
			t0 := time.Now()
			res, err := store.Purchase(ctx, a.ID, "bench-"+strconv.FormatInt(i, 10), sale.Rate{})
			lat[i] = time.Since(t0)
			if err != nil {
				mu.Lock()
				failed = err
				mu.Unlock()
				continue
			}
			if res.Outcome == sale.OutcomeWon {
				wins.Add(1)
				lastWin.Store(int64(time.Since(start)))
			}
		}
	})
	b.StopTimer()
	if failed != nil {
		b.Fatalf("purchase: %v", failed)
	}
	if wins.Load() != stock {
		b.Fatalf("%d wins, want %d", wins.Load(), stock)
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(time.Duration(lastWin.Load()).Milliseconds()), "sellout-ms")
	for i, used := range redisCPU(b, addrs) {
		b.ReportMetric((used-cpu0[i])*1000, "cpu-ms-"+addrs[i])
	}
}

// redisCPU returns the CPU seconds (used_cpu_user + used_cpu_sys) each
// server has used.
func redisCPU(b *testing.B, addrs []string) []float64 {
	out := make([]float64, len(addrs))
	for i, addr := range addrs {
		c := redis.NewClient(&redis.Options{Addr: addr})
		info, err := c.Info(context.Background(), "cpu").Result()
		_ = c.Close()
		if err != nil {
			b.Fatalf("INFO CPU of %s: %v", addr, err)
		}
		for _, line := range strings.Split(info, "\n") {
			k, v, ok := strings.Cut(strings.TrimSpace(line), ":")
			if ok && (k == "used_cpu_user" || k == "used_cpu_sys") {
				f, _ := strconv.ParseFloat(v, 64)
				out[i] += f
			}
		}
	}
	return out
}
