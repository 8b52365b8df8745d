package httpapi

import (
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"go.opentelemetry.io/otel/trace"

	"seckill/redislib"
)

// Error codes of the HTTP layer: request decoding, authentication,
// routing and the server's own state. The codes of the domain rules and the
// store's are in redislib; Status maps them all.
const (
	CodeEmptyBody        = "empty_body"
	CodeMalformedJSON    = "malformed_json"
	CodeUnknownField     = "unknown_field"
	CodeInvalidFieldType = "invalid_field_type"
	CodeMissingField     = "missing_field"
	CodeInvalidStatus    = "invalid_status"
	CodeUnauthorized     = "unauthorized"
	CodeInvalidToken     = "invalid_token"
	CodeForbidden        = "forbidden"
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
	CodeForbidden:        http.StatusForbidden,
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

	redislib.CodeInvalidID:            http.StatusBadRequest,
	redislib.CodeInvalidUserID:        http.StatusBadRequest,
	redislib.CodeInvalidName:          http.StatusBadRequest,
	redislib.CodeInvalidDescription:   http.StatusBadRequest,
	redislib.CodeInvalidPrice:         http.StatusBadRequest,
	redislib.CodeInvalidStock:         http.StatusBadRequest,
	redislib.CodeInvalidDelta:         http.StatusBadRequest,
	redislib.CodeInvalidTime:          http.StatusBadRequest,
	redislib.CodeInvalidTimeRange:     http.StatusBadRequest,
	redislib.CodeInvalidPaymentWindow: http.StatusBadRequest,
	redislib.CodeInvalidShards:        http.StatusBadRequest,
	redislib.CodeEmptyUpdate:          http.StatusBadRequest,
	redislib.CodeInvalidPaymentRef:    http.StatusBadRequest,
	redislib.CodeInvalidAmount:        http.StatusBadRequest,
	redislib.CodeInvalidCurrency:      http.StatusBadRequest,
	redislib.CodeInvalidAdmission:     http.StatusBadRequest,
	redislib.CodeAdmissionRequired:    http.StatusForbidden,
	redislib.CodeNotQueue:             http.StatusConflict,
	redislib.CodeNotInQueue:           http.StatusNotFound,

	redislib.CodeUnknownProduct:   http.StatusBadRequest,
	redislib.CodeProductDeleted:   http.StatusBadRequest,
	redislib.CodeEndsInPast:       http.StatusBadRequest,
	redislib.CodeProductNotFound:  http.StatusNotFound,
	redislib.CodeActivityNotFound: http.StatusNotFound,
	redislib.CodeOrderNotFound:    http.StatusNotFound,
	redislib.CodeStoreUnavailable: http.StatusServiceUnavailable,

	redislib.CodeInvalidCursor:     http.StatusBadRequest,
	redislib.CodeInvalidLimit:      http.StatusBadRequest,
	redislib.CodeProductInUse:      http.StatusConflict,
	redislib.CodeProductIsDeleted:  http.StatusConflict,
	redislib.CodeActivityCancelled: http.StatusConflict,
	redislib.CodeActivityEnded:     http.StatusConflict,
	redislib.CodeActivityStarted:   http.StatusConflict,
	redislib.CodeStockBelowSold:    http.StatusConflict,
	redislib.CodeStockOutOfRange:   http.StatusConflict,
	redislib.CodeOrderExpired:      http.StatusConflict,
	redislib.CodeOrderCancelled:    http.StatusConflict,
	redislib.CodeAlreadyPaid:       http.StatusConflict,
	redislib.CodeOrderClosed:       http.StatusConflict,
	redislib.CodeAmountMismatch:    http.StatusConflict,
	redislib.CodePaymentRefUsed:    http.StatusConflict,
	// redislib.CodeNotOwner is CodeForbidden: 403 above.
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
func Fail(code, format string, args ...any) error { return redislib.Errorf(code, format, args...) }

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
	fiber.StatusRequestTimeout:              redislib.CodeStoreUnavailable,
}

// ErrorHandler renders every error as {"error": {"code", "message"}} with the
// status from the table; a 503 also carries Retry-After, with jitter. Errors without a code are logged to log in full and
// shown to the client only as "internal".
func ErrorHandler(log *slog.Logger) fiber.ErrorHandler {
	return func(c *fiber.Ctx, err error) error {
		var detail ErrorDetail
		var appErr *redislib.Error
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
