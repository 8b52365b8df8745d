package redislib

// Every Redis key the product uses is built here, one function per key.
//
// Keys of one activity share the hash tag {act:ID}, so every script that
// touches an activity stays in one cluster slot. Catalog keys (products and the
// listing indexes) share {catalog}; a user's keys share {user:ID}. IDs are
// validated before they reach this file and never contain braces.

const keyPrefix = "sk:"

func activityTag(activityID string) string { return keyPrefix + "{act:" + activityID + "}:" }

const catalogTag = keyPrefix + "{catalog}:"

// ProductKey is a HASH with one product's fields.
func ProductKey(productID string) string { return catalogTag + "product:" + productID }

// ProductsIndexKey is a ZSET of live product IDs scored by creation time (ms).
func ProductsIndexKey() string { return catalogTag + "products" }

// productActivitiesKey is a SET of the IDs of every activity created for a product.
func productActivitiesKey(productID string) string {
	return catalogTag + "product:" + productID + ":activities"
}

// activitiesIndexKey is a ZSET of every activity ID scored by creation time (ms).
func activitiesIndexKey() string { return catalogTag + "activities" }

// ActivityKey is a HASH with one activity's fields and its order counters.
func ActivityKey(activityID string) string { return activityTag(activityID) + "meta" }

// StockKey is a STRING holding the activity's remaining stock as an integer.
func StockKey(activityID string) string { return activityTag(activityID) + "stock" }

// BuyersKey is a HASH from user ID to the ID of that user's order in the
// activity. An entry is never removed: one order per user, for ever.
func BuyersKey(activityID string) string { return activityTag(activityID) + "buyers" }

// OrderKey is a HASH with one order's fields. The order ID starts with its
// activity ID (see ActivityOfOrder), so the key is found from the ID alone.
func OrderKey(activityID, orderID string) string { return activityTag(activityID) + "order:" + orderID }

// OrdersIndexKey is a ZSET of the activity's order IDs scored by creation time (ms).
func OrdersIndexKey(activityID string) string { return activityTag(activityID) + "orders" }

// pendingKey is a ZSET of the activity's pending order IDs scored by the time
// (ms) their payment window closes.
func pendingKey(activityID string) string { return activityTag(activityID) + "pending" }

// eventsKey is a STREAM of the activity's order events (won, paid, cancelled,
// expired), appended by the same script that makes the change.
func eventsKey(activityID string) string { return activityTag(activityID) + "events" }

// UserOrdersKey is a ZSET of one user's order IDs across all activities,
// scored by creation time (ms).
func UserOrdersKey(userID string) string { return keyPrefix + "{user:" + userID + "}:orders" }

// productActivityEndsKey is a HASH from the ID of each activity created for a
// product to its ends_at (ms) at creation. The product delete check reads it
// for an activity registered but not written yet (activity creation is two
// scripts in two slots).
func productActivityEndsKey(productID string) string {
	return catalogTag + "product:" + productID + ":activity_ends"
}

// productPinsKey is a ZSET of pins on a product, scored by deadline (ms): one
// per activity being moved to the product. A product is not deleted while a
// pin may still be in use.
func productPinsKey(productID string) string { return catalogTag + "product:" + productID + ":pins" }

// purchaseLimitKey is a STRING: the GCRA bucket of one user's purchase
// attempts in one activity (see lua/purchase.lua). It shares the activity's
// hash tag, so the purchase script takes the limit in its own round trip.
func purchaseLimitKey(activityID, userID string) string {
	return activityTag(activityID) + "rl:user:" + userID
}

// Rate-limit buckets: each its own hash tag, as one script call touches one
// bucket. A bucket expires once it is full again, so only clients active in
// the last few seconds hold one.

// UserRateLimitKey is a STRING: the GCRA bucket of one user (see lua/rate_limit.lua).
func UserRateLimitKey(userID string) string { return keyPrefix + "{rl:user:" + userID + "}" }

// IPRateLimitKey is a STRING: the GCRA bucket of one client IP address, in
// its textual form (IPv6 colons are fine: they are not braces).
func IPRateLimitKey(ip string) string { return keyPrefix + "{rl:ip:" + ip + "}" }
