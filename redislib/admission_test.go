package redislib_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sync"
	"testing"
	"time"

	"seckill/redislib"
	"seckill/redislib/redistest"
	"seckill/redislib/sale"
)

func TestAdmissionRules(t *testing.T) {
	start := time.Now().Add(time.Hour)
	end := start.Add(2 * time.Hour)
	at := func(d time.Duration) *time.Time { v := start.Add(d); return &v }
	n := func(v int64) *int64 { return &v }
	base := func(s sale.AdmissionSettings) sale.NewActivity {
		return sale.NewActivity{ProductID: "p1", Stock: 10, Price: 100, StartsAt: start, EndsAt: end, PaymentWindow: 60, Buckets: 1,
			AdmissionSettings: s}
	}
	tests := []struct {
		name string
		in   sale.AdmissionSettings
		want string
	}{
		{"open by default", sale.AdmissionSettings{}, ""},
		{"open", sale.AdmissionSettings{Admission: "open"}, ""},
		{"unknown mode", sale.AdmissionSettings{Admission: "lottery"}, sale.CodeInvalidAdmission},
		{"open with a queue setting", sale.AdmissionSettings{Admission: "open", AdmitRate: n(5)}, sale.CodeInvalidAdmission},
		{"no mode with a draw setting", sale.AdmissionSettings{DrawAt: at(time.Minute)}, sale.CodeInvalidAdmission},
		{"queue", sale.AdmissionSettings{Admission: "queue", QueueOpensAt: at(-time.Minute), AdmitRate: n(5)}, ""},
		{"queue with ttl", sale.AdmissionSettings{Admission: "queue", QueueOpensAt: at(-time.Minute), AdmitRate: n(5), AdmissionTTL: n(10)}, ""},
		{"queue without opening", sale.AdmissionSettings{Admission: "queue", AdmitRate: n(5)}, sale.CodeMissingSetting},
		{"queue without rate", sale.AdmissionSettings{Admission: "queue", QueueOpensAt: at(-time.Minute)}, sale.CodeMissingSetting},
		{"queue opening at start", sale.AdmissionSettings{Admission: "queue", QueueOpensAt: at(0), AdmitRate: n(5)}, sale.CodeInvalidTimeRange},
		{"queue rate 0", sale.AdmissionSettings{Admission: "queue", QueueOpensAt: at(-time.Minute), AdmitRate: n(0)}, sale.CodeInvalidAdmission},
		{"queue ttl too short", sale.AdmissionSettings{Admission: "queue", QueueOpensAt: at(-time.Minute), AdmitRate: n(1), AdmissionTTL: n(9)}, sale.CodeInvalidAdmission},
		{"queue ttl too long", sale.AdmissionSettings{Admission: "queue", QueueOpensAt: at(-time.Minute), AdmitRate: n(1), AdmissionTTL: n(3601)}, sale.CodeInvalidAdmission},
		{"queue with a draw setting", sale.AdmissionSettings{Admission: "queue", QueueOpensAt: at(-time.Minute), AdmitRate: n(5), DrawAt: at(time.Minute)}, sale.CodeInvalidAdmission},
		{"draw", sale.AdmissionSettings{Admission: "draw", RegistrationOpensAt: at(-time.Hour), DrawAt: at(0)}, ""},
		{"draw without draw_at", sale.AdmissionSettings{Admission: "draw", RegistrationOpensAt: at(-time.Hour)}, sale.CodeMissingSetting},
		{"draw without registration", sale.AdmissionSettings{Admission: "draw", DrawAt: at(0)}, sale.CodeMissingSetting},
		{"draw registration after draw", sale.AdmissionSettings{Admission: "draw", RegistrationOpensAt: at(time.Minute), DrawAt: at(0)}, sale.CodeInvalidTimeRange},
		{"draw before start", sale.AdmissionSettings{Admission: "draw", RegistrationOpensAt: at(-time.Hour), DrawAt: at(-time.Minute)}, sale.CodeInvalidTimeRange},
		{"draw at the end", sale.AdmissionSettings{Admission: "draw", RegistrationOpensAt: at(-time.Hour), DrawAt: at(2 * time.Hour)}, sale.CodeInvalidTimeRange},
		{"draw with a queue setting", sale.AdmissionSettings{Admission: "draw", RegistrationOpensAt: at(-time.Hour), DrawAt: at(0), AdmitRate: n(1)}, sale.CodeInvalidAdmission},
	}
	for _, tt := range tests {
		mustRule(t, base(tt.in).Validate(), tt.want, tt.name)
	}
	// A change is checked on its own; its fit with the stored activity is
	// the update script's to check.
	for _, tt := range []struct {
		name string
		ch   sale.ActivityChanges
		want string
	}{
		{"mode alone", sale.ActivityChanges{AdmissionSettings: sale.AdmissionSettings{Admission: "draw"}}, ""},
		{"rate alone", sale.ActivityChanges{AdmissionSettings: sale.AdmissionSettings{AdmitRate: n(3)}}, ""},
		{"bad rate", sale.ActivityChanges{AdmissionSettings: sale.AdmissionSettings{AdmitRate: n(-1)}}, sale.CodeInvalidAdmission},
		{"two modes' settings", sale.ActivityChanges{AdmissionSettings: sale.AdmissionSettings{AdmitRate: n(3), DrawAt: at(0)}}, sale.CodeInvalidAdmission},
		{"bad mode", sale.ActivityChanges{AdmissionSettings: sale.AdmissionSettings{Admission: "x"}}, sale.CodeInvalidAdmission},
	} {
		mustRule(t, tt.ch.Validate(), tt.want, tt.name)
	}
}

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
	seed, err := rdb.HGet(ctx, redistest.ActivityKey(draw.ID), "seed").Result()
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
	if left, _ := rdb.HExists(ctx, redistest.ActivityKey(a.ID), "admit_rate").Result(); left {
		t.Fatal("the queue's settings are still stored after the switch to draw")
	}
	if _, err := update(sale.AdmissionSettings{}, at(90*time.Minute)); sale.ErrorCode(err) != sale.CodeInvalidTimeRange {
		t.Fatalf("ends_at before draw_at: %v, want invalid_time_range", err)
	}
	// Every stock bucket learns the mode.
	for k := 1; k < 3; k++ {
		if m, _ := rdb.HGet(ctx, redislib.BucketMetaKey(a.ID, k), "admission").Result(); m != "draw" {
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
	if n, _ := rdb.HLen(ctx, redistest.BuyersKey(draw.ID)).Result(); n != 1 {
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

// mustRule checks that err has the code want ("" for no error).
func mustRule(t *testing.T, err error, want string, input any) {
	t.Helper()
	if got := sale.ErrorCode(err); got != want || (want == "") != (err == nil) {
		t.Errorf("%v: error %v (code %q), want code %q", input, err, got, want)
	}
}
