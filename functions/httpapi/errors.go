package httpapi

import (
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"seckill/redislib/sale"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"go.opentelemetry.io/otel/trace"
)

// Error codes of the HTTP layer: request decoding, authentication,
// routing and the server's own state. The codes of the domain and the
// store are in redislib/sale, in one table; Status maps them all.
const (
	CodeEmptyBody        = "empty_body"
	CodeMalformedJSON    = "malformed_json"
	CodeUnknownField     = "unknown_field"
	CodeInvalidFieldType = "invalid_field_type"
	CodeMissingField     = "missing_field"
	CodeInvalidStatus    = "invalid_status"
	CodeUnauthorized     = "unauthorized"
	CodeInvalidToken     = "invalid_token"
	CodeNotFound         = "not_found"
	CodeMethodNotAllowed = "method_not_allowed"
	CodeRateLimited      = "rate_limited"
	CodeNotReady         = "not_ready"
	CodeNotDurable       = "not_durable"
	CodeInternal         = "internal"
	// Payment confirmations: a signature missing, not made with the
	// webhook secret, or made too long ago (a replay); demo payments off.
	CodeMissingSignature = "missing_signature"
	CodeInvalidSignature = "invalid_signature"
	CodeStaleSignature   = "stale_signature"
	CodeDemoPaymentOff   = "demo_payment_off"
)

// Error codes that only this package answers with.
const (
	codeBodyTooLarge    = "body_too_large"
	codeHeadersTooLarge = "headers_too_large"
)

// statusOf is the one table from error code to HTTP status.
var statusOf = map[string]int{
	CodeEmptyBody:        http.StatusBadRequest,
	CodeMalformedJSON:    http.StatusBadRequest,
	CodeUnknownField:     http.StatusBadRequest,
	CodeInvalidFieldType: http.StatusBadRequest,
	CodeMissingField:     http.StatusBadRequest,
	CodeInvalidStatus:    http.StatusBadRequest,
	CodeUnauthorized:     http.StatusUnauthorized,
	CodeInvalidToken:     http.StatusUnauthorized,
	sale.CodeForbidden:   http.StatusForbidden,
	CodeNotFound:         http.StatusNotFound,
	CodeMethodNotAllowed: http.StatusMethodNotAllowed,
	codeBodyTooLarge:     http.StatusRequestEntityTooLarge,
	codeHeadersTooLarge:  http.StatusRequestHeaderFieldsTooLarge,
	CodeRateLimited:      http.StatusTooManyRequests,
	CodeNotReady:         http.StatusServiceUnavailable,
	CodeNotDurable:       http.StatusServiceUnavailable,
	CodeInternal:         http.StatusInternalServerError,
	CodeMissingSignature: http.StatusUnauthorized,
	CodeInvalidSignature: http.StatusUnauthorized,
	CodeStaleSignature:   http.StatusUnauthorized,
	CodeDemoPaymentOff:   http.StatusNotFound,

	sale.CodeInvalidID:            http.StatusBadRequest,
	sale.CodeInvalidUserID:        http.StatusBadRequest,
	sale.CodeInvalidName:          http.StatusBadRequest,
	sale.CodeInvalidDescription:   http.StatusBadRequest,
	sale.CodeInvalidPrice:         http.StatusBadRequest,
	sale.CodeInvalidStock:         http.StatusBadRequest,
	sale.CodeInvalidDelta:         http.StatusBadRequest,
	sale.CodeInvalidTime:          http.StatusBadRequest,
	sale.CodeInvalidTimeRange:     http.StatusBadRequest,
	sale.CodeInvalidPaymentWindow: http.StatusBadRequest,
	sale.CodeInvalidShards:        http.StatusBadRequest,
	sale.CodeEmptyUpdate:          http.StatusBadRequest,
	sale.CodeInvalidPaymentRef:    http.StatusBadRequest,
	sale.CodeInvalidAmount:        http.StatusBadRequest,
	sale.CodeInvalidCurrency:      http.StatusBadRequest,
	sale.CodeInvalidAdmission:     http.StatusBadRequest,
	sale.CodeAdmissionRequired:    http.StatusForbidden,
	sale.CodeNotQueue:             http.StatusConflict,
	sale.CodeNotInQueue:           http.StatusNotFound,

	sale.CodeUnknownProduct:   http.StatusBadRequest,
	sale.CodeProductDeleted:   http.StatusBadRequest,
	sale.CodeEndsInPast:       http.StatusBadRequest,
	sale.CodeProductNotFound:  http.StatusNotFound,
	sale.CodeActivityNotFound: http.StatusNotFound,
	sale.CodeOrderNotFound:    http.StatusNotFound,
	sale.CodeStoreUnavailable: http.StatusServiceUnavailable,

	sale.CodeInvalidCursor:     http.StatusBadRequest,
	sale.CodeInvalidLimit:      http.StatusBadRequest,
	sale.CodeProductInUse:      http.StatusConflict,
	sale.CodeProductIsDeleted:  http.StatusConflict,
	sale.CodeActivityCancelled: http.StatusConflict,
	sale.CodeActivityEnded:     http.StatusConflict,
	sale.CodeActivityStarted:   http.StatusConflict,
	sale.CodeStockBelowSold:    http.StatusConflict,
	sale.CodeStockOutOfRange:   http.StatusConflict,
	sale.CodeOrderExpired:      http.StatusConflict,
	sale.CodeOrderCancelled:    http.StatusConflict,
	sale.CodeAlreadyPaid:       http.StatusConflict,
	sale.CodeOrderClosed:       http.StatusConflict,
	sale.CodeAmountMismatch:    http.StatusConflict,
	sale.CodePaymentRefUsed:    http.StatusConflict,

	sale.CodeNotDraw:             http.StatusConflict,
	sale.CodeRegistrationNotOpen: http.StatusConflict,
	sale.CodeRegistrationClosed:  http.StatusConflict,
	sale.CodeDrawNotDone:         http.StatusConflict,
}

// Codes returns every error code an answer can carry, with its HTTP status:
// a copy of the one table. The API's documentation lists them (a test
// checks that it lists exactly these).
func Codes() map[string]int {
	m := make(map[string]int, len(statusOf))
	for code, status := range statusOf {
		m[code] = status
	}
	return m
}

// Status returns the HTTP status of an error code; an unknown code is a 500.
func Status(code string) int {
	if s, ok := statusOf[code]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// Fail returns an error with the given code and a message for the client.
func Fail(code, format string, args ...any) error { return sale.Errorf(code, format, args...) }

// TooManyRequests sets Retry-After to wait in whole seconds (at least 1) and
// returns the 429 rate_limited answer.
func TooManyRequests(c *fiber.Ctx, wait time.Duration) error {
	secs := max(1, int64((wait+time.Second-1)/time.Second))
	c.Set(fiber.HeaderRetryAfter, strconv.FormatInt(secs, 10))
	return Fail(CodeRateLimited, "too many requests; retry after %d s", secs)
}

// Retry-After of a 503, in seconds: drawn uniformly from
// retryAfterMin..retryAfterMax for every answer, so that clients turned away
// by the same Redis blip come back spread over a few seconds rather than all
// in the same one.
const (
	retryAfterMin = 1
	retryAfterMax = 4
)

// ErrorBody is the body of every error response.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is a stable code and a human-readable message.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// fiberCodes maps the errors Fiber raises itself to codes.
var fiberCodes = map[int]string{
	fiber.StatusNotFound:                    CodeNotFound,
	fiber.StatusMethodNotAllowed:            CodeMethodNotAllowed,
	fiber.StatusRequestEntityTooLarge:       codeBodyTooLarge,
	fiber.StatusRequestHeaderFieldsTooLarge: codeHeadersTooLarge,
	fiber.StatusBadRequest:                  CodeMalformedJSON,
	fiber.StatusRequestTimeout:              sale.CodeStoreUnavailable,
}

// ErrorHandler renders every error as {"error": {"code", "message"}} with the
// status from the table; a 503 also carries Retry-After, with jitter. Errors without a code are logged to log in full and
// shown to the client only as "internal".
func ErrorHandler(log *slog.Logger) fiber.ErrorHandler {
	return func(c *fiber.Ctx, err error) error {
		var detail ErrorDetail
		var appErr *sale.Error
		var fe *fiber.Error
		switch {
		case errors.As(err, &appErr):
			detail = ErrorDetail{Code: appErr.Code, Message: appErr.Message}
			if appErr.Err != nil {
				trace.SpanFromContext(c.UserContext()).RecordError(appErr.Err)
				log.WarnContext(c.UserContext(), "request failed", "code", appErr.Code, "err", appErr.Err, "request_id", RequestID(c))
			}
		case errors.As(err, &fe):
			code, ok := fiberCodes[fe.Code]
			if !ok {
				code = CodeInternal
			}
			detail = ErrorDetail{Code: code, Message: fe.Message}
		default:
			trace.SpanFromContext(c.UserContext()).RecordError(err)
			log.ErrorContext(c.UserContext(), "internal error", "err", err, "request_id", RequestID(c))
			detail = ErrorDetail{Code: CodeInternal, Message: fmt.Sprintf("internal error (request %s)", RequestID(c))}
		}
		c.Locals(errorCodeKey, detail.Code)
		status := Status(detail.Code)
		if status == http.StatusServiceUnavailable && len(c.Response().Header.Peek(fiber.HeaderRetryAfter)) == 0 {
			c.Set(fiber.HeaderRetryAfter, strconv.Itoa(retryAfterMin+rand.IntN(retryAfterMax-retryAfterMin+1)))
		}
		return c.Status(status).JSON(ErrorBody{Error: detail})
	}
}
