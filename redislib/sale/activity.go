package sale

import "time"

// MaxStock is the most units an activity may offer, at creation and after
// any stock change.
const MaxStock = 10_000_000

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

// ValidStatus reports whether s is an activity status.
func ValidStatus(s string) bool {
	switch s {
	case StatusScheduled, StatusRunning, StatusSoldOut, StatusEnded, StatusCancelled, StatusPaused:
		return true
	}
	return false
}

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
	// Buckets is how many stock buckets the stock is split into (the API
	// field shards; see redislib/README.md); 1 unless the activity was
	// created with more.
	Buckets int `json:"shards"`
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

// NewActivity is what an activity is created from.
type NewActivity struct {
	ProductID     string
	Stock         int64
	Price         int64
	StartsAt      time.Time
	EndsAt        time.Time
	PaymentWindow int64 // seconds
	// Buckets is how many stock buckets the stock is split into, 1 to
	// MaxBuckets; 0 is taken as 1.
	Buckets int
	// AdmissionSettings say how shoppers get the right to buy (admission.go).
	AdmissionSettings
}

// ActivityChanges are the fields of an activity to change; nil fields are kept.
type ActivityChanges struct {
	ProductID     *string
	Stock         *int64
	Price         *int64
	StartsAt      *time.Time
	EndsAt        *time.Time
	PaymentWindow *int64 // seconds
	// AdmissionSettings change the admission mode or its settings; an
	// empty Admission keeps the mode.
	AdmissionSettings
}

// ActivityStats are an activity's stock and order counters, read atomically.
type ActivityStats struct {
	ActivityID string `json:"activity_id"`
	// Buckets is how many stock buckets the activity's stock is split into
	// (the API field shards).
	Buckets int `json:"shards"`
	// Stock is the number of units offered: InitialStock plus every stock
	// change applied since.
	Stock        int64 `json:"stock"`
	InitialStock int64 `json:"initial_stock"`
	// Remaining is the number of units still for sale, in any bucket or
	// moving between two.
	Remaining int64 `json:"remaining"`
	// InTransfer is how many of the remaining units were moving between two
	// buckets at the moment of the read (always 0 with one bucket).
	InTransfer int64 `json:"in_transfer"`
	Pending    int64 `json:"pending"`
	Paid       int64 `json:"paid"`
	Cancelled  int64 `json:"cancelled"`
	Expired    int64 `json:"expired"`
	// Overdue counts pending orders whose payment window has closed but
	// whose expiry is not recorded yet (the unit is still held).
	Overdue int64 `json:"overdue"`
	// Buyers is the number of users who ever won here (one order each).
	Buyers int64 `json:"buyers"`
	// Consistent is Remaining + Pending + Paid == Stock: every unit offered
	// is for sale, held by a pending order or sold.
	Consistent bool `json:"consistent"`
}
