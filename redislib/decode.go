package redislib

import (
	"strconv"
	"time"

	"seckill/redislib/sale"
)

// The store keeps products, activities and orders as hashes; these read
// them back into the domain's types.

// msTime converts milliseconds since the epoch to a UTC time.
func msTime(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

// hashInt reads an integer field of a hash reply; a missing field is 0.
func hashInt(h map[string]string, field string) int64 {
	n, _ := strconv.ParseInt(h[field], 10, 64)
	return n
}

func productFromHash(h map[string]string) sale.Product {
	return sale.Product{
		ID:          h["id"],
		Name:        h["name"],
		Description: h["description"],
		Price:       hashInt(h, "price"),
		Deleted:     h["deleted"] == "1",
		CreatedAt:   msTime(hashInt(h, "created_at")),
		UpdatedAt:   msTime(hashInt(h, "updated_at")),
	}
}

// activityFromHash builds an Activity from its hash, its remaining stock and
// the Redis time of the read (ms), deriving its status.
func activityFromHash(h map[string]string, remaining, now int64) sale.Activity {
	a := sale.Activity{
		ID:            h["id"],
		ProductID:     h["product_id"],
		Stock:         hashInt(h, "stock"),
		Remaining:     remaining,
		Price:         hashInt(h, "price"),
		Buckets:       int(max(hashInt(h, "shards"), 1)),
		PaymentWindow: hashInt(h, "payment_window"),
		StartsAt:      msTime(hashInt(h, "starts_at")),
		EndsAt:        msTime(hashInt(h, "ends_at")),
		CreatedAt:     msTime(hashInt(h, "created_at")),
		UpdatedAt:     msTime(hashInt(h, "updated_at")),
	}
	a.Sold = a.Stock - a.Remaining
	a.AdmissionInfo = admissionFromHash(h, now)
	cancelled := hashInt(h, "cancelled_at")
	if cancelled > 0 {
		t := msTime(cancelled)
		a.CancelledAt = &t
	}
	paused := hashInt(h, "paused_at")
	if paused > 0 {
		t := msTime(paused)
		a.PausedAt = &t
	}
	switch {
	case cancelled > 0:
		a.Status = sale.StatusCancelled
	case now < hashInt(h, "starts_at"):
		a.Status = sale.StatusScheduled
	case now >= hashInt(h, "ends_at"):
		a.Status = sale.StatusEnded
	case paused > 0:
		a.Status = sale.StatusPaused
	case remaining <= 0:
		a.Status = sale.StatusSoldOut
	default:
		a.Status = sale.StatusRunning
	}
	return a
}

// optionalTime is msTime for a field where 0 means "not set".
func optionalTime(ms int64) *time.Time {
	if ms <= 0 {
		return nil
	}
	t := msTime(ms)
	return &t
}

// orderFromHash builds an Order from its hash and the Redis time of the read
// (ms), which decides whether a pending order reads as expired.
func orderFromHash(h map[string]string, now int64) sale.Order {
	o := sale.Order{
		ID:         h["id"],
		ActivityID: h["activity_id"],
		ProductID:  h["product_id"],
		UserID:     h["user_id"],
		Price:      hashInt(h, "price"),
		Status:     h["status"],
		CreatedAt:  msTime(hashInt(h, "created_at")),
		ExpiresAt:  optionalTime(hashInt(h, "expires_at")),
		PaidAt:     optionalTime(hashInt(h, "paid_at")),
		ClosedAt:   optionalTime(hashInt(h, "closed_at")),
		PaymentRef: h["payment_ref"],
	}
	if exp := hashInt(h, "expires_at"); o.Status == sale.OrderPending && exp > 0 && now >= exp {
		o.Status = sale.OrderExpired
	}
	return o
}
