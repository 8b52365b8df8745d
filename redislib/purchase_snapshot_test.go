package redislib_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"seckill/redislib"
	"seckill/redislib/redistest"
)

// TestSnapshotAgreesWithScript puts activities in every state the purchase
// script distinguishes and checks the snapshot read answers exactly what the
// script answers whenever the script writes nothing, and defers to the
// script when the user could win.
func TestSnapshotAgreesWithScript(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Start(t)
	store := srv.Store(t)
	rdb := store.Client()
	past := strconv.FormatInt(time.Now().Add(-time.Minute).UnixMilli(), 10)

	soldOut := redistest.MustActivity(t, store, 1)
	mustPurchaseOutcome(t, store, soldOut.ID, "winner", redislib.OutcomeWon)
	running := redistest.MustActivity(t, store, 5)
	scheduled := redistest.MustActivity(t, store, 1, redistest.Window(time.Hour, 2*time.Hour))
	cancelled := redistest.MustActivity(t, store, 1)
	rdb.HSet(ctx, redislib.ActivityKey(cancelled.ID), "cancelled_at", past)
	cancelledSoldOut := redistest.MustActivity(t, store, 1)
	mustPurchaseOutcome(t, store, cancelledSoldOut.ID, "winner", redislib.OutcomeWon)
	rdb.HSet(ctx, redislib.ActivityKey(cancelledSoldOut.ID), "cancelled_at", past)
	ended := redistest.MustActivity(t, store, 1)
	rdb.HSet(ctx, redislib.ActivityKey(ended.ID), "ends_at", past)
	endedSoldOut := redistest.MustActivity(t, store, 1)
	mustPurchaseOutcome(t, store, endedSoldOut.ID, "winner", redislib.OutcomeWon)
	rdb.HSet(ctx, redislib.ActivityKey(endedSoldOut.ID), "ends_at", past)
	negative := redistest.MustActivity(t, store, 1)
	rdb.Set(ctx, redislib.StockKey(negative.ID), -2, 0)

	tests := []struct {
		name, activity, user string
		wantDecided          bool
	}{
		{"unknown activity", "nosuch", "bob", true},
		{"sold out", soldOut.ID, "bob", true},
		{"winner after sold out", soldOut.ID, "winner", true},
		{"cancelled", cancelled.ID, "bob", true},
		{"winner of a cancelled activity", cancelledSoldOut.ID, "winner", true},
		{"cancelled and sold out", cancelledSoldOut.ID, "bob", true},
		{"not started", scheduled.ID, "bob", true},
		{"ended", ended.ID, "bob", true},
		{"ended and sold out", endedSoldOut.ID, "bob", true},
		{"winner of an ended activity", endedSoldOut.ID, "winner", true},
		{"stock below zero", negative.ID, "bob", true},
		{"running with stock", running.ID, "bob", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			snap, decided, snapErr := store.PurchaseFromSnapshot(ctx, tt.activity, tt.user)
			if decided != tt.wantDecided {
				t.Fatalf("decided = %v (%+v, %v), want %v", decided, snap, snapErr, tt.wantDecided)
			}
			// A new store has no sold-out hint, so this runs the script.
			script, scriptErr := redislib.NewStore(rdb).Purchase(ctx, tt.activity, tt.user)
			if !decided {
				if snapErr != nil || scriptErr != nil || script.Outcome != redislib.OutcomeWon {
					t.Fatalf("undecided snapshot (%v), then script %+v, %v; want won", snapErr, script, scriptErr)
				}
				return
			}
			if snap != script || redislib.ErrorCode(snapErr) != redislib.ErrorCode(scriptErr) || (snapErr == nil) != (scriptErr == nil) {
				t.Fatalf("snapshot %+v, %v; script %+v, %v", snap, snapErr, script, scriptErr)
			}
		})
	}
}

// TestSoldOutHintYieldsToReturnedStock checks that once stock comes back to
// a sold-out activity (an admin adds units, an order expires), the next
// attempts win again: the hint never turns a possible win into sold_out.
func TestSoldOutHintYieldsToReturnedStock(t *testing.T) {
	ctx := context.Background()
	store := redistest.Start(t).Store(t)
	a := redistest.MustActivity(t, store, 1)
	first := mustPurchaseOutcome(t, store, a.ID, "first", redislib.OutcomeWon)
	mustPurchaseOutcome(t, store, a.ID, "second", redislib.OutcomeSoldOut) // sets the hint
	mustPurchaseOutcome(t, store, a.ID, "third", redislib.OutcomeSoldOut)  // answered from a snapshot
	if got := mustPurchaseOutcome(t, store, a.ID, "first", redislib.OutcomeAlreadyWon); got.OrderID != first.OrderID {
		t.Fatalf("winner's repeat answered order %s, want %s", got.OrderID, first.OrderID)
	}
	store.Client().IncrBy(ctx, redislib.StockKey(a.ID), 1)
	mustPurchaseOutcome(t, store, a.ID, "second", redislib.OutcomeWon)
	mustPurchaseOutcome(t, store, a.ID, "third", redislib.OutcomeSoldOut)
}
