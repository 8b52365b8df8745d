package redislib_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"seckill/redislib"
	"seckill/redislib/internal/key"
	"seckill/redislib/redistest"
	"seckill/redislib/sale"
)

// queueActivity creates a queue activity of stock units that starts in
// startsIn, its queue open since a minute ago, admitting rate per second.
func queueActivity(t *testing.T, store *redislib.Store, stock int64, startsIn time.Duration, rate int64, opts ...redistest.ActivityOption) sale.Activity {
	t.Helper()
	opts = append([]redistest.ActivityOption{redistest.Window(startsIn, time.Hour), redistest.Queue(min(startsIn, 0)-time.Minute, rate)}, opts...)
	return redistest.MustActivity(t, store, stock, opts...)
}

func TestQueueJoinRefusals(t *testing.T) {
	ctx := context.Background()
	b := start(t)
	store, rdb := b.Store(t), b.AdminClient(t)
	open := redistest.MustActivity(t, store, 1)
	early := redistest.MustActivity(t, store, 1, redistest.Window(time.Hour, 2*time.Hour), redistest.Queue(30*time.Minute, 5))
	cancelled := queueActivity(t, store, 1, time.Hour, 5)
	if _, err := store.CancelActivity(ctx, cancelled.ID); err != nil {
		t.Fatal(err)
	}
	queue := queueActivity(t, store, 1, time.Hour, 5)
	if _, err := store.QueueLength(ctx, open.ID); sale.ErrorCode(err) != sale.CodeNotQueue {
		t.Fatalf("queue length of an open activity: %v", err)
	}

	for _, tt := range []struct {
		name, activity, want string
	}{
		{"open activity", open.ID, sale.CodeNotQueue},
		{"unknown activity", "nosuch", sale.CodeActivityNotFound},
		{"cancelled", cancelled.ID, sale.CodeActivityCancelled},
	} {
		if _, err := store.JoinQueue(ctx, tt.activity, "alice"); sale.ErrorCode(err) != tt.want {
			t.Errorf("%s: %v, want %s", tt.name, err, tt.want)
		}
	}
	st, err := store.JoinQueue(ctx, early.ID, "alice")
	if err != nil || st.Status != sale.QueueNotOpen || st.QueueOpensAt == nil {
		t.Fatalf("before queue_opens_at: %+v, %v; want not_open with the opening", st, err)
	}
	for _, id := range []string{open.ID, early.ID, cancelled.ID} {
		if n, _ := rdb.Exists(ctx, key.Queue(id)).Result(); n != 0 {
			t.Fatalf("a refused join wrote the queue of %s", id)
		}
	}
	if _, err := store.QueueStatusOf(ctx, queue.ID, "bob"); sale.ErrorCode(err) != sale.CodeNotInQueue {
		t.Fatalf("status of a user not in the queue: %v, want not_in_queue", err)
	}
	first, err := store.JoinQueue(ctx, queue.ID, "bob")
	if err != nil || first.Status != sale.QueueWaiting || first.Position != 1 || first.EstimatedWaitSeconds < 3500 {
		t.Fatalf("join: %+v, %v; want waiting first, about an hour to wait", first, err)
	}
	score := rdb.ZScore(ctx, key.Queue(queue.ID), "bob").Val()
	for range 5 {
		if _, err := store.JoinQueue(ctx, queue.ID, "bob"); err != nil {
			t.Fatal(err)
		}
	}
	if again := rdb.ZScore(ctx, key.Queue(queue.ID), "bob").Val(); again != score || score >= 1<<52 {
		t.Fatalf("place %v then %v: a repeat must keep the first random place below 2^52", score, again)
	}
}

// TestQueueAdmission: after the start the frontier admits the first places
// at the rate, never more than K x remaining; admitted users get a fixed
// expiry; the rest wait in order; sold out tells every waiting user at once;
// units that come back admit more.
func TestQueueAdmission(t *testing.T) {
	ctx := context.Background()
	b := start(t)
	store, rdb := b.Store(t), b.AdminClient(t)
	const users = 20
	a := queueActivity(t, store, 3, 1500*time.Millisecond, 1000)
	for i := range users {
		if _, err := store.JoinQueue(ctx, a.ID, fmt.Sprintf("u%02d", i)); err != nil {
			t.Fatal(err)
		}
	}
	if st, err := store.AdvanceQueue(ctx, a.ID); err != nil || st.Frontier != 0 {
		t.Fatalf("advance before the start: %+v, %v; want nothing admitted", st, err)
	}
	redistest.WaitRedisTime(t, store, a.StartsAt.Add(20*time.Millisecond))
	late, err := store.JoinQueue(ctx, a.ID, "late")
	if err != nil || late.Position != users+1 {
		t.Fatalf("join after the start: %+v, %v; want behind the %d earlier joiners", late, err, users)
	}
	st, err := store.AdvanceQueue(ctx, a.ID)
	if err != nil || st.Frontier != redislib.QueueBound*3 {
		t.Fatalf("advance: %+v, %v; want frontier %d (K x remaining)", st, err, redislib.QueueBound*3)
	}
	counts := map[string]int{}
	var admittedUser string
	for i := range users {
		user := fmt.Sprintf("u%02d", i)
		s, err := store.QueueStatusOf(ctx, a.ID, user)
		if err != nil {
			t.Fatal(err)
		}
		counts[s.Status]++
		switch s.Status {
		case sale.QueueAdmitted:
			admittedUser = user
			if s.ExpiresAt.Sub(*s.AdmittedAt) != sale.DefaultAdmissionTTL*time.Second {
				t.Fatalf("%s admitted %v until %v", user, s.AdmittedAt, s.ExpiresAt)
			}
		case sale.QueueWaiting:
			if s.Position < 1 || s.Position > users-6 || s.Ahead != s.Position-1 {
				t.Fatalf("%s waiting: %+v", user, s)
			}
		}
	}
	if counts[sale.QueueAdmitted] != 6 || counts[sale.QueueWaiting] != users-6 {
		t.Fatalf("statuses %v, want 6 admitted and %d waiting", counts, users-6)
	}
	if n, err := store.QueueLength(ctx, a.ID); err != nil || n != (sale.QueueLength{Joined: users + 1, Admitted: 6, Waiting: users + 1 - 6, AdmitRate: 1000}) {
		t.Fatalf("queue length: %+v, %v", n, err)
	}
	first, _ := store.QueueStatusOf(ctx, a.ID, admittedUser)
	time.Sleep(5 * time.Millisecond)
	if again, _ := store.QueueStatusOf(ctx, a.ID, admittedUser); !again.ExpiresAt.Equal(*first.ExpiresAt) {
		t.Fatalf("expiry moved from %v to %v", first.ExpiresAt, again.ExpiresAt)
	}

	// Sold out: the admitted buy, everyone else is told at once.
	for i := range users {
		user := fmt.Sprintf("u%02d", i)
		if s, _ := store.QueueStatusOf(ctx, a.ID, user); s.Status == sale.QueueAdmitted {
			if _, err := store.PurchaseAdmitted(ctx, a.ID, user, sale.Rate{}, sale.AdmissionQueue); err != nil {
				t.Fatal(err)
			}
		}
	}
	if st, err := store.AdvanceQueue(ctx, a.ID); err != nil || !st.SoldOut {
		t.Fatalf("advance once sold out: %+v, %v", st, err)
	}
	if s, _ := store.QueueStatusOf(ctx, a.ID, "late"); s.Status != sale.QueueSoldOut {
		t.Fatalf("waiting user once sold out: %+v", s)
	}
	if n, err := store.QueueLength(ctx, a.ID); err != nil || !n.SoldOut || n.Waiting != users+1-6 {
		t.Fatalf("queue length once sold out: %+v, %v", n, err)
	}
	if s, _ := store.QueueStatusOf(ctx, a.ID, admittedUser); s.Status != sale.QueueAdmitted {
		t.Fatalf("admitted user once sold out: %+v, want still admitted", s)
	}
	// Two units come back: the mark clears; of the 6 admitted within the
	// window 3 bought, so the frontier may pass one more place (3 + 1 <= 2 x 2).
	if _, err := store.AdjustStock(ctx, a.ID, 2); err != nil {
		t.Fatal(err)
	}
	st, err = store.AdvanceQueue(ctx, a.ID)
	if err != nil || st.SoldOut || st.Frontier != 7 {
		t.Fatalf("advance after units came back: %+v, %v; want frontier 7", st, err)
	}
	if n := rdb.HLen(ctx, key.QueueAdmitted(a.ID)).Val(); n != 6 {
		t.Fatalf("%d admission times recorded, want 6 (only on first sight)", n)
	}
}

// TestQueueAdmissionExpires: an admission ends admission_ttl after the
// frontier passed the place; a turn passed longer ago than that, never
// looked at, is over too.
func TestQueueAdmissionExpires(t *testing.T) {
	ctx := context.Background()
	b := start(t)
	store, rdb := b.Store(t), b.AdminClient(t)
	a := queueActivity(t, store, 100, -time.Second, 1000)
	// One second, below the API's minimum, so that the test is short.
	rdb.HSet(ctx, key.Activity(a.ID), "admission_ttl", 1)
	for _, u := range []string{"seen", "away"} {
		if _, err := store.JoinQueue(ctx, a.ID, u); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := store.AdvanceQueue(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	seen, err := store.QueueStatusOf(ctx, a.ID, "seen")
	if err != nil || seen.Status != sale.QueueAdmitted {
		t.Fatalf("seen: %+v, %v", seen, err)
	}
	redistest.WaitRedisTime(t, store, seen.ExpiresAt.Add(10*time.Millisecond))
	// The frontier's log is trimmed past the window on the next move.
	if _, err := store.JoinQueue(ctx, a.ID, "third"); err != nil {
		t.Fatal(err)
	}
	if _, err := store.AdvanceQueue(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"seen", "away"} {
		if s, err := store.QueueStatusOf(ctx, a.ID, u); err != nil || s.Status != sale.QueueExpired {
			t.Fatalf("%s after the ttl: %+v, %v; want expired", u, s, err)
		}
	}
	if s, err := store.QueueStatusOf(ctx, a.ID, "third"); err != nil || s.Status != sale.QueueAdmitted {
		t.Fatalf("third: %+v, %v; want admitted", s, err)
	}
}

// TestQueueJoinRace: many joins at once, each user several times, before
// and after the start: one place per user, pre-start places below 2^52,
// post-start places 2^52 + 1..n with no gap and no repeat.
func TestQueueJoinRace(t *testing.T) {
	ctx := context.Background()
	b := start(t)
	store, rdb := b.Store(t), b.AdminClient(t)
	other := b.Store(t)
	const users, repeats = 100, 3
	a := queueActivity(t, store, 10, 1500*time.Millisecond, 1)
	join := func(prefix string) {
		var wg sync.WaitGroup
		for i := range users * repeats {
			wg.Add(1)
			go func() {
				defer wg.Done()
				s := store
				if i%2 == 1 {
					s = other
				}
				if _, err := s.JoinQueue(ctx, a.ID, fmt.Sprintf("%s%d", prefix, i%users)); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
	}
	join("pre")
	redistest.WaitRedisTime(t, store, a.StartsAt)
	join("post")
	places := rdb.ZRangeWithScores(ctx, key.Queue(a.ID), 0, -1).Val()
	if len(places) != 2*users {
		t.Fatalf("%d places, want %d", len(places), 2*users)
	}
	seen := map[float64]bool{}
	for i, p := range places {
		switch {
		case i < users && p.Score >= 1<<52:
			t.Fatalf("pre-start place %v of %v not below 2^52", p.Score, p.Member)
		case i >= users && (p.Score <= 1<<52 || p.Score > 1<<52+users || seen[p.Score]):
			t.Fatalf("post-start place %v of %v", p.Score, p.Member)
		}
		seen[p.Score] = true
	}
}

// TestQueueAdvanceRace: moves of the frontier from two processes at once
// sum to exactly one admission per place, capped at K x remaining.
func TestQueueAdvanceRace(t *testing.T) {
	ctx := context.Background()
	b := start(t)
	stores := []*redislib.Store{b.Store(t), b.Store(t)}
	a := queueActivity(t, stores[0], 40, -time.Second, 1_000_000)
	for i := range 200 {
		if _, err := stores[0].JoinQueue(ctx, a.ID, fmt.Sprintf("u%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := stores[i%2].AdvanceQueues(ctx); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	st, err := stores[0].AdvanceQueue(ctx, a.ID)
	if err != nil || st.Frontier != redislib.QueueBound*40 {
		t.Fatalf("frontier %+v, %v; want exactly %d", st, err, redislib.QueueBound*40)
	}
	admitted := 0
	for i := range 200 {
		if s, _ := stores[1].QueueStatusOf(ctx, a.ID, fmt.Sprintf("u%d", i)); s.Status == sale.QueueAdmitted {
			admitted++
		}
	}
	if admitted != redislib.QueueBound*40 {
		t.Fatalf("%d admitted, want %d", admitted, redislib.QueueBound*40)
	}
}
