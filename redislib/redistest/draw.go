package redistest

import (
	"context"
	"encoding/hex"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"seckill/redislib"
	"seckill/redislib/draworder"
)

// DrawActivity is an activity that sells by draw, and its seed.
type DrawActivity struct {
	ID   string
	Seed []byte
}

// MustDrawActivity creates a running activity with the given stock that
// sells by draw: registration open since a minute, draw_at an hour away.
// admin is a client that may write the activity's fields.
func MustDrawActivity(t testing.TB, store *redislib.Store, admin redis.Cmdable, stock int64) DrawActivity {
	t.Helper()
	a := MustActivity(t, store, stock)
	seed := make([]byte, draworder.SeedLen)
	copy(seed, redislib.NewID()+redislib.NewID()+redislib.NewID()+redislib.NewID())
	now := time.Now()
	err := admin.HSet(context.Background(), redislib.ActivityKey(a.ID), "admission", "draw",
		"registration_opens_at", now.Add(-time.Minute).UnixMilli(), "draw_at", now.Add(time.Hour).UnixMilli(),
		"draw_status", redislib.DrawPending, "seed", hex.EncodeToString(seed)).Err()
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
	err := admin.HSet(context.Background(), redislib.ActivityKey(activityID), "draw_at", time.Now().Add(-time.Second).UnixMilli()).Err()
	if err != nil {
		t.Fatal(err)
	}
}
