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
	// 4 expired; events: short 4 won + 4 expired, long 1 won.
	if got := run(); got["expired"] != 4.0 || got["projected"] != 9.0 || got["complete"] != true {
		t.Fatalf("first run: %v", got)
	}
	if got := run(); got["expired"] != 0.0 || got["projected"] != 0.0 || got["complete"] != true {
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
