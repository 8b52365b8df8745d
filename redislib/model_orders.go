package redislib

import "time"

// Order statuses. An order is pending when won (or paid at once when the
// activity's payment window is 0); paid, cancelled and expired are final.
const (
	OrderPending   = "pending"
	OrderPaid      = "paid"
	OrderCancelled = "cancelled"
	OrderExpired   = "expired"
)

// ValidOrderStatus reports whether s is one of the four order statuses.
func ValidOrderStatus(s string) bool {
	switch s {
	case OrderPending, OrderPaid, OrderCancelled, OrderExpired:
		return true
	}
	return false
}

// Order is one user's unit in one activity. Prices are in cents.
type Order struct {
	ID         string `json:"id"`
	ActivityID string `json:"activity_id"`
	ProductID  string `json:"product_id"`
	UserID     string `json:"user_id"`
	Price      int64  `json:"price"`
	// Status is pending, paid, cancelled or expired. A pending order whose
	// payment window has closed by Redis time reads as expired even before
	// the expiry job or a payment attempt has recorded it: from that moment
	// it can no longer be paid.
	Status    string    `json:"status"`
	CreatedAt time.Time `json:"created_at"`
	// ExpiresAt is when the payment window closes; null when the activity's
	// window is 0 (the order was paid when won).
	ExpiresAt *time.Time `json:"expires_at"`
	// PaidAt is when the order was paid; null until then.
	PaidAt *time.Time `json:"paid_at"`
	// ClosedAt is when the order was cancelled or expired and its unit went
	// back to stock; null otherwise.
	ClosedAt *time.Time `json:"closed_at"`
	// PaymentRef is the payment service's reference of the payment that
	// paid the order; empty for an unpaid order and for one paid when won
	// (payment window 0).
	PaymentRef string `json:"payment_ref,omitempty"`
}

// Payment is a payment the payment service confirmed for an order.
type Payment struct {
	// Ref is the payment service's reference of the payment (CheckPaymentRef).
	Ref     string
	OrderID string
	// Amount is in cents of Currency.
	Amount   int64
	Currency string
	// ShopCurrency is the currency of every price in the shop; a payment in
	// another is refused.
	ShopCurrency string
}

// Reasons a confirmed payment is refused (RefusedPayment.Reason).
const (
	RefusedCancelled      = "cancelled"
	RefusedExpired        = "expired"
	RefusedAlreadyPaid    = "already_paid"
	RefusedAmountMismatch = "amount_mismatch"
)

// RefusedPayment is a confirmed payment the shop refused, and so owes back.
type RefusedPayment struct {
	PaymentRef string `json:"payment_ref"`
	OrderID    string `json:"order_id"`
	ActivityID string `json:"activity_id"`
	UserID     string `json:"user_id"`
	// Reason is cancelled, expired, already_paid or amount_mismatch.
	Reason string `json:"reason"`
	// OrderStatus is the order's status when the payment was refused.
	OrderStatus string `json:"order_status"`
	Amount      int64  `json:"amount"`
	Currency    string `json:"currency"`
	// At is when it was refused, ms since the epoch (Redis time).
	At int64 `json:"at"`
}

// ActivityStats are an activity's stock and order counters, read atomically.
type ActivityStats struct {
	ActivityID string `json:"activity_id"`
	// Shards is how many stock buckets the activity's stock is split into.
	Shards int `json:"shards"`
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
func orderFromHash(h map[string]string, now int64) Order {
	o := Order{
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
	if exp := hashInt(h, "expires_at"); o.Status == OrderPending && exp > 0 && now >= exp {
		o.Status = OrderExpired
	}
	return o
}
