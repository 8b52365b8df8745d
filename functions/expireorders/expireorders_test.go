package expireorders_test

import (
	"bytes"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"seckill/functions/expireorders"
	"seckill/functions/server/servertest"
	"seckill/redislib/redistest"
	"seckill/redislib/sale"
)

func TestExpireOrdersJob(t *testing.T) {
	env := servertest.New(t, expireorders.Function)
	rdb := env.Redis.Client(t)
	short := servertest.MustActivity(t, env.Store, 10, servertest.PaymentWindow(1))
	long := servertest.MustActivity(t, env.Store, 10)
	var last sale.Order
	for i := range 4 {
		last = servertest.MustWin(t, env.Store, short.ID, fmt.Sprintf("u%d", i))
	}
	lost := servertest.MustWin(t, env.Store, long.ID, "u0")
	// A win whose purchase call died before it reached the user's history.
	rdb.ZRem(t.Context(), redistest.UserOrdersKey("u0"), lost.ID)
	servertest.WaitRedisTime(t, env.Store, *last.ExpiresAt)
	if v, ok := lastSuccess(t, env); ok {
		t.Fatalf("last success %v before any run", v)
	}

	run := func() map[string]any {
		t.Helper()
		r := env.Do(t, servertest.Request{Method: http.MethodPost, Path: "/jobs/expire-orders", Admin: true})
		if r.Status != http.StatusOK {
			t.Fatalf("job: %d %s", r.Status, r.Body)
		}
		return r.JSON(t)
	}
	// 4 expired; events: short 4 won + 4 expired, long 1 won; all applied,
	// so all trimmed.
	before := time.Now()
	if got := run(); got["expired"] != 4.0 || got["projected"] != 9.0 || got["trimmed_events"] != 9.0 || got["complete"] != true {
		t.Fatalf("first run: %v", got)
	}
	done, ok := lastSuccess(t, env)
	if !ok || done.Before(before.Truncate(time.Millisecond)) || done.After(time.Now()) {
		t.Fatalf("last success %v (exported %v), want the first run's end, after %v", done, ok, before)
	}
	if got := run(); got["expired"] != 0.0 || got["projected"] != 0.0 || got["trimmed_events"] != 0.0 || got["complete"] != true {
		t.Fatalf("second run: %v", got)
	}
	if st := servertest.MustStats(t, env.Store, short.ID); st.Expired != 4 || st.Pending != 0 || st.Remaining != 10 || !st.Consistent {
		t.Fatalf("stats: %+v", st)
	}
	if n, _ := rdb.ZScore(t.Context(), redistest.UserOrdersKey("u0"), lost.ID).Result(); int64(n) != lost.CreatedAt.UnixMilli() {
		t.Fatalf("the lost win is not back in the history (score %v)", n)
	}

	for _, tc := range []struct {
		name   string
		header map[string]string
	}{{"no token", nil}, {"wrong token", map[string]string{"Authorization": "Bearer nope"}}} {
		t.Run(tc.name, func(t *testing.T) {
			r := env.Do(t, servertest.Request{Method: http.MethodPost, Path: "/jobs/expire-orders", Header: tc.header})
			if r.Status != http.StatusUnauthorized || r.ErrorCode() != "unauthorized" {
				t.Fatalf("got %d %s", r.Status, r.Body)
			}
		})
	}

	done, _ = lastSuccess(t, env)
	env.Redis.Kill()
	r := env.Do(t, servertest.Request{Method: http.MethodPost, Path: "/jobs/expire-orders", Admin: true})
	if r.Status != http.StatusServiceUnavailable || r.ErrorCode() != sale.CodeStoreUnavailable {
		t.Fatalf("Redis down: %d %s", r.Status, r.Body)
	}
	if v, _ := lastSuccess(t, env); !v.Equal(done) {
		t.Fatalf("last success %v after a failed run, want %v", v, done)
	}
}

// lastSuccess scrapes the app's /metrics for the time of the job's last
// run without error, and says whether it is exported.
func lastSuccess(t *testing.T, env *servertest.Env) (time.Time, bool) {
	t.Helper()
	r := env.Do(t, servertest.Request{Method: http.MethodGet, Path: "/metrics"})
	if r.Status != http.StatusOK {
		t.Fatalf("/metrics: %d %s", r.Status, r.Body)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	families, err := p.TextToMetricFamilies(bytes.NewReader(r.Body))
	if err != nil {
		t.Fatal(err)
	}
	f, ok := families["seckill_expire_orders_last_success_timestamp_seconds"]
	if !ok {
		return time.Time{}, false
	}
	s := f.GetMetric()[0].GetGauge().GetValue()
	return time.Unix(0, int64(s*1e9)), true
}

// TestExpireOrdersJobBoundsStreams: cycles of a win and its cancellation
// grow the activity's event stream by two entries each; every run of the
// job brings it back to what a consumer group has yet to acknowledge, here
// nothing.
func TestExpireOrdersJobBoundsStreams(t *testing.T) {
	env := servertest.New(t, expireorders.Function)
	rdb := env.Redis.Client(t)
	a := servertest.MustActivity(t, env.Store, 1)
	stream := "sk:{act:" + a.ID + "}:events" // redislib/README.md, Key schema
	for round := range 3 {
		for i := range 100 {
			u := fmt.Sprintf("r%d-u%d", round, i)
			o := servertest.MustWin(t, env.Store, a.ID, u)
			if _, err := env.Store.CancelOrder(t.Context(), o.ID, u, false); err != nil {
				t.Fatalf("cancel: %v", err)
			}
		}
		if n := rdb.XLen(t.Context(), stream).Val(); n != 200 {
			t.Fatalf("round %d: %d events before the job, want 200", round, n)
		}
		r := env.Do(t, servertest.Request{Method: http.MethodPost, Path: "/jobs/expire-orders", Admin: true})
		if got := r.JSON(t); r.Status != http.StatusOK || got["trimmed_events"] != 200.0 || got["complete"] != true {
			t.Fatalf("round %d: job %d %s", round, r.Status, r.Body)
		}
		if n := rdb.XLen(t.Context(), stream).Val(); n != 0 {
			t.Fatalf("round %d: %d events after the job, want 0", round, n)
		}
	}
}
