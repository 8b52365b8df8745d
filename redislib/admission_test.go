package redislib_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sync"
	"testing"
	"time"

	"seckill/redislib/internal/key"
	"seckill/redislib/redistest"
	"seckill/redislib/sale"
)

func TestCreateAdmissionModes(t *testing.T) {
	ctx := context.Background()
	b := start(t)
	store, rdb := b.Store(t), b.AdminClient(t)

	open := redistest.MustActivity(t, store, 5)
	if open.Admission != sale.AdmissionOpen || open.QueueOpensAt != nil || open.SeedHash != "" {
		t.Fatalf("open activity = %+v", open.AdmissionInfo)
	}
	queue := redistest.MustActivity(t, store, 5, redistest.Window(time.Hour, 2*time.Hour), redistest.Queue(time.Minute, 7))
	if queue.Admission != sale.AdmissionQueue || queue.QueueOpensAt == nil || queue.AdmitRate != 7 ||
		queue.AdmissionTTL != sale.DefaultAdmissionTTL || queue.DrawAt != nil {
		t.Fatalf("queue activity = %+v", queue.AdmissionInfo)
	}

	// The commitment is public once registration opens, the seed only once
	// the draw is done.
	later := redistest.MustActivity(t, store, 5, redistest.Window(time.Hour, 2*time.Hour), redistest.Draw(time.Minute, 90*time.Minute))
	if later.Admission != sale.AdmissionDraw || later.SeedHash != "" || later.Seed != "" || later.DrawStatus != sale.DrawPending {
		t.Fatalf("draw before registration = %+v", later.AdmissionInfo)
	}
	draw := redistest.MustActivity(t, store, 5, redistest.Window(time.Hour, 2*time.Hour), redistest.Draw(-time.Minute, 90*time.Minute))
	seed, err := rdb.HGet(ctx, key.Activity(draw.ID), "seed").Result()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := hex.DecodeString(seed)
	sum := sha256.Sum256(raw)
	if err != nil || len(raw) != sale.SeedBytes || draw.SeedHash != hex.EncodeToString(sum[:]) || draw.Seed != "" {
		t.Fatalf("draw = %+v with stored seed %q: want seed_hash = SHA-256 of 32 seed bytes, seed hidden", draw.AdmissionInfo, seed)
	}
	// The seed stays out of the audit trail.
	entries, err := store.ActivityAudit(ctx, draw.ID, sale.PageQuery{Limit: 10})
	if err != nil || len(entries.Items) != 1 {
		t.Fatalf("audit = %+v, %v", entries, err)
	}
	if _, ok := entries.Items[0].After["seed"]; ok || entries.Items[0].After["admission"] != "draw" {
		t.Fatalf("create audit after = %v: want the admission without the seed", entries.Items[0].After)
	}
}

func TestUpdateAdmissionUntilStart(t *testing.T) {
	ctx := context.Background()
	b := start(t)
	store, rdb := b.Store(t), b.AdminClient(t)
	n := func(v int64) *int64 { return &v }
	at := func(d time.Duration) *time.Time { v := time.Now().Add(d); return &v }
	a := redistest.MustActivity(t, store, 8, redistest.Window(time.Hour, 3*time.Hour), redistest.Buckets(3))
	update := func(s sale.AdmissionSettings, ends *time.Time) (sale.Activity, error) {
		return store.UpdateActivity(ctx, a.ID, sale.ActivityChanges{AdmissionSettings: s, EndsAt: ends})
	}

	if _, err := update(sale.AdmissionSettings{Admission: "queue", AdmitRate: n(4)}, nil); sale.ErrorCode(err) != sale.CodeMissingSetting {
		t.Fatalf("queue without queue_opens_at: %v, want missing_field", err)
	}
	if _, err := update(sale.AdmissionSettings{Admission: "queue", AdmitRate: n(4), QueueOpensAt: at(2 * time.Hour)}, nil); sale.ErrorCode(err) != sale.CodeInvalidTimeRange {
		t.Fatalf("queue opening after the start: %v, want invalid_time_range", err)
	}
	if _, err := update(sale.AdmissionSettings{AdmitRate: n(4)}, nil); sale.ErrorCode(err) != sale.CodeInvalidAdmission {
		t.Fatalf("admit_rate on an open activity: %v, want invalid_admission", err)
	}
	got, err := update(sale.AdmissionSettings{Admission: "queue", AdmitRate: n(4), QueueOpensAt: at(time.Minute)}, nil)
	if err != nil || got.Admission != "queue" || got.AdmitRate != 4 || got.AdmissionTTL != sale.DefaultAdmissionTTL {
		t.Fatalf("to queue: %+v, %v", got.AdmissionInfo, err)
	}
	if got, err = update(sale.AdmissionSettings{AdmissionTTL: n(30)}, nil); err != nil || got.AdmissionTTL != 30 || got.AdmitRate != 4 {
		t.Fatalf("ttl: %+v, %v", got.AdmissionInfo, err)
	}
	if _, err := update(sale.AdmissionSettings{Admission: "draw", RegistrationOpensAt: at(-time.Minute)}, nil); sale.ErrorCode(err) != sale.CodeMissingSetting {
		t.Fatalf("to draw without draw_at: %v, want missing_field (the queue's settings do not carry over)", err)
	}
	got, err = update(sale.AdmissionSettings{Admission: "draw", RegistrationOpensAt: at(-time.Minute), DrawAt: at(2 * time.Hour)}, nil)
	if err != nil || got.Admission != "draw" || got.AdmitRate != 0 || got.QueueOpensAt != nil || got.SeedHash == "" {
		t.Fatalf("to draw: %+v, %v", got.AdmissionInfo, err)
	}
	if left, _ := rdb.HExists(ctx, key.Activity(a.ID), "admit_rate").Result(); left {
		t.Fatal("the queue's settings are still stored after the switch to draw")
	}
	if _, err := update(sale.AdmissionSettings{}, at(90*time.Minute)); sale.ErrorCode(err) != sale.CodeInvalidTimeRange {
		t.Fatalf("ends_at before draw_at: %v, want invalid_time_range", err)
	}
	// Every stock bucket learns the mode.
	for k := 1; k < 3; k++ {
		if m, _ := rdb.HGet(ctx, key.BucketMeta(a.ID, k), "admission").Result(); m != "draw" {
			t.Fatalf("bucket %d admission = %q, want draw", k, m)
		}
	}

	running := redistest.MustActivity(t, store, 1, redistest.Queue(-2*time.Minute, 5))
	_, err = store.UpdateActivity(ctx, running.ID, sale.ActivityChanges{AdmissionSettings: sale.AdmissionSettings{Admission: "open"}})
	if sale.ErrorCode(err) != sale.CodeActivityStarted {
		t.Fatalf("mode change after the start: %v, want activity_started", err)
	}
}

// TestPurchaseNeedsAdmission: in a queue or draw activity only admitted
// attempts buy, in every stock bucket; a refused attempt writes nothing;
// open activities ignore the admission.
func TestPurchaseNeedsAdmission(t *testing.T) {
	ctx := context.Background()
	b := start(t)
	store, rdb := b.Store(t), b.AdminClient(t)
	open := redistest.MustActivity(t, store, 5)
	queue := redistest.MustActivity(t, store, 5, redistest.Queue(-2*time.Minute, 5), redistest.Buckets(2))
	draw := redistest.MustActivity(t, store, 5, redistest.Window(-time.Minute, time.Hour), redistest.Draw(-time.Hour, 0))

	if res, err := store.Purchase(ctx, open.ID, "u1", sale.Rate{}); err != nil || res.Outcome != sale.OutcomeWon {
		t.Fatalf("open, not admitted: %+v, %v", res, err)
	}
	for id, mode := range map[string]string{queue.ID: sale.AdmissionQueue, draw.ID: sale.AdmissionDraw} {
		for i := range 4 { // users in both buckets of the queue
			user := fmt.Sprintf("u%d", i)
			if res, err := store.Purchase(ctx, id, user, sale.Rate{}); err != nil || res.Outcome != sale.OutcomeAdmissionRequired {
				t.Fatalf("%s, %s not admitted: %+v, %v", id, user, res, err)
			}
		}
		a, err := store.Activity(ctx, id)
		if err != nil || a.Sold != 0 {
			t.Fatalf("after refused attempts: %+v, %v; want nothing sold", a, err)
		}
		other := sale.AdmissionDraw
		if mode == other {
			other = sale.AdmissionQueue
		}
		if res, err := store.PurchaseAdmitted(ctx, id, "u1", sale.Rate{}, other); err != nil || res.Outcome != sale.OutcomeAdmissionRequired {
			t.Fatalf("%s, admitted by %s: %+v, %v; want admission_required", id, other, res, err)
		}
		if res, err := store.PurchaseAdmitted(ctx, id, "u1", sale.Rate{}, mode); err != nil || res.Outcome != sale.OutcomeWon {
			t.Fatalf("%s, admitted: %+v, %v", id, res, err)
		}
		// A winner's repeat needs no admission to learn it holds a unit.
		if res, err := store.Purchase(ctx, id, "u1", sale.Rate{}); err != nil || res.Outcome != sale.OutcomeAlreadyWon {
			t.Fatalf("%s, winner's repeat: %+v, %v", id, res, err)
		}
	}
	if n, _ := rdb.HLen(ctx, key.BucketBuyers(draw.ID, 0)).Result(); n != 1 {
		t.Fatalf("draw buyers = %d, want 1", n)
	}
}

// TestAdmittedPurchasesRace: admitted and refused attempts at once on a
// queue activity of two buckets sell exactly the stock, to admitted users
// only.
func TestAdmittedPurchasesRace(t *testing.T) {
	ctx := context.Background()
	store := start(t).Store(t)
	const stock, users = 40, 200
	a := redistest.MustActivity(t, store, stock, redistest.Queue(-2*time.Minute, 5), redistest.Buckets(2))
	var mu sync.Mutex
	won := map[string]bool{}
	var wg sync.WaitGroup
	for i := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			user := fmt.Sprintf("r%d", i)
			admitted := i%2 == 0
			by := ""
			if admitted {
				by = sale.AdmissionQueue
			}
			res, err := store.PurchaseAdmitted(ctx, a.ID, user, sale.Rate{}, by)
			if err != nil {
				t.Errorf("%s: %v", user, err)
				return
			}
			switch {
			case !admitted && res.Outcome != sale.OutcomeAdmissionRequired:
				t.Errorf("%s not admitted: %s, want admission_required", user, res.Outcome)
			case admitted && res.Outcome == sale.OutcomeWon:
				mu.Lock()
				won[user] = true
				mu.Unlock()
			case admitted && res.Outcome != sale.OutcomeSoldOut:
				t.Errorf("%s admitted: %s", user, res.Outcome)
			}
		}()
	}
	wg.Wait()
	after, err := store.Activity(ctx, a.ID)
	if err != nil || len(won) != stock || after.Sold != stock || after.Remaining != 0 {
		t.Fatalf("%d winners, activity %+v, %v; want exactly %d sold", len(won), after, err, stock)
	}
}
