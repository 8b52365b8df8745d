package sale

import (
	"errors"
	"fmt"
)

// Error codes: the one table of every code the domain and the store
// answer with. The functions map each to an HTTP status in one table
// (functions/httpapi), beside the codes of the HTTP layer itself.
const (
	// Rules of the fields of products, activities, orders, users and
	// payments: a request that breaks one is refused before anything is
	// written (400).
	CodeInvalidID            = "invalid_id"
	CodeInvalidUserID        = "invalid_user_id"
	CodeInvalidName          = "invalid_name"
	CodeInvalidDescription   = "invalid_description"
	CodeInvalidPrice         = "invalid_price"
	CodeInvalidStock         = "invalid_stock"
	CodeInvalidDelta         = "invalid_delta"
	CodeInvalidTime          = "invalid_time"
	CodeInvalidTimeRange     = "invalid_time_range"
	CodeInvalidPaymentWindow = "invalid_payment_window"
	// CodeInvalidShards refuses a number of stock buckets out of range; its
	// name follows the API field, shards.
	CodeInvalidShards     = "invalid_shards"
	CodeEmptyUpdate       = "empty_update"
	CodeInvalidPaymentRef = "invalid_payment_ref"
	CodeInvalidAmount     = "invalid_amount"
	CodeInvalidCurrency   = "invalid_currency"
	CodeInvalidCursor     = "invalid_cursor"
	CodeInvalidLimit      = "invalid_limit"

	// Refusals that depend on what is stored.
	CodeUnknownProduct    = "unknown_product"
	CodeProductDeleted    = "product_deleted"
	CodeEndsInPast        = "ends_in_past"
	CodeProductNotFound   = "product_not_found"
	CodeActivityNotFound  = "activity_not_found"
	CodeOrderNotFound     = "order_not_found"
	CodeProductInUse      = "product_in_use"
	CodeProductIsDeleted  = "product_is_deleted"
	CodeActivityCancelled = "activity_cancelled"
	CodeActivityEnded     = "activity_ended"
	CodeActivityStarted   = "activity_started"
	CodeStockBelowSold    = "stock_below_sold"
	CodeStockOutOfRange   = "stock_out_of_range"
	CodeOrderExpired      = "order_expired"
	CodeOrderCancelled    = "order_cancelled"
	CodeAlreadyPaid       = "already_paid"
	// Refusals of a confirmed payment (the payment is recorded for a refund)
	// and a payment reference already recorded for another order.
	CodeOrderClosed    = "order_closed"
	CodeAmountMismatch = "amount_mismatch"
	CodePaymentRefUsed = "payment_ref_used"
	// CodeForbidden refuses a caller who may not act on what they name: an
	// order of another user, a route for another user, a missing admin token.
	CodeForbidden = "forbidden"

	// CodeStoreUnavailable means the store could not answer (down, slow,
	// not durable enough): the request may be tried again (503).
	CodeStoreUnavailable = "store_unavailable"
)

// Error is an error with a stable, machine-readable code and a message that
// is safe to show a client. Err, when set, is the underlying cause and is
// only logged.
type Error struct {
	Code    string
	Message string
	Err     error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Code + ": " + e.Message + ": " + e.Err.Error()
	}
	return e.Code + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the given code and formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, or "" if there is none.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}
