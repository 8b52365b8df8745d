package redislib

import (
	"context"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// Order returns the order with the given ID. A pending order whose payment
// window has closed by Redis time reads as expired.
func (s *Store) Order(ctx context.Context, orderID string) (Order, error) {
	act, ok := ActivityOfOrder(orderID)
	if !ok {
		return Order{}, Errorf(CodeOrderNotFound, "order %s not found", orderID)
	}
	orders, err := s.loadOrders(ctx, []string{orderID})
	if err != nil {
		return Order{}, err
	}
	o, found := orders[orderID]
	if !found || o.ActivityID != act {
		return Order{}, Errorf(CodeOrderNotFound, "order %s not found", orderID)
	}
	return o, nil
}

// orderScriptKeys are the keys of order_pay.lua and order_cancel.lua: those
// of the order's bucket k.
func orderScriptKeys(activityID string, k int, orderID string) []string {
	return []string{BucketMetaKey(activityID, k), BucketStockKey(activityID, k), bucketOrderKey(activityID, k, orderID),
		BucketPendingKey(activityID, k), eventsKey(activityID, k)}
}

// PayOrder pays userID's pending order. A payment after the window has closed
// (by Redis time) expires the order instead and fails with order_expired,
// whether or not the expiry job has run.
func (s *Store) PayOrder(ctx context.Context, orderID, userID string) (Order, error) {
	if userID == "" {
		return Order{}, fmt.Errorf("PayOrder: empty user ID")
	}
	act, k, ok := OrderBucket(orderID)
	if !ok {
		return Order{}, Errorf(CodeOrderNotFound, "order %s not found", orderID)
	}
	reply, err := orderPayScript.Run(ctx, s.pipe, orderScriptKeys(act, k, orderID), orderID, userID).Slice()
	if err != nil {
		return Order{}, storeErr(err)
	}
	return orderTransition("order_pay", orderID, reply)
}

// CancelOrder cancels a pending order and returns its unit to stock. When
// admin is false, userID must own the order; when admin is true, userID may
// be empty, and if it is not it must still own the order. A cancel after the
// window has closed expires the order instead and fails with order_expired.
func (s *Store) CancelOrder(ctx context.Context, orderID, userID string, admin bool) (Order, error) {
	if userID == "" && !admin {
		return Order{}, fmt.Errorf("CancelOrder: a user's cancellation needs the user ID")
	}
	act, k, ok := OrderBucket(orderID)
	if !ok {
		return Order{}, Errorf(CodeOrderNotFound, "order %s not found", orderID)
	}
	reply, err := orderCancelScript.Run(ctx, s.pipe, orderScriptKeys(act, k, orderID), orderID, userID).Slice()
	if err != nil {
		return Order{}, storeErr(err)
	}
	return orderTransition("order_cancel", orderID, reply)
}

// Replies of order_pay.lua and order_cancel.lua, which share their codes:
// done is the script's own transition (paid, or cancelled) made now;
// paid, cancelled and expired are the final states that refuse it.
const (
	orderTransitionNotFound      = 0
	orderTransitionDone          = 1
	orderTransitionNotOwner      = 2
	orderTransitionPaid          = 3
	orderTransitionCancelled     = 4
	orderTransitionExpired       = 5
	orderTransitionUnknownStatus = 6
)

// orderTransition maps the reply of order_pay.lua or order_cancel.lua.
func orderTransition(script, orderID string, reply []any) (Order, error) {
	code, ok := replyInt(reply, 0)
	if !ok {
		return Order{}, fmt.Errorf("%s: unexpected reply %v", script, reply)
	}
	switch code {
	case orderTransitionNotFound:
		return Order{}, Errorf(CodeOrderNotFound, "order %s not found", orderID)
	case orderTransitionDone:
		if len(reply) == 2 {
			if h, ok := flatHash(reply[1]); ok {
				return orderFromHash(h, 0), nil
			}
		}
		return Order{}, fmt.Errorf("%s: unexpected reply %v", script, reply)
	case orderTransitionNotOwner:
		return Order{}, Errorf(CodeNotOwner, "order %s belongs to another user", orderID)
	case orderTransitionPaid:
		return Order{}, Errorf(CodeAlreadyPaid, "order %s is already paid", orderID)
	case orderTransitionCancelled:
		return Order{}, Errorf(CodeOrderCancelled, "order %s is cancelled", orderID)
	case orderTransitionExpired:
		return Order{}, Errorf(CodeOrderExpired, "the payment window of order %s has closed; its unit went back to stock", orderID)
	case orderTransitionUnknownStatus:
		// Data this product did not write: an internal error, never the client's.
		return Order{}, fmt.Errorf("%s: order %s holds an unknown status: reply %v", script, orderID, reply)
	default:
		return Order{}, fmt.Errorf("%s: unexpected reply %v", script, reply)
	}
}

// UserOrders lists userID's orders across all activities, newest first.
func (s *Store) UserOrders(ctx context.Context, userID string, q PageQuery) (Page[Order], error) {
	return ListPage(ctx, s, UserOrdersKey(userID), q, s.loadOrders, nil)
}

// ActivityOrders lists an activity's orders, newest first, across all its
// buckets; status, when not empty, keeps only orders in that status (as they
// read now, see Order).
func (s *Store) ActivityOrders(ctx context.Context, activityID, status string, q PageQuery) (Page[Order], error) {
	if status != "" && !ValidOrderStatus(status) {
		return Page[Order]{}, fmt.Errorf("unknown order status %q", status)
	}
	n, err := s.shardsOf(ctx, activityID)
	if err != nil {
		return Page[Order]{}, err
	}
	var keep func(Order) bool
	if status != "" {
		keep = func(o Order) bool { return o.Status == status }
	}
	keys := make([]string, n)
	for k := range n {
		keys[k] = BucketOrdersKey(activityID, k)
	}
	return listPageKeys(ctx, s, keys, q, s.loadOrders, keep)
}

// loadOrders reads the named orders in one pipeline, with the Redis time that
// decides whether a pending order reads as expired. IDs whose order hash is
// missing, or that are not order IDs, are left out.
func (s *Store) loadOrders(ctx context.Context, ids []string) (map[string]Order, error) {
	cmds := make([]*redis.MapStringStringCmd, len(ids))
	var now *redis.TimeCmd
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		now = p.Time(ctx)
		for i, id := range ids {
			if act, k, ok := OrderBucket(id); ok {
				cmds[i] = p.HGetAll(ctx, bucketOrderKey(act, k, id))
			}
		}
		return nil
	})
	if err != nil {
		return nil, storeErr(err)
	}
	ms := now.Val().UnixMilli()
	orders := make(map[string]Order, len(ids))
	for i, c := range cmds {
		if c != nil && len(c.Val()) > 0 {
			orders[ids[i]] = orderFromHash(c.Val(), ms)
		}
	}
	return orders, nil
}

// Replies of order_stats.lua.
const (
	orderStatsNotFound = 0
	orderStatsFound    = 1
)

// ActivityStats returns an activity's stock and order counters, read in one
// atomic step.
func (s *Store) ActivityStats(ctx context.Context, activityID string) (ActivityStats, error) {
	n, err := s.shardsOf(ctx, activityID)
	if err != nil {
		return ActivityStats{}, err
	}
	if n > 1 {
		return s.bucketedStats(ctx, activityID, n)
	}
	keys := []string{ActivityKey(activityID), StockKey(activityID), BuyersKey(activityID), BucketPendingKey(activityID, 0)}
	r, err := orderStatsScript.Run(ctx, s.rdb, keys).Int64Slice()
	if err != nil {
		return ActivityStats{}, storeErr(err)
	}
	switch {
	case len(r) == 1 && r[0] == orderStatsNotFound:
		return ActivityStats{}, Errorf(CodeActivityNotFound, "activity %s not found", activityID)
	case len(r) == 10 && r[0] == orderStatsFound:
	default:
		return ActivityStats{}, fmt.Errorf("order_stats: unexpected reply %v", r)
	}
	st := ActivityStats{ActivityID: activityID, Shards: 1, Stock: r[1], InitialStock: r[2], Remaining: r[3],
		Pending: r[4], Paid: r[5], Cancelled: r[6], Expired: r[7], Buyers: r[8], Overdue: r[9]}
	st.Consistent = st.Remaining+st.Pending+st.Paid == st.Stock
	return st, nil
}

// bucketedStats sums the stats of an activity's n > 1 buckets, read in
// rounds until no unit moved between two of them (see snapshot).
func (s *Store) bucketedStats(ctx context.Context, activityID string, n int) (ActivityStats, error) {
	sum, err := s.snapshot(ctx, activityID, n, true)
	if err != nil {
		return ActivityStats{}, err
	}
	st := ActivityStats{ActivityID: activityID, Shards: n, Stock: hashInt(sum.meta, "stock"),
		InitialStock: hashInt(sum.meta, "initial_stock"), Remaining: sum.remaining + sum.inTransfer,
		InTransfer: sum.inTransfer, Pending: sum.pending, Paid: sum.paid, Cancelled: sum.cancelled,
		Expired: sum.expired, Buyers: sum.buyers, Overdue: sum.overdue}
	st.Consistent = st.Remaining+st.Pending+st.Paid == st.Stock
	return st, nil
}

// UserOrder returns userID's order in the activity with its current status
// (a pending order past its payment window reads as expired), and false when
// the user has not won there. The user holds a unit while the order is
// pending or paid; a cancelled or expired order stays theirs (one order per
// user per activity) but holds nothing.
func (s *Store) UserOrder(ctx context.Context, activityID, userID string) (Order, bool, error) {
	id, err := s.OrderOf(ctx, activityID, userID)
	if err != nil || id == "" {
		return Order{}, false, err
	}
	o, err := s.Order(ctx, id)
	if err != nil {
		return Order{}, false, err
	}
	return o, true, nil
}
