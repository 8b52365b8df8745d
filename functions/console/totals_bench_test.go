package console_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"seckill/functions/all"
	"seckill/functions/server"
	"seckill/functions/server/servertest"
	"seckill/redislib/redistest"
)

// BenchmarkTotalsCall is one GET /console/totals of the all-in-one server
// over HTTP, as the console makes it every two seconds: the request, the
// scrape of the process's own /metrics (every function's series, after
// purchases of every outcome and several statuses), its parsing, and the
// JSON answer. Its CPU time and allocations (cpu-µs/op counts the
// benchmark's HTTP client too) are the whole cost of a call to the serving
// process; the purchase path only ever adds to counters the scrape reads.
func BenchmarkTotalsCall(b *testing.B) {
	srv := redistest.Start(b)
	store := srv.Store(b)
	base := servertest.Listen(b, server.Deps{Store: store, Log: servertest.Logger(), Config: server.TestConfig(servertest.AdminToken)}, all.Functions...)
	act := redistest.MustActivity(b, store, 5)
	for i := range 20 {
		user := fmt.Sprintf("u%d", i%15)
		if i == 19 {
			user = "not a user id"
		}
		resp, err := http.Post(base+"/activities/"+act.ID+"/purchase", "application/json", strings.NewReader(fmt.Sprintf(`{"user_id":%q}`, user)))
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	get := func(b *testing.B, path string, header map[string]string) {
		req, _ := http.NewRequest(http.MethodGet, base+path, nil)
		for k, v := range header {
			req.Header.Set(k, v)
		}
		client := &http.Client{}
		b.ReportAllocs()
		start := cpuTime(b)
		for b.Loop() {
			resp, err := client.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Fatalf("GET %s: %d", path, resp.StatusCode)
			}
		}
		b.ReportMetric(float64((cpuTime(b)-start).Microseconds())/float64(b.N), "cpu-µs/op")
	}
	b.Run("console-totals", func(b *testing.B) {
		get(b, "/console/totals", map[string]string{"Authorization": "Bearer " + servertest.AdminToken})
	})
	// For comparison, one scrape of /metrics as Prometheus makes it (text,
	// gzipped), every 15 s by default, with or without a console open.
	b.Run("prometheus-scrape", func(b *testing.B) {
		get(b, "/metrics", map[string]string{"Accept": "text/plain;version=0.0.4", "Accept-Encoding": "gzip"})
	})
}

// cpuTime is the CPU time (user and system) of this process so far: of the
// server and the benchmark's client together, an upper bound of the
// server's. On a shared machine it is steadier than the wall time.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
