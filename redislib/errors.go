package redislib

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/redis/go-redis/v9"
)

// Error codes the store returns. The functions map each to an HTTP status in
// one table (functions/httpapi).
const (
	CodeStoreUnavailable = "store_unavailable"
	CodeProductNotFound  = "product_not_found"
	CodeActivityNotFound = "activity_not_found"
	CodeOrderNotFound    = "order_not_found"
	CodeUnknownProduct   = "unknown_product"
	CodeProductDeleted   = "product_deleted"
	CodeEndsInPast       = "ends_in_past"

	CodeInvalidCursor     = "invalid_cursor"
	CodeInvalidLimit      = "invalid_limit"
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
	// CodeNotOwner is the store's "forbidden": the caller does not own the
	// order. It has the same value as the HTTP layer's forbidden code.
	CodeNotOwner = "forbidden"
)

// Error is a store error with a stable, machine-readable code and a message
// that is safe to show a client. Err, when set, is the underlying cause and is
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

// ErrReplicaAck means a write was not confirmed by REDIS_MIN_REPLICA_ACKS
// replicas in time (WAIT). The write may be applied on the primary, exactly
// like a write whose reply timed out, so it is answered 503 and never as
// done: if the primary died now, the write could be lost with it.
var ErrReplicaAck = errors.New("not enough replicas confirmed the write")

// storeErr classifies an error returned by the Redis client. Connection
// failures, timeouts and the server states in which it cannot serve (loading
// the AOF, unable to persist, out of memory, busy with a script) become
// store_unavailable; anything else is returned as it is and ends as an
// internal error.
func storeErr(err error) error {
	if err == nil || ErrorCode(err) != "" {
		return err
	}
	if unavailable(err) {
		return &Error{Code: CodeStoreUnavailable, Message: "the store is unavailable, try again", Err: err}
	}
	return err
}

func unavailable(err error) bool {
	var netErr net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled),
		errors.Is(err, redis.ErrPoolTimeout), errors.Is(err, redis.ErrClosed),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.As(err, &netErr),
		errors.Is(err, ErrReplicaAck):
		return true
	}
	// A server that cannot be verified (TLS) or refuses our credentials is
	// as unusable as an absent one; the cause is logged in full.
	var certErr *tls.CertificateVerificationError
	var recordErr tls.RecordHeaderError
	if errors.As(err, &certErr) || errors.As(err, &recordErr) {
		return true
	}
	if unavailableKinds[errorKind(err)] {
		return true
	}
	return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// unavailableKinds are the error kinds of a server that cannot serve now
// (loading its data, unable to persist, out of memory, busy with a script, a
// replica or a cluster not ready) or that refuses our credentials.
var unavailableKinds = map[string]bool{
	"LOADING": true, "MISCONF": true, "READONLY": true, "OOM": true, "BUSY": true, "MASTERDOWN": true,
	"TRYAGAIN": true, "CLUSTERDOWN": true, "NOREPLICAS": true, "NOAUTH": true, "WRONGPASS": true,
}

// errorKind returns the kind of an error reply of Redis: its first word, in
// full ("BUSY", "BUSYGROUP", "ERR"), so that one kind is never taken for
// another that starts with the same letters. It is "" when err holds no
// reply of the server.
func errorKind(err error) string {
	var re redis.Error
	if !errors.As(err, &re) {
		return ""
	}
	kind, _, _ := strings.Cut(re.Error(), " ")
	return kind
}
