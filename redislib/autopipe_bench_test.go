package redislib_test

import (
	"context"
	"testing"

	"github.com/redis/go-redis/v9"

	"seckill/redislib"
	"seckill/redislib/redistest"
)

// BenchmarkPipelines compares the store's auto-pipeline with go-redis's own
// AutoPipeline (blocking face, default options) on what the hot path sends:
// a script that writes, so every trip waits for Redis's fsync, from many
// goroutines at once.
//
//	go test -run '^$' -bench Pipelines -benchtime 20000x ./redislib/
func BenchmarkPipelines(b *testing.B) {
	srv := redistest.Start(b)
	rdb := srv.Client(b)
	incr := redis.NewScript(`return redis.call('INCR', KEYS[1])`)
	run := func(b *testing.B, sc redis.Scripter) {
		ctx := context.Background()
		key := "sk:bench:" + b.Name()
		rdb.Del(ctx, key)    // the framework may run a benchmark more than once
		b.SetParallelism(32) // 32 x GOMAXPROCS goroutines, like many HTTP connections
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := incr.Run(ctx, sc, []string{key}).Err(); err != nil {
					b.Errorf("script: %v", err)
					return
				}
			}
		})
		b.StopTimer()
		if n, err := rdb.Get(ctx, key).Int(); err != nil || n != b.N {
			b.Fatalf("%s = %d, %v; want %d: every call ran once", key, n, err, b.N)
		}
	}
	b.Run("autoPipe", func(b *testing.B) { run(b, redislib.NewAutoPipe(rdb)) })
	b.Run("goRedisAutoPipeline", func(b *testing.B) {
		ap, err := rdb.AutoPipeline()
		if err != nil {
			b.Fatal(err)
		}
		run(b, ap)
	})
}
