package platform

import "seckill/redislib"

// Limits of an activity's fields.
const (
	MaxStock             = redislib.MaxStock
	DefaultPaymentWindow = 900       // seconds
	MaxPaymentWindow     = 7 * 86400 // seconds
)

// Stock validates an activity's stock: 1 to MaxStock units.
func Stock(n int64) (int64, error) {
	if n < 1 || n > MaxStock {
		return 0, Fail(CodeInvalidStock, "stock must be an integer from 1 to %d", MaxStock)
	}
	return n, nil
}

// PaymentWindow validates a payment window: 0 to MaxPaymentWindow seconds.
func PaymentWindow(seconds int64) (int64, error) {
	if seconds < 0 || seconds > MaxPaymentWindow {
		return 0, Fail(CodeInvalidWindow, "payment_window must be 0 to %d seconds", MaxPaymentWindow)
	}
	return seconds, nil
}
