package expireorders_test

import (
	"fmt"
	"net/http"
	"testing"

	"seckill/functions/expireorders"
	"seckill/functions/server/servertest"
	"seckill/redislib"
)

func TestExpireOrdersJob(t *testing.T) {
	env := servertest.New(t, expireorders.Function)
	rdb := env.Store.Client()
	short := servertest.MustActivity(t, env.Store, 10, servertest.PaymentWindow(1))
	long := servertest.MustActivity(t, env.Store, 10)
	var last redislib.Order
	for i := range 4 {
		last = servertest.MustWin(t, env.Store, short.ID, fmt.Sprintf("u%d", i))
	}
	lost := servertest.MustWin(t, env.Store, long.ID, "u0")
	// A win whose purchase call died before it reached the user's history.
	rdb.ZRem(t.Context(), redislib.UserOrdersKey("u0"), lost.ID)
	servertest.WaitRedisTime(t, env.Store, *last.ExpiresAt)

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
	if got := run(); got["expired"] != 4.0 || got["projected"] != 9.0 || got["trimmed_events"] != 9.0 || got["complete"] != true {
		t.Fatalf("first run: %v", got)
	}
	if got := run(); got["expired"] != 0.0 || got["projected"] != 0.0 || got["trimmed_events"] != 0.0 || got["complete"] != true {
		t.Fatalf("second run: %v", got)
	}
	if st := servertest.MustStats(t, env.Store, short.ID); st.Expired != 4 || st.Pending != 0 || st.Remaining != 10 || !st.Consistent {
		t.Fatalf("stats: %+v", st)
	}
	if n, _ := rdb.ZScore(t.Context(), redislib.UserOrdersKey("u0"), lost.ID).Result(); int64(n) != lost.CreatedAt.UnixMilli() {
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

	env.Redis.Kill()
	r := env.Do(t, servertest.Request{Method: http.MethodPost, Path: "/jobs/expire-orders", Admin: true})
	if r.Status != http.StatusServiceUnavailable || r.ErrorCode() != redislib.CodeStoreUnavailable {
		t.Fatalf("Redis down: %d %s", r.Status, r.Body)
	}
}

// TestExpireOrdersJobBoundsStreams: cycles of a win and its cancellation
// grow the activity's event stream by two entries each; every run of the
// job brings it back to what a consumer group has yet to acknowledge, here
// nothing.
func TestExpireOrdersJobBoundsStreams(t *testing.T) {
	env := servertest.New(t, expireorders.Function)
	rdb := env.Store.Client()
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
