package redislib

import (
	"context"
	"fmt"
	"seckill/redislib/internal/key"
	"seckill/redislib/sale"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

const (
	// pinLifetime is how long a move of an activity to another product may
	// take between claiming the product and changing the activity.
	pinLifetime = 10 * time.Second
	// pinClockSkew is how far the clocks of two Redis nodes (the catalog's and
	// an activity's, on a cluster) may disagree without a product being
	// deleted while an activity moves to it.
	pinClockSkew = 5 * time.Second
	// readBatch is how many activities one pipeline reads.
	readBatch = 100
)

// ListProducts returns one page of the live (not deleted) products, newest first.
func (s *Store) ListProducts(ctx context.Context, q sale.PageQuery) (sale.Page[sale.Product], error) {
	return listPage(ctx, s, key.ProductsIndex(), q, s.loadProducts, func(p sale.Product) bool { return !p.Deleted })
}

// loadProducts reads products by ID; unknown IDs are left out.
func (s *Store) loadProducts(ctx context.Context, ids []string) (map[string]sale.Product, error) {
	cmds := make([]*redis.MapStringStringCmd, len(ids))
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range ids {
			cmds[i] = p.HGetAll(ctx, key.Product(id))
		}
		return nil
	})
	if err != nil {
		return nil, storeErr(err)
	}
	out := make(map[string]sale.Product, len(ids))
	for i, id := range ids {
		if h := cmds[i].Val(); len(h) > 0 {
			out[id] = productFromHash(h)
		}
	}
	return out, nil
}

// Replies of product_update.lua.
const (
	productUpdateUpdated  = 1
	productUpdateNotFound = 2
	productUpdateDeleted  = 3
)

// UpdateProduct changes fields of a live product and returns it as changed.
func (s *Store) UpdateProduct(ctx context.Context, id string, ch sale.ProductChanges) (sale.Product, error) {
	if err := sale.CheckID("product_id", id); err != nil {
		return sale.Product{}, err
	}
	if err := ch.Validate(); err != nil {
		return sale.Product{}, err
	}
	args := []any{sale.ActorOf(ctx)}
	if ch.Name != nil {
		args = append(args, "name", *ch.Name)
	}
	if ch.Description != nil {
		args = append(args, "description", *ch.Description)
	}
	if ch.Price != nil {
		args = append(args, "price", *ch.Price)
	}
	reply, err := productUpdateScript.Run(ctx, s.pipe, []string{key.Product(id), key.ProductAudit(id)}, args...).Slice()
	if err != nil {
		return sale.Product{}, storeErr(err)
	}
	code, ok := replyInt(reply, 0)
	if !ok {
		return sale.Product{}, fmt.Errorf("product_update: unexpected reply %v", reply)
	}
	switch code {
	case productUpdateUpdated:
		if len(reply) == 2 {
			if h, ok := flatHash(reply[1]); ok {
				return productFromHash(h), nil
			}
		}
		return sale.Product{}, fmt.Errorf("product_update: unexpected reply %v", reply)
	case productUpdateNotFound:
		return sale.Product{}, sale.Errorf(sale.CodeProductNotFound, "product %s not found", id)
	case productUpdateDeleted:
		return sale.Product{}, sale.Errorf(sale.CodeProductIsDeleted, "product %s is deleted and can no longer change", id)
	default:
		return sale.Product{}, fmt.Errorf("product_update: unexpected reply %v", reply)
	}
}

// Replies of product_delete.lua.
const (
	productDeleteDeleted        = 1
	productDeleteNotFound       = 2
	productDeleteAlreadyDeleted = 3
	productDeleteInUse          = 4
)

// DeleteProduct soft-deletes a product: it leaves the product listing but
// stays readable, with deleted true. Deleting a deleted product changes
// nothing and answers it again.
//
// A product is in use, and is not deleted (product_in_use), while any of its
// activities is neither ended nor cancelled. That includes a sold-out
// activity: order cancellations and expired payment windows return units to
// its stock, so it can sell again until it ends. Ended and cancelled are
// final (neither can be undone, and an ended activity cannot be changed), so
// once the check has seen an activity in one of them it stays out of use.
//
// The activities live in other slots than the product, so the check reads the
// product's activities (a snapshot), reads each activity in its own slot, and
// then product_delete.lua deletes the product only if no activity was
// registered and no move to the product began since the snapshot.
func (s *Store) DeleteProduct(ctx context.Context, id string) (sale.Product, error) {
	if err := sale.CheckID("product_id", id); err != nil {
		return sale.Product{}, err
	}
	var prod, ends *redis.MapStringStringCmd
	var members *redis.StringSliceCmd
	var now *redis.TimeCmd
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		prod = p.HGetAll(ctx, key.Product(id))
		members = p.SMembers(ctx, key.ProductActivities(id))
		ends = p.HGetAll(ctx, key.ProductActivityEnds(id))
		now = p.Time(ctx)
		return nil
	})
	if err != nil {
		return sale.Product{}, storeErr(err)
	}
	if len(prod.Val()) == 0 {
		return sale.Product{}, sale.Errorf(sale.CodeProductNotFound, "product %s not found", id)
	}
	if p := productFromHash(prod.Val()); p.Deleted {
		return p, nil
	}
	snapshot := now.Val().UnixMilli()
	busy, err := s.activityInUse(ctx, id, members.Val(), ends.Val(), snapshot)
	if err != nil {
		return sale.Product{}, err
	}
	if busy != "" {
		return sale.Product{}, sale.Errorf(sale.CodeProductInUse, "product %s has activity %s, which is neither ended nor cancelled", id, busy)
	}
	keys := []string{key.Product(id), key.ProductsIndex(), key.ProductActivities(id), key.ProductPins(id), key.ProductAudit(id)}
	reply, err := productDeleteScript.Run(ctx, s.pipe, keys, len(members.Val()), snapshot-pinClockSkew.Milliseconds(),
		sale.ActorOf(ctx)).Slice()
	if err != nil {
		return sale.Product{}, storeErr(err)
	}
	code, ok := replyInt(reply, 0)
	if !ok {
		return sale.Product{}, fmt.Errorf("product_delete: unexpected reply %v", reply)
	}
	switch code {
	case productDeleteDeleted, productDeleteAlreadyDeleted:
		return s.Product(ctx, id)
	case productDeleteNotFound:
		return sale.Product{}, sale.Errorf(sale.CodeProductNotFound, "product %s not found", id)
	case productDeleteInUse:
		return sale.Product{}, sale.Errorf(sale.CodeProductInUse, "product %s got a new activity while it was being deleted", id)
	default:
		return sale.Product{}, fmt.Errorf("product_delete: unexpected reply %v", reply)
	}
}

// activityInUse returns the ID of an activity of the product that is neither
// ended nor cancelled, or "". An activity registered but not written yet is
// in use until the end time it was registered with.
func (s *Store) activityInUse(ctx context.Context, productID string, ids []string, registeredEnds map[string]string, now int64) (string, error) {
	for start := 0; start < len(ids); start += readBatch {
		batch := ids[start:min(start+readBatch, len(ids))]
		acts, err := s.loadActivities(ctx, batch)
		if err != nil {
			return "", err
		}
		for _, aid := range batch {
			a, ok := acts[aid]
			if !ok {
				if ends, found := registeredEnds[aid]; found {
					ms, err := strconv.ParseInt(ends, 10, 64)
					if err != nil {
						return "", fmt.Errorf("product %s holds ends_at %q for activity %s", productID, ends, aid)
					}
					if ms > now {
						return aid, nil
					}
				}
				continue
			}
			// An activity moved to another product no longer uses this one.
			if a.ProductID == productID && a.Status != sale.StatusEnded && a.Status != sale.StatusCancelled {
				return aid, nil
			}
		}
	}
	return "", nil
}

// ListActivities returns one page of activities, newest first; status, when
// not empty, keeps only those with that status, derived at read time.
func (s *Store) ListActivities(ctx context.Context, status string, q sale.PageQuery) (sale.Page[sale.Activity], error) {
	var keep func(sale.Activity) bool
	if status != "" {
		keep = func(a sale.Activity) bool { return a.Status == status }
	}
	return listPage(ctx, s, key.ActivitiesIndex(), q, s.loadActivities, keep)
}

// loadActivities reads activities by ID, each with its stock and the Redis
// time in one atomic script (in its own slot), in one pipeline; an activity
// of several buckets is then read as Activity reads it. Unknown IDs,
// and activities registered but not written yet, are left out.
func (s *Store) loadActivities(ctx context.Context, ids []string) (map[string]sale.Activity, error) {
	if len(ids) == 0 {
		return map[string]sale.Activity{}, nil
	}
	calls := make([]scriptCall, len(ids))
	for i, id := range ids {
		calls[i] = scriptCall{script: activityReadScript, keys: []string{key.Activity(id), key.Stock(id)}}
	}
	cmds, err := runPipelined(ctx, s.rdb, calls)
	if err != nil {
		return nil, storeErr(err)
	}
	out := make(map[string]sale.Activity, len(ids))
	for i, id := range ids {
		reply, err := cmds[i].Slice()
		if err != nil {
			return nil, fmt.Errorf("activity_read: unexpected reply: %w", err)
		}
		if len(reply) != 3 {
			return nil, fmt.Errorf("activity_read: unexpected reply %v", reply)
		}
		h, ok1 := flatHash(reply[0])
		now, ok2 := replyInt(reply, 2)
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("activity_read: unexpected reply %v", reply)
		}
		if len(h) == 0 {
			continue
		}
		// The stock is nil when its key is absent, which reads as none left.
		var n int64
		switch remaining := reply[1].(type) {
		case nil:
		case string:
			var err error
			if n, err = strconv.ParseInt(remaining, 10, 64); err != nil {
				return nil, fmt.Errorf("activity_read: activity %s holds stock %q", id, remaining)
			}
		default:
			return nil, fmt.Errorf("activity_read: unexpected reply %v", reply)
		}
		if shards := hashInt(h, "shards"); shards > 1 {
			a, err := s.bucketedActivity(ctx, id, int(shards))
			if err != nil {
				return nil, err
			}
			out[id] = a
			continue
		}
		out[id] = activityFromHash(h, n, now)
	}
	return out, nil
}

// Replies of activity_update.lua.
const (
	activityUpdateApplied    = 1
	activityUpdateNotFound   = 2
	activityUpdateCancelled  = 3
	activityUpdateEnded      = 4
	activityUpdateStarted    = 5
	activityUpdateTimeRange  = 6
	activityUpdateEndsInPast = 7
	activityUpdateBelowSold  = 8
	activityUpdatePinExpired = 9
	activityUpdateMissing    = 10
	activityUpdateTimeOrder  = 11
	activityUpdateOtherMode  = 12
)

// UpdateActivity changes fields of an activity under the rules of
// activity_update.lua: anything before the start, only ends_at once running,
// nothing once ended or cancelled. Changing stock sets the units offered; the
// remaining stock moves by the same amount, and never below what is sold.
// Moving the activity to another product claims that product first (it must
// exist and not be deleted), so the product cannot be deleted meanwhile.
func (s *Store) UpdateActivity(ctx context.Context, id string, ch sale.ActivityChanges) (sale.Activity, error) {
	if err := sale.CheckID("activity_id", id); err != nil {
		return sale.Activity{}, err
	}
	if err := ch.Validate(); err != nil {
		return sale.Activity{}, err
	}
	deadline := ""
	if ch.ProductID != nil {
		cur, err := s.Activity(ctx, id)
		if err != nil {
			return sale.Activity{}, err
		}
		if cur.ProductID == *ch.ProductID {
			ch.ProductID = nil
		} else {
			token := sale.NewID()
			d, err := s.claimProduct(ctx, *ch.ProductID, id, token)
			if err != nil {
				return sale.Activity{}, err
			}
			// The pin only matters until the update below has run; it expires
			// on its own if this removal fails.
			defer s.rdb.ZRem(context.WithoutCancel(ctx), key.ProductPins(*ch.ProductID), token)
			deadline = strconv.FormatInt(d, 10)
		}
	}
	n, err := s.bucketCount(ctx, id)
	if err != nil {
		return sale.Activity{}, err
	}
	args := []any{opt(ch.ProductID), optInt(ch.Stock), optInt(ch.Price), optTime(ch.StartsAt), optTime(ch.EndsAt),
		optInt(ch.PaymentWindow), deadline, sale.ActorOf(ctx)}
	args = append(append(args, optAdmissionArgs(ch.AdmissionSettings)...), sale.DefaultAdmissionTTL)
	var reply []any
	for try := 0; ; try++ {
		reply, err = activityUpdateScript.Run(ctx, s.pipe, []string{key.Activity(id), key.Stock(id), key.ActivityAudit(id)}, args...).Slice()
		if err != nil {
			return sale.Activity{}, storeErr(err)
		}
		// A smaller stock is removed from bucket 0: with several buckets, the
		// units are first gathered there from the others.
		if code, _ := replyInt(reply, 0); code != activityUpdateBelowSold || n == 1 || try == 3 {
			break
		}
		// A failed gather is a store failure, never the answer that the
		// stock is below what is sold.
		moved, err := s.gatherForCut(ctx, id, n, *ch.Stock)
		if err != nil {
			return sale.Activity{}, err
		}
		if moved == 0 {
			break
		}
	}
	code, ok := replyInt(reply, 0)
	if !ok {
		return sale.Activity{}, fmt.Errorf("activity_update: unexpected reply %v", reply)
	}
	switch code {
	case activityUpdateApplied:
		if n > 1 {
			if err := s.syncBuckets(ctx, id, n); err != nil {
				return sale.Activity{}, err
			}
		}
		return s.Activity(ctx, id)
	case activityUpdateNotFound:
		return sale.Activity{}, sale.Errorf(sale.CodeActivityNotFound, "activity %s not found", id)
	case activityUpdateCancelled:
		return sale.Activity{}, sale.Errorf(sale.CodeActivityCancelled, "activity %s is cancelled and can no longer change", id)
	case activityUpdateEnded:
		return sale.Activity{}, sale.Errorf(sale.CodeActivityEnded, "activity %s has ended and can no longer change", id)
	case activityUpdateStarted:
		field, ok := "", len(reply) == 2
		if ok {
			field, ok = reply[1].(string)
		}
		if !ok {
			return sale.Activity{}, fmt.Errorf("activity_update: unexpected reply %v", reply)
		}
		return sale.Activity{}, sale.Errorf(sale.CodeActivityStarted,
			"activity %s has started: only ends_at may change now, not %s (stock changes through POST /activities/%s/stock)", id, field, id)
	case activityUpdateTimeRange:
		return sale.Activity{}, sale.Errorf(sale.CodeInvalidTimeRange, "starts_at must be before ends_at")
	case activityUpdateEndsInPast:
		return sale.Activity{}, sale.Errorf(sale.CodeEndsInPast, "ends_at must be in the future")
	case activityUpdateBelowSold:
		return sale.Activity{}, sale.Errorf(sale.CodeStockBelowSold, "stock cannot go below the units already sold")
	case activityUpdatePinExpired:
		return sale.Activity{}, sale.Errorf(sale.CodeStoreUnavailable, "the change took too long and was not applied, try again")
	case activityUpdateMissing, activityUpdateTimeOrder, activityUpdateOtherMode:
		return sale.Activity{}, admissionUpdateError(code, reply)
	default:
		return sale.Activity{}, fmt.Errorf("activity_update: unexpected reply %v", reply)
	}
}

// Replies of product_claim.lua.
const (
	productClaimPinned   = 1
	productClaimNotFound = 2
	productClaimDeleted  = 3
)

// claimProduct pins productID for a move of the activity and returns the
// pin's deadline (ms).
func (s *Store) claimProduct(ctx context.Context, productID, activityID, token string) (int64, error) {
	keys := []string{key.Product(productID), key.ProductActivities(productID), key.ProductPins(productID)}
	reply, err := productClaimScript.Run(ctx, s.pipe, keys, activityID, token, pinLifetime.Milliseconds()).Slice()
	if err != nil {
		return 0, storeErr(err)
	}
	code, ok := replyInt(reply, 0)
	if !ok {
		return 0, fmt.Errorf("product_claim: unexpected reply %v", reply)
	}
	switch code {
	case productClaimPinned:
		deadline, ok := replyInt(reply, 1)
		if !ok {
			return 0, fmt.Errorf("product_claim: unexpected reply %v", reply)
		}
		return deadline, nil
	case productClaimNotFound:
		return 0, sale.Errorf(sale.CodeUnknownProduct, "product %s does not exist", productID)
	case productClaimDeleted:
		return 0, sale.Errorf(sale.CodeProductDeleted, "product %s is deleted", productID)
	default:
		return 0, fmt.Errorf("product_claim: unexpected reply %v", reply)
	}
}

// Replies of activity_stock.lua.
const (
	activityStockApplied    = 1
	activityStockNotFound   = 2
	activityStockCancelled  = 3
	activityStockEnded      = 4
	activityStockBelowSold  = 5
	activityStockOutOfRange = 6
)

// AdjustStock adds delta units to the activity's stock (a negative delta
// removes unsold units) and returns the activity after the change. The
// offered and remaining stock move together; the result never goes below
// the units already sold (stock_below_sold) and stays within 1..MaxStock
// (stock_out_of_range). Ended and cancelled activities do not change. With
// several buckets, units are added to bucket 0 (the others refill from it when
// they run out) and removed from it, after gathering them there.
func (s *Store) AdjustStock(ctx context.Context, id string, delta int64) (sale.Activity, error) {
	if err := sale.CheckID("activity_id", id); err != nil {
		return sale.Activity{}, err
	}
	if err := sale.CheckStockDelta(delta); err != nil {
		return sale.Activity{}, err
	}
	n, err := s.bucketCount(ctx, id)
	if err != nil {
		return sale.Activity{}, err
	}
	var reply []any
	for try := 0; ; try++ {
		reply, err = activityStockScript.Run(ctx, s.pipe, []string{key.Activity(id), key.Stock(id), key.ActivityAudit(id)},
			delta, sale.MaxStock, sale.ActorOf(ctx)).Slice()
		if err != nil {
			return sale.Activity{}, storeErr(err)
		}
		// Units are added to and removed from bucket 0: with several
		// buckets, units to remove are first gathered there from the others.
		code, _ := replyInt(reply, 0)
		if code != activityStockBelowSold || n == 1 || try == 3 {
			break
		}
		left, ok := replyInt(reply, 2)
		if !ok {
			return sale.Activity{}, fmt.Errorf("activity_stock: unexpected reply %v", reply)
		}
		moved, err := s.gather(ctx, id, n, 0, -delta-left)
		if err != nil {
			return sale.Activity{}, err
		}
		if moved == 0 {
			break
		}
	}
	code, ok := replyInt(reply, 0)
	if !ok {
		return sale.Activity{}, fmt.Errorf("activity_stock: unexpected reply %v", reply)
	}
	switch code {
	case activityStockApplied:
		return s.Activity(ctx, id)
	case activityStockNotFound:
		return sale.Activity{}, sale.Errorf(sale.CodeActivityNotFound, "activity %s not found", id)
	case activityStockCancelled:
		return sale.Activity{}, sale.Errorf(sale.CodeActivityCancelled, "activity %s is cancelled; its stock no longer changes", id)
	case activityStockEnded:
		return sale.Activity{}, sale.Errorf(sale.CodeActivityEnded, "activity %s has ended; its stock no longer changes", id)
	case activityStockBelowSold:
		stock, ok1 := replyInt(reply, 1)
		remaining, ok2 := replyInt(reply, 2)
		if !ok1 || !ok2 {
			return sale.Activity{}, fmt.Errorf("activity_stock: unexpected reply %v", reply)
		}
		if n > 1 {
			// The reply counts bucket 0 only.
			a, err := s.Activity(ctx, id)
			if err != nil {
				return sale.Activity{}, err
			}
			stock, remaining = a.Stock, a.Remaining
		}
		return sale.Activity{}, sale.Errorf(sale.CodeStockBelowSold,
			"only %d of the %d units are unsold; the stock cannot go below the %d sold", remaining, stock, stock-remaining)
	case activityStockOutOfRange:
		stock, ok := replyInt(reply, 1)
		if !ok {
			return sale.Activity{}, fmt.Errorf("activity_stock: unexpected reply %v", reply)
		}
		return sale.Activity{}, sale.Errorf(sale.CodeStockOutOfRange, "the stock is %d and must stay from 1 to %d", stock, sale.MaxStock)
	default:
		return sale.Activity{}, fmt.Errorf("activity_stock: unexpected reply %v", reply)
	}
}

// Replies of activity_cancel.lua.
const (
	activityCancelCancelled        = 1
	activityCancelNotFound         = 2
	activityCancelAlreadyCancelled = 3
	activityCancelEnded            = 4
)

// CancelActivity cancels an activity and returns it: no purchase succeeds
// after it (outcome "cancelled"), and orders already made are kept. Cancelling
// a cancelled activity is not an error: it changes nothing and answers the
// activity with its first cancellation time, so a retried request is safe.
// An ended activity cannot be cancelled (activity_ended).
func (s *Store) CancelActivity(ctx context.Context, id string) (sale.Activity, error) {
	if err := sale.CheckID("activity_id", id); err != nil {
		return sale.Activity{}, err
	}
	reply, err := activityCancelScript.Run(ctx, s.pipe, []string{key.Activity(id), key.ActivityAudit(id)}, sale.ActorOf(ctx)).Slice()
	if err != nil {
		return sale.Activity{}, storeErr(err)
	}
	code, ok := replyInt(reply, 0)
	if !ok {
		return sale.Activity{}, fmt.Errorf("activity_cancel: unexpected reply %v", reply)
	}
	switch code {
	case activityCancelCancelled, activityCancelAlreadyCancelled:
		// Every bucket learns of the cancellation before it is answered; a
		// repeated cancel completes one that a crash interrupted.
		if err := s.syncAll(ctx, id); err != nil {
			return sale.Activity{}, err
		}
		return s.Activity(ctx, id)
	case activityCancelNotFound:
		return sale.Activity{}, sale.Errorf(sale.CodeActivityNotFound, "activity %s not found", id)
	case activityCancelEnded:
		return sale.Activity{}, sale.Errorf(sale.CodeActivityEnded, "activity %s has already ended", id)
	default:
		return sale.Activity{}, fmt.Errorf("activity_cancel: unexpected reply %v", reply)
	}
}

func opt(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func optInt(p *int64) string {
	if p == nil {
		return ""
	}
	return strconv.FormatInt(*p, 10)
}

func optTime(p *time.Time) string {
	if p == nil {
		return ""
	}
	return strconv.FormatInt(p.UnixMilli(), 10)
}

// Replies of activity_pause.lua.
const (
	activityPauseApplied   = 1
	activityPauseNotFound  = 2
	activityPauseCancelled = 3
	activityPauseEnded     = 4
	activityPauseUnchanged = 5
)

// PauseActivity pauses (paused true) or resumes an activity and returns it.
// While paused, purchases answer outcome "paused" and nothing is sold; orders
// already made can still be paid or cancelled. Every bucket learns of the
// change before it is answered, so no purchase that reaches Redis after a
// pause is acknowledged wins; a process answering from a sold-out lease
// answers "paused" within soldOutLease. Pausing a paused activity (or resuming
// a running one) changes nothing and is not an error, so a retried request is
// safe. Cancelled and ended activities do not change.
func (s *Store) PauseActivity(ctx context.Context, id string, paused bool) (sale.Activity, error) {
	if err := sale.CheckID("activity_id", id); err != nil {
		return sale.Activity{}, err
	}
	flag := "0"
	if paused {
		flag = "1"
	}
	reply, err := activityPauseScript.Run(ctx, s.pipe, []string{key.Activity(id), key.ActivityAudit(id)}, flag, sale.ActorOf(ctx)).Slice()
	if err != nil {
		return sale.Activity{}, storeErr(err)
	}
	code, ok := replyInt(reply, 0)
	if !ok {
		return sale.Activity{}, fmt.Errorf("activity_pause: unexpected reply %v", reply)
	}
	switch code {
	case activityPauseApplied, activityPauseUnchanged:
		// A repeated request completes a sync that a crash interrupted.
		if err := s.syncAll(ctx, id); err != nil {
			return sale.Activity{}, err
		}
		return s.Activity(ctx, id)
	case activityPauseNotFound:
		return sale.Activity{}, sale.Errorf(sale.CodeActivityNotFound, "activity %s not found", id)
	case activityPauseCancelled:
		return sale.Activity{}, sale.Errorf(sale.CodeActivityCancelled, "activity %s is cancelled and can no longer change", id)
	case activityPauseEnded:
		return sale.Activity{}, sale.Errorf(sale.CodeActivityEnded, "activity %s has ended and can no longer change", id)
	default:
		return sale.Activity{}, fmt.Errorf("activity_pause: unexpected reply %v", reply)
	}
}
