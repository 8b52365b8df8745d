package redislib

import (
	"context"
	"strconv"
	"sync"

	"github.com/redis/go-redis/v9"
)

// Once an activity is sold out, nearly every purchase attempt loses: in a
// flash sale that is 99% of the traffic. The purchase script answers those
// without writing, but running a script still costs Redis several times what
// the reads themselves cost. So when this process last saw an activity sold
// out, an attempt first reads, in one MULTI/EXEC (atomic: nothing runs in
// between), exactly what the script's checks before its first write read, and
// answers from that snapshot whenever the script would have answered without
// writing. Only when the snapshot shows a unit the user could win does the
// attempt run the script, which checks everything again atomically and
// decides. An answer from the snapshot is what the script would have answered
// at the moment of the snapshot, so a user who holds an order is always told
// already_won, never sold_out.
//
// The checks below mirror lua/purchase.lua up to its first write and must
// change with it (TestSnapshotAgreesWithScript compares the two).

// soldOutHints remembers the activities this process last saw sold out. It is
// only a hint of which path is cheaper; correctness never depends on it.
type soldOutHints struct{ m sync.Map }

func (h *soldOutHints) has(activityID string) bool { _, ok := h.m.Load(activityID); return ok }
func (h *soldOutHints) set(activityID string)      { h.m.Store(activityID, struct{}{}) }
func (h *soldOutHints) clear(activityID string)    { h.m.Delete(activityID) }

// purchaseFromSnapshot answers an attempt from one atomic read when the
// script would write nothing. decided is false when the attempt could win (or
// the snapshot is not what the script expects): the caller then runs the
// script.
func (s *Store) purchaseFromSnapshot(ctx context.Context, activityID, userID string) (res PurchaseResult, decided bool, err error) {
	multi := redis.NewCmd(ctx, "multi")
	meta := redis.NewCmd(ctx, "hmget", ActivityKey(activityID), "id", "starts_at", "ends_at", "cancelled_at")
	held := redis.NewCmd(ctx, "hget", BuyersKey(activityID), userID)
	now := redis.NewCmd(ctx, "time")
	stock := redis.NewCmd(ctx, "get", StockKey(activityID))
	exec := redis.NewCmd(ctx, "exec")
	if err := s.pipe.ProcessGroup(ctx, multi, meta, held, now, stock, exec); err != nil {
		return res, false, storeErr(err)
	}
	if err := exec.Err(); err != nil {
		return res, false, storeErr(err)
	}
	r, ok := exec.Val().([]any)
	if !ok || len(r) != 4 {
		return res, false, nil
	}
	a, ok := r[0].([]any)
	if !ok || len(a) != 4 {
		return res, false, nil
	}
	if a[0] == nil {
		return res, true, Errorf(CodeActivityNotFound, "activity %s not found", activityID)
	}
	if order, ok := r[1].(string); ok {
		return PurchaseResult{Outcome: OutcomeAlreadyWon, OrderID: order}, true, nil
	}
	if c, _ := a[3].(string); c != "0" {
		return PurchaseResult{Outcome: OutcomeCancelled}, true, nil
	}
	t, ok := r[2].([]any)
	if !ok || len(t) != 2 {
		return res, false, nil
	}
	sec, err1 := strconv.ParseInt(asString(t[0]), 10, 64)
	usec, err2 := strconv.ParseInt(asString(t[1]), 10, 64)
	startsAt, err3 := strconv.ParseInt(asString(a[1]), 10, 64)
	endsAt, err4 := strconv.ParseInt(asString(a[2]), 10, 64)
	if err1 != nil || err2 != nil || err3 != nil || err4 != nil {
		return res, false, nil
	}
	switch ms := sec*1000 + usec/1000; {
	case ms < startsAt:
		return PurchaseResult{Outcome: OutcomeNotStarted}, true, nil
	case ms >= endsAt:
		return PurchaseResult{Outcome: OutcomeEnded}, true, nil
	}
	left, err := strconv.ParseInt(asString(r[3]), 10, 64)
	if err != nil || left > 0 {
		return res, false, nil
	}
	return PurchaseResult{Outcome: OutcomeSoldOut}, true, nil
}

// asString returns a reply element as a string ("" for nil or other kinds).
func asString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	}
	return ""
}
