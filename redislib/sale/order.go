package sale

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
	// Ref is the payment service's reference of the payment.
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
