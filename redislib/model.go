package redislib

import (
	"strconv"
	"time"
)

// Product is an item that activities sell. Prices are in cents.
type Product struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	Price       int64     `json:"price"`
	Deleted     bool      `json:"deleted"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// Activity statuses. A status is derived at read time from Redis TIME, the
// remaining stock and the cancellation mark; it is never stored.
const (
	StatusScheduled = "scheduled"
	StatusRunning   = "running"
	StatusSoldOut   = "sold_out"
	StatusEnded     = "ended"
	StatusCancelled = "cancelled"
	StatusPaused    = "paused"
)

// Activity is a flash sale of one product: a stock sold at a price between
// StartsAt and EndsAt, one unit per user.
type Activity struct {
	ID        string `json:"id"`
	ProductID string `json:"product_id"`
	// Stock is the number of units offered: the stock the activity was created
	// with plus every stock change applied since.
	Stock int64 `json:"stock"`
	// Remaining is the number of units still for sale.
	Remaining int64 `json:"remaining"`
	// Sold is Stock - Remaining: units held by pending or paid orders.
	Sold  int64 `json:"sold"`
	Price int64 `json:"price"`
	// Shards is how many stock buckets the stock is split into (see
	// redislib/README.md); 1 unless the activity was created with more.
	Shards int `json:"shards"`
	// PaymentWindow is how many seconds a winner has to pay; 0 means orders are
	// paid when won and never expire.
	PaymentWindow int64      `json:"payment_window"`
	StartsAt      time.Time  `json:"starts_at"`
	EndsAt        time.Time  `json:"ends_at"`
	Status        string     `json:"status"`
	CreatedAt     time.Time  `json:"created_at"`
	UpdatedAt     time.Time  `json:"updated_at"`
	CancelledAt   *time.Time `json:"cancelled_at,omitempty"`
	// PausedAt is when an admin paused the activity; absent while it is not
	// paused. A paused activity sells nothing until it is resumed.
	PausedAt *time.Time `json:"paused_at,omitempty"`
	// AdmissionInfo says how shoppers get the right to buy (admission.go).
	AdmissionInfo
}

// Outcome is the answer to one purchase attempt.
type Outcome string

// Purchase outcomes.
const (
	OutcomeWon        Outcome = "won"
	OutcomeAlreadyWon Outcome = "already_won"
	OutcomeSoldOut    Outcome = "sold_out"
	OutcomeNotStarted Outcome = "not_started"
	OutcomeEnded      Outcome = "ended"
	OutcomeCancelled  Outcome = "cancelled"
	// OutcomeOrderClosed answers a user whose order in the activity was
	// cancelled or expired: one order per user per activity, so they may not
	// buy there again (a bot cannot hold units through payment windows and
	// buy again). OutcomeAlreadyWon is for a user who holds a unit.
	OutcomeOrderClosed Outcome = "order_closed"
	// OutcomePaused answers every attempt while an admin has paused the
	// activity: nothing is sold until it is resumed.
	OutcomePaused Outcome = "paused"
)

// PurchaseResult is the outcome of a purchase attempt; for won, already_won
// and order_closed, the user's order ID; for order_closed, the order's
// status (OrderCancelled or OrderExpired).
type PurchaseResult struct {
	Outcome Outcome `json:"outcome"`
	OrderID string  `json:"order_id,omitempty"`
	Status  string  `json:"status,omitempty"`
}

// msTime converts milliseconds since the epoch to a UTC time.
func msTime(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

// hashInt reads an integer field of a hash reply; a missing field is 0.
func hashInt(h map[string]string, field string) int64 {
	n, _ := strconv.ParseInt(h[field], 10, 64)
	return n
}

func productFromHash(h map[string]string) Product {
	return Product{
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
func activityFromHash(h map[string]string, remaining, now int64) Activity {
	a := Activity{
		ID:            h["id"],
		ProductID:     h["product_id"],
		Stock:         hashInt(h, "stock"),
		Remaining:     remaining,
		Price:         hashInt(h, "price"),
		Shards:        int(max(hashInt(h, "shards"), 1)),
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
		a.Status = StatusCancelled
	case now < hashInt(h, "starts_at"):
		a.Status = StatusScheduled
	case now >= hashInt(h, "ends_at"):
		a.Status = StatusEnded
	case paused > 0:
		a.Status = StatusPaused
	case remaining <= 0:
		a.Status = StatusSoldOut
	default:
		a.Status = StatusRunning
	}
	return a
}
