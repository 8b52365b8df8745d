// Package key builds every Redis key the store uses, one function per key.
//
// Keys of one activity share the hash tag {act:ID}, so every script that
// touches an activity stays in one cluster slot. Catalog keys (products and the
// listing indexes) share {catalog}; a user's keys share {user:ID}. The store
// checks every ID it is given against the rules of package sale (CheckID,
// CheckUserID, ParseOrderID) before it builds a key, and those rules allow no
// braces, so an ID never moves a key to another slot.
package key

import (
	"strconv"

	"seckill/redislib/sale"
)

const keyPrefix = "sk:"

func activityTag(activityID string) string { return keyPrefix + "{act:" + activityID + "}:" }

const catalogTag = keyPrefix + "{catalog}:"

// Product is a HASH with one product's fields.
func Product(productID string) string { return catalogTag + "product:" + productID }

// ProductsIndex is a ZSET of live product IDs scored by creation time (ms).
func ProductsIndex() string { return catalogTag + "products" }

// ProductActivities is a SET of the IDs of every activity created for a product.
func ProductActivities(productID string) string {
	return catalogTag + "product:" + productID + ":activities"
}

// ActivitiesIndex is a ZSET of every activity ID scored by creation time (ms).
func ActivitiesIndex() string { return catalogTag + "activities" }

// ActivityAudit is a STREAM of the admin actions on one activity (see
// audit.go), in the activity's slot so each action and its entry are one script.
func ActivityAudit(activityID string) string { return activityTag(activityID) + "audit" }

// BucketAudit is a STREAM of the admin actions on the orders of bucket k
// (admin cancellations), in the bucket's slot so that order_cancel.lua records
// them in the same script as the change; bucket 0's is ActivityAudit.
func BucketAudit(activityID string, k int) string { return bucketTag(activityID, k) + "audit" }

// ProductAudit is a STREAM of the admin actions on one product.
func ProductAudit(productID string) string { return catalogTag + "product:" + productID + ":audit" }

// Activity is a HASH with one activity's fields (its facts: product,
// price, times, stock offered, shards, rev, cancellation) and the order
// counters of its bucket 0.
func Activity(activityID string) string { return activityTag(activityID) + "meta" }

// An activity's stock is split into buckets (see redislib/buckets.go).
// Bucket 0 lives in the activity's own slot {act:ID}, so an activity with one
// bucket has exactly the keys below for k = 0; bucket k > 0 lives under its
// own hash tag {act:ID:sk}, so the buckets spread over a cluster's slots. A
// bucket holds its remaining units, its buyers, its orders and its transfer
// records; every script touches the keys of one bucket only.

// bucketTag is the hash tag (with the key prefix) of bucket k of an activity.
func bucketTag(activityID string, k int) string {
	if k == 0 {
		return activityTag(activityID)
	}
	return keyPrefix + "{act:" + activityID + ":s" + strconv.Itoa(k) + "}:"
}

// BucketMeta is a HASH: for k = 0 the activity itself (Activity); for
// k > 0 a copy of the facts purchase.lua reads (id product_id price
// starts_at ends_at payment_window cancelled_at) at revision rev, and the
// bucket's order counters pending paid cancelled expired.
func BucketMeta(activityID string, k int) string {
	if k == 0 {
		return Activity(activityID)
	}
	return bucketTag(activityID, k) + "meta"
}

// BucketStock is a STRING holding bucket k's remaining units as an integer.
func BucketStock(activityID string, k int) string { return bucketTag(activityID, k) + "stock" }

// Stock is BucketStock of bucket 0: an activity with one bucket keeps
// all its remaining stock there.
func Stock(activityID string) string { return BucketStock(activityID, 0) }

// BucketBuyers is a HASH from user ID to the ID of that user's order, for
// the users who map to bucket k. An entry is never removed: one order per
// user, for ever.
func BucketBuyers(activityID string, k int) string { return bucketTag(activityID, k) + "buyers" }

// BucketSync is a STRING written, with a TTL of a minute, only to carry a
// WAIT past a win that was read rather than written (see confirmReplicated).
func BucketSync(activityID string, k int) string { return bucketTag(activityID, k) + "sync" }

// Buyers is BucketBuyers of bucket 0.
func Buyers(activityID string) string { return BucketBuyers(activityID, 0) }

// BucketOrder is a HASH with one order's fields, in the order's bucket.
// The order ID names its activity and bucket (see OrderBucket), so the key is
// found from the ID alone.
func BucketOrder(activityID string, k int, orderID string) string {
	return bucketTag(activityID, k) + "order:" + orderID
}

// Order is BucketOrder of an order of the activity, in the bucket its
// ID names.
func Order(activityID, orderID string) string {
	_, k, _ := sale.OrderBucket(orderID)
	return BucketOrder(activityID, k, orderID)
}

// BucketOrders is a ZSET of bucket k's order IDs scored by creation time (ms).
func BucketOrders(activityID string, k int) string { return bucketTag(activityID, k) + "orders" }

// OrdersIndex is BucketOrders of bucket 0.
func OrdersIndex(activityID string) string { return BucketOrders(activityID, 0) }

// BucketPending is a ZSET of bucket k's pending order IDs scored by the
// time (ms) their payment window closes. It is the one record of the pending
// orders: their number is its ZCARD.
func BucketPending(activityID string, k int) string { return bucketTag(activityID, k) + "pending" }

// Pending is BucketPending of bucket 0.
func Pending(activityID string) string { return BucketPending(activityID, 0) }

// Events is a STREAM of bucket k's order events (won, paid, cancelled,
// expired), appended by the same script that makes the change, trimmed by
// the retention job (lua/events_trim.lua).
func Events(activityID string, k int) string { return bucketTag(activityID, k) + "events" }

// RefusedPayments is a HASH of the payments refused for bucket k's
// orders (cancelled, expired, already paid, wrong amount), which the shop
// owes back: payment reference -> a JSON record (see lua/payment_confirm.lua).
func RefusedPayments(activityID string, k int) string {
	return bucketTag(activityID, k) + "refused_payments"
}

// PaymentRef is a STRING: the ID of the one order a payment reference
// paid or was refused for. It makes a reference pay at most one order.
func PaymentRef(ref string) string { return keyPrefix + "{payref:" + ref + "}" }

// Outbox is a HASH of the transfers of units out of bucket k that are not
// known to be complete: transfer ID -> "<target bucket>:<units>:<taken at ms>"
// (see lua/transfer_take.lua).
func Outbox(activityID string, k int) string { return bucketTag(activityID, k) + "outbox" }

// Inbox is a HASH of the transfers of units into bucket k: transfer ID ->
// units, "<units>:<ms>" once the retention job saw the transfer complete. It
// makes a repeated give a no-op (see lua/transfer_give.lua); the job removes
// an entry an hour after it saw it complete (lua/inbox_trim.lua).
func Inbox(activityID string, k int) string { return bucketTag(activityID, k) + "inbox" }

// UserOrders is a ZSET of one user's order IDs across all activities,
// scored by creation time (ms).
func UserOrders(userID string) string { return keyPrefix + "{user:" + userID + "}:orders" }

// ProductActivityEnds is a HASH from the ID of each activity created for a
// product to its ends_at (ms) at creation. The product delete check reads it
// for an activity registered but not written yet (activity creation is two
// scripts in two slots).
func ProductActivityEnds(productID string) string {
	return catalogTag + "product:" + productID + ":activity_ends"
}

// ProductPins is a ZSET of pins on a product, scored by deadline (ms): one
// per activity being moved to the product. A product is not deleted while a
// pin may still be in use.
func ProductPins(productID string) string { return catalogTag + "product:" + productID + ":pins" }

// PurchaseLimit is a STRING: the GCRA bucket of one user's purchase
// attempts in one activity (see lua/purchase.lua). It shares the tag of the
// user's stock bucket, so the purchase script takes the limit in its own round trip.
func PurchaseLimit(activityID string, k int, userID string) string {
	return bucketTag(activityID, k) + "rl:user:" + userID
}

// Rate-limit buckets: each its own hash tag, as one script call touches one
// bucket. A bucket expires once it is full again, so only clients active in
// the last few seconds hold one.

// UserRateLimit is a STRING: the GCRA bucket of one user (see lua/rate_limit.lua).
func UserRateLimit(userID string) string { return keyPrefix + "{rl:user:" + userID + "}" }

// IPRateLimit is a STRING: the GCRA bucket of one client: an IPv4
// address or an IPv6 /64 prefix, in its textual form (IPv6 colons and the
// slash are fine: they are not braces).
func IPRateLimit(ip string) string { return keyPrefix + "{rl:ip:" + ip + "}" }

// Queue is a ZSET of an activity's waiting room: user -> place.
func Queue(activityID string) string { return activityTag(activityID) + "queue" }

// QueueState is a HASH of the waiting room's state: frontier (places
// admitted, in thousandths), advanced_at (ms), seq (joins after the start),
// sold_out (1 while no unit remains).
func QueueState(activityID string) string { return activityTag(activityID) + "queue:state" }

// QueueAdmitted is a HASH user -> the time (ms) the frontier passed the
// user's place, written on the user's first look once admitted.
func QueueAdmitted(activityID string) string { return activityTag(activityID) + "queue:admitted" }

// QueueLog is a ZSET of the frontier's moves in the last admission_ttl
// seconds: score = whole frontier, member = "<frontier>:<ms>:<units sold>".
func QueueLog(activityID string) string { return activityTag(activityID) + "queue:log" }

// QueuesIndex is a SET of the IDs of queue activities someone joined, which
// the waiting rooms' background job walks; it drops those that ended.
func QueuesIndex() string { return catalogTag + "queues" }
