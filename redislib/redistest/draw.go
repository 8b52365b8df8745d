package redistest

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"seckill/redislib"
	"seckill/redislib/draworder"
	"seckill/redislib/sale"
)

// DrawActivity is an activity that sells by draw, and its seed.
type DrawActivity struct {
	ID   string
	Seed []byte
}

// MustDrawActivity creates a running activity with the given stock that
// sells by draw (started a minute ago, ending in two hours): registration
// open since a minute, draw_at an hour away. admin is a client that may read
// the activity's seed.
func MustDrawActivity(t testing.TB, store *redislib.Store, admin redis.Cmdable, stock int64) DrawActivity {
	t.Helper()
	now := time.Now()
	opens, drawAt := now.Add(-time.Minute), now.Add(time.Hour)
	a := MustActivity(t, store, stock, Window(-time.Minute, 2*time.Hour), func(a *sale.NewActivity) {
		a.AdmissionSettings = sale.AdmissionSettings{Admission: sale.AdmissionDraw,
			RegistrationOpensAt: &opens, DrawAt: &drawAt}
	})
	v, err := admin.HGet(context.Background(), ActivityKey(a.ID), "seed").Result()
	if err != nil {
		t.Fatal(err)
	}
	seed, err := draworder.ParseSeed(v)
	if err != nil {
		t.Fatal(err)
	}
	return DrawActivity{ID: a.ID, Seed: seed}
}

// CloseRegistration moves the activity's draw_at a second into the past:
// registration is closed and the draw is due. Only a test moves draw_at
// after the activity started.
func CloseRegistration(t testing.TB, admin redis.Cmdable, activityID string) {
	t.Helper()
	err := admin.HSet(context.Background(), ActivityKey(activityID), "draw_at", time.Now().Add(-time.Second).UnixMilli()).Err()
	if err != nil {
		t.Fatal(err)
	}
}
