package redislib

import (
	"context"
	"encoding/json"
	"fmt"
	"seckill/redislib/internal/key"
	"seckill/redislib/sale"
	"strconv"

	"github.com/redis/go-redis/v9"
)

// Order returns the order with the given ID. A pending order whose payment
// window has closed by Redis time reads as expired.
func (s *Store) Order(ctx context.Context, orderID string) (sale.Order, error) {
	act, ok := sale.ActivityOfOrder(orderID)
	if !ok {
		return sale.Order{}, sale.Errorf(sale.CodeOrderNotFound, "order %s not found", orderID)
	}
	orders, err := s.loadOrders(ctx, []string{orderID})
	if err != nil {
		return sale.Order{}, err
	}
	o, found := orders[orderID]
	if !found || o.ActivityID != act {
		return sale.Order{}, sale.Errorf(sale.CodeOrderNotFound, "order %s not found", orderID)
	}
	return o, nil
}

// orderScriptKeys are the keys of order_cancel.lua: those of the order's
// bucket k. payment_confirm.lua receives them too, then its own.
func orderScriptKeys(activityID string, k int, orderID string) []string {
	return []string{key.BucketMeta(activityID, k), key.BucketStock(activityID, k), key.BucketOrder(activityID, k, orderID),
		key.BucketPending(activityID, k), key.Events(activityID, k)}
}

// Replies of payment_confirm.lua.
const (
	paymentPaid          = 1
	paymentPaidBefore    = 2
	paymentRefused       = 3
	paymentRefOther      = 4
	paymentUnknownStatus = 5
	paymentNotFound      = 6
)

// Replies of payment_claim.lua.
const (
	paymentClaimed    = 1
	paymentClaimOther = 2
)

// ConfirmPayment records a payment the payment service confirmed (its
// signature is the caller's to check). It pays the order when the order is
// pending, its window still open by Redis time, and p's amount and currency
// are the order's price in the shop's currency. Otherwise the payment is
// refused and recorded for a refund (see RefusedPayment): the error is an
// *Error with code order_closed (cancelled or expired), already_paid (paid
// by another reference) or amount_mismatch. A reference pays or is refused
// for one order only: for another it is payment_ref_used and nothing is
// written. The same confirmation again gives the same answer and writes
// nothing more.
func (s *Store) ConfirmPayment(ctx context.Context, p sale.Payment) (sale.Order, error) {
	act, k, ok := sale.OrderBucket(p.OrderID)
	if !ok {
		return sale.Order{}, sale.Errorf(sale.CodeOrderNotFound, "order %s not found", p.OrderID)
	}
	if err := p.Validate(); err != nil {
		return sale.Order{}, err
	}
	keys := append(orderScriptKeys(act, k, p.OrderID), key.RefusedPayments(act, k))
	if s.single {
		keys = append(keys, key.PaymentRef(p.Ref))
	} else {
		// An order is never deleted, so one seen here exists when the
		// script runs; a reference is claimed only for an existing order.
		n, err := s.rdb.Exists(ctx, key.BucketOrder(act, k, p.OrderID)).Result()
		if err != nil {
			return sale.Order{}, storeErr(err)
		}
		if n == 0 {
			return sale.Order{}, sale.Errorf(sale.CodeOrderNotFound, "order %s not found", p.OrderID)
		}
		if err := s.claimPaymentRef(ctx, p); err != nil {
			return sale.Order{}, err
		}
	}
	reply, err := paymentConfirmScript.Run(ctx, s.pipe, keys, p.OrderID, p.Ref,
		strconv.FormatInt(p.Amount, 10), p.Currency, p.ShopCurrency).Slice()
	if err != nil {
		return sale.Order{}, storeErr(err)
	}
	code, ok := replyInt(reply, 0)
	if !ok {
		return sale.Order{}, fmt.Errorf("payment_confirm: unexpected reply %v", reply)
	}
	switch code {
	case paymentNotFound:
		return sale.Order{}, sale.Errorf(sale.CodeOrderNotFound, "order %s not found", p.OrderID)
	case paymentPaid, paymentPaidBefore:
		if len(reply) == 2 {
			if h, ok := flatHash(reply[1]); ok {
				return orderFromHash(h, 0), nil
			}
		}
	case paymentRefused:
		if len(reply) == 3 {
			if h, ok := flatHash(reply[2]); ok {
				return orderFromHash(h, 0), refusal(p, asString(reply[1]))
			}
		}
	case paymentRefOther:
		if len(reply) == 2 {
			return sale.Order{}, refUsed(p, asString(reply[1]))
		}
	case paymentUnknownStatus:
		// Data this product did not write: an internal error, never the caller's.
		return sale.Order{}, fmt.Errorf("payment_confirm: order %s holds an unknown status: reply %v", p.OrderID, reply)
	default:
	}
	return sale.Order{}, fmt.Errorf("payment_confirm: unexpected reply %v", reply)
}

// claimPaymentRef claims p's reference for its order on a cluster, where
// payment_confirm.lua cannot reach the reference's key.
func (s *Store) claimPaymentRef(ctx context.Context, p sale.Payment) error {
	reply, err := paymentClaimScript.Run(ctx, s.pipe, []string{key.PaymentRef(p.Ref)}, p.OrderID).Slice()
	if err != nil {
		return storeErr(err)
	}
	code, _ := replyInt(reply, 0)
	switch {
	case code == paymentClaimed && len(reply) == 1:
		return nil
	case code == paymentClaimOther && len(reply) == 2:
		return refUsed(p, asString(reply[1]))
	default:
		return fmt.Errorf("payment_claim: unexpected reply %v", reply)
	}
}

// refUsed is the error of a reference that belongs to another order.
func refUsed(p sale.Payment, owner string) error {
	return sale.Errorf(sale.CodePaymentRefUsed, "payment %s is recorded for order %s, not %s; nothing was written", p.Ref, owner, p.OrderID)
}

// refusal is the error of a payment refused for the given reason of
// payment_confirm.lua, and recorded for a refund.
func refusal(p sale.Payment, reason string) error {
	const refund = "; the payment is recorded for a refund"
	switch reason {
	case sale.RefusedCancelled, sale.RefusedExpired:
		return sale.Errorf(sale.CodeOrderClosed, "order %s is %s%s", p.OrderID, reason, refund)
	case sale.RefusedAlreadyPaid:
		return sale.Errorf(sale.CodeAlreadyPaid, "order %s is paid by another payment%s", p.OrderID, refund)
	case sale.RefusedAmountMismatch:
		return sale.Errorf(sale.CodeAmountMismatch, "payment %s is not the price of order %s in the shop's currency%s", p.Ref, p.OrderID, refund)
	default:
		return fmt.Errorf("payment_confirm: unexpected refusal %q", reason)
	}
}

// RefusedPayments returns the payments refused for an activity's orders,
// which the shop owes back, in no particular order.
func (s *Store) RefusedPayments(ctx context.Context, activityID string) ([]sale.RefusedPayment, error) {
	if err := sale.CheckID("activity_id", activityID); err != nil {
		return nil, err
	}
	n, err := s.bucketCount(ctx, activityID)
	if err != nil {
		return nil, err
	}
	var out []sale.RefusedPayment
	for k := range n {
		h, err := s.rdb.HGetAll(ctx, key.RefusedPayments(activityID, k)).Result()
		if err != nil {
			return nil, storeErr(err)
		}
		for _, v := range h {
			var r sale.RefusedPayment
			if err := json.Unmarshal([]byte(v), &r); err != nil {
				return nil, fmt.Errorf("refused payment of activity %s: %w", activityID, err)
			}
			out = append(out, r)
		}
	}
	return out, nil
}

// CancelOrder cancels a pending order and returns its unit to stock. When
// admin is false, userID must own the order; when admin is true, userID may
// be empty, and if it is not it must still own the order. A cancel after the
// window has closed expires the order instead and fails with order_expired.
// An admin's cancellation is recorded in the activity's audit trail, under the
// actor ctx names (sale.WithActor).
func (s *Store) CancelOrder(ctx context.Context, orderID, userID string, admin bool) (sale.Order, error) {
	if userID == "" && !admin {
		return sale.Order{}, fmt.Errorf("CancelOrder: a user's cancellation needs the user ID")
	}
	act, k, ok := sale.OrderBucket(orderID)
	if !ok {
		return sale.Order{}, sale.Errorf(sale.CodeOrderNotFound, "order %s not found", orderID)
	}
	actor := ""
	if admin {
		actor = sale.ActorOf(ctx)
	}
	keys := append(orderScriptKeys(act, k, orderID), key.BucketAudit(act, k))
	reply, err := orderCancelScript.Run(ctx, s.pipe, keys, orderID, userID, actor).Slice()
	if err != nil {
		return sale.Order{}, storeErr(err)
	}
	return orderTransition("order_cancel", orderID, reply)
}

// Replies of order_cancel.lua: done is the cancellation made now; paid,
// cancelled and expired are the final states that refuse it.
const (
	orderTransitionDone          = 1
	orderTransitionNotOwner      = 2
	orderTransitionPaid          = 3
	orderTransitionCancelled     = 4
	orderTransitionExpired       = 5
	orderTransitionUnknownStatus = 6
	orderTransitionNotFound      = 7
)

// orderTransition maps the reply of order_cancel.lua.
func orderTransition(script, orderID string, reply []any) (sale.Order, error) {
	code, ok := replyInt(reply, 0)
	if !ok {
		return sale.Order{}, fmt.Errorf("%s: unexpected reply %v", script, reply)
	}
	switch code {
	case orderTransitionNotFound:
		return sale.Order{}, sale.Errorf(sale.CodeOrderNotFound, "order %s not found", orderID)
	case orderTransitionDone:
		if len(reply) == 2 {
			if h, ok := flatHash(reply[1]); ok {
				return orderFromHash(h, 0), nil
			}
		}
		return sale.Order{}, fmt.Errorf("%s: unexpected reply %v", script, reply)
	case orderTransitionNotOwner:
		return sale.Order{}, sale.Errorf(sale.CodeForbidden, "order %s belongs to another user", orderID)
	case orderTransitionPaid:
		return sale.Order{}, sale.Errorf(sale.CodeAlreadyPaid, "order %s is already paid", orderID)
	case orderTransitionCancelled:
		return sale.Order{}, sale.Errorf(sale.CodeOrderCancelled, "order %s is cancelled", orderID)
	case orderTransitionExpired:
		return sale.Order{}, sale.Errorf(sale.CodeOrderExpired, "the payment window of order %s has closed; its unit went back to stock", orderID)
	case orderTransitionUnknownStatus:
		// Data this product did not write: an internal error, never the client's.
		return sale.Order{}, fmt.Errorf("%s: order %s holds an unknown status: reply %v", script, orderID, reply)
	default:
		return sale.Order{}, fmt.Errorf("%s: unexpected reply %v", script, reply)
	}
}

// UserOrders lists userID's orders across all activities, newest first.
func (s *Store) UserOrders(ctx context.Context, userID string, q sale.PageQuery) (sale.Page[sale.Order], error) {
	if err := sale.CheckUserID(userID); err != nil {
		return sale.Page[sale.Order]{}, err
	}
	return listPage(ctx, s, key.UserOrders(userID), q, s.loadOrders, nil)
}

// ActivityOrders lists an activity's orders, newest first, across all its
// buckets; status, when not empty, keeps only orders in that status (as they
// read now, see Order).
func (s *Store) ActivityOrders(ctx context.Context, activityID, status string, q sale.PageQuery) (sale.Page[sale.Order], error) {
	if err := sale.CheckID("activity_id", activityID); err != nil {
		return sale.Page[sale.Order]{}, err
	}
	if status != "" && !sale.ValidOrderStatus(status) {
		return sale.Page[sale.Order]{}, fmt.Errorf("unknown order status %q", status)
	}
	n, err := s.bucketCount(ctx, activityID)
	if err != nil {
		return sale.Page[sale.Order]{}, err
	}
	var keep func(sale.Order) bool
	if status != "" {
		keep = func(o sale.Order) bool { return o.Status == status }
	}
	keys := make([]string, n)
	for k := range n {
		keys[k] = key.BucketOrders(activityID, k)
	}
	return listPageKeys(ctx, s, keys, q, s.loadOrders, keep)
}

// loadOrders reads the named orders in one pipeline, with the Redis time that
// decides whether a pending order reads as expired. IDs whose order hash is
// missing, or that are not order IDs, are left out.
func (s *Store) loadOrders(ctx context.Context, ids []string) (map[string]sale.Order, error) {
	cmds := make([]*redis.MapStringStringCmd, len(ids))
	var now *redis.TimeCmd
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		now = p.Time(ctx)
		for i, id := range ids {
			if act, k, ok := sale.OrderBucket(id); ok {
				cmds[i] = p.HGetAll(ctx, key.BucketOrder(act, k, id))
			}
		}
		return nil
	})
	if err != nil {
		return nil, storeErr(err)
	}
	ms := now.Val().UnixMilli()
	orders := make(map[string]sale.Order, len(ids))
	for i, c := range cmds {
		if c != nil && len(c.Val()) > 0 {
			orders[ids[i]] = orderFromHash(c.Val(), ms)
		}
	}
	return orders, nil
}

// Replies of order_stats.lua.
const (
	orderStatsFound    = 1
	orderStatsNotFound = 2
)

// ActivityStats returns an activity's stock and order counters, read in one
// atomic step.
func (s *Store) ActivityStats(ctx context.Context, activityID string) (sale.ActivityStats, error) {
	if err := sale.CheckID("activity_id", activityID); err != nil {
		return sale.ActivityStats{}, err
	}
	n, err := s.bucketCount(ctx, activityID)
	if err != nil {
		return sale.ActivityStats{}, err
	}
	if n > 1 {
		return s.bucketedStats(ctx, activityID, n)
	}
	keys := []string{key.Activity(activityID), key.Stock(activityID), key.Buyers(activityID), key.BucketPending(activityID, 0)}
	r, err := orderStatsScript.Run(ctx, s.rdb, keys).Int64Slice()
	if err != nil {
		return sale.ActivityStats{}, storeErr(err)
	}
	switch {
	case len(r) == 1 && r[0] == orderStatsNotFound:
		return sale.ActivityStats{}, sale.Errorf(sale.CodeActivityNotFound, "activity %s not found", activityID)
	case len(r) == 10 && r[0] == orderStatsFound:
	default:
		return sale.ActivityStats{}, fmt.Errorf("order_stats: unexpected reply %v", r)
	}
	st := sale.ActivityStats{ActivityID: activityID, Buckets: 1, Stock: r[1], InitialStock: r[2], Remaining: r[3],
		Pending: r[4], Paid: r[5], Cancelled: r[6], Expired: r[7], Buyers: r[8], Overdue: r[9]}
	st.Consistent = st.Remaining+st.Pending+st.Paid == st.Stock
	return st, nil
}

// bucketedStats sums the stats of an activity's n > 1 buckets, read in
// rounds until no unit moved between two of them (see snapshot).
func (s *Store) bucketedStats(ctx context.Context, activityID string, n int) (sale.ActivityStats, error) {
	sum, err := s.snapshot(ctx, activityID, n, true)
	if err != nil {
		return sale.ActivityStats{}, err
	}
	st := sale.ActivityStats{ActivityID: activityID, Buckets: n, Stock: hashInt(sum.meta, "stock"),
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
func (s *Store) UserOrder(ctx context.Context, activityID, userID string) (sale.Order, bool, error) {
	id, err := s.OrderOf(ctx, activityID, userID)
	if err != nil || id == "" {
		return sale.Order{}, false, err
	}
	o, err := s.Order(ctx, id)
	if err != nil {
		return sale.Order{}, false, err
	}
	return o, true, nil
}
