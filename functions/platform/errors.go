package platform

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/gofiber/fiber/v2"
	"go.opentelemetry.io/otel/trace"

	"seckill/redislib"
)

// Error codes of request validation and the HTTP layer. The store's codes are
// in redislib; Status maps both.
const (
	CodeEmptyBody        = "empty_body"
	CodeMalformedJSON    = "malformed_json"
	CodeUnknownField     = "unknown_field"
	CodeInvalidFieldType = "invalid_field_type"
	CodeMissingField     = "missing_field"
	CodeInvalidID        = "invalid_id"
	CodeInvalidName      = "invalid_name"
	CodeInvalidDesc      = "invalid_description"
	CodeInvalidPrice     = "invalid_price"
	CodeInvalidStock     = "invalid_stock"
	CodeInvalidTime      = "invalid_time"
	CodeInvalidTimeRange = "invalid_time_range"
	CodeInvalidWindow    = "invalid_payment_window"
	CodeUnauthorized     = "unauthorized"
	CodeForbidden        = "forbidden"
	CodeNotFound         = "not_found"
	CodeMethodNotAllowed = "method_not_allowed"
	CodeRateLimited      = "rate_limited"
	CodeInvalidStatus    = "invalid_status"
	CodeEmptyUpdate      = "empty_update"
	CodeInvalidDelta     = "invalid_delta"
)

// Error codes that only this package answers with.
const (
	codeInvalidUserID   = "invalid_user_id"
	codeBodyTooLarge    = "body_too_large"
	codeHeadersTooLarge = "headers_too_large"
	codeNotReady        = "not_ready"
	codeInternal        = "internal"
)

// statusOf is the one table from error code to HTTP status.
var statusOf = map[string]int{
	CodeEmptyBody:        http.StatusBadRequest,
	CodeMalformedJSON:    http.StatusBadRequest,
	CodeUnknownField:     http.StatusBadRequest,
	CodeInvalidFieldType: http.StatusBadRequest,
	CodeMissingField:     http.StatusBadRequest,
	CodeInvalidID:        http.StatusBadRequest,
	codeInvalidUserID:    http.StatusBadRequest,
	CodeInvalidName:      http.StatusBadRequest,
	CodeInvalidDesc:      http.StatusBadRequest,
	CodeInvalidPrice:     http.StatusBadRequest,
	CodeInvalidStock:     http.StatusBadRequest,
	CodeInvalidTime:      http.StatusBadRequest,
	CodeInvalidTimeRange: http.StatusBadRequest,
	CodeInvalidWindow:    http.StatusBadRequest,
	CodeUnauthorized:     http.StatusUnauthorized,
	CodeForbidden:        http.StatusForbidden,
	CodeNotFound:         http.StatusNotFound,
	CodeMethodNotAllowed: http.StatusMethodNotAllowed,
	codeBodyTooLarge:     http.StatusRequestEntityTooLarge,
	codeHeadersTooLarge:  http.StatusRequestHeaderFieldsTooLarge,
	CodeRateLimited:      http.StatusTooManyRequests,
	codeNotReady:         http.StatusServiceUnavailable,
	codeInternal:         http.StatusInternalServerError,
	CodeInvalidStatus:    http.StatusBadRequest,
	CodeEmptyUpdate:      http.StatusBadRequest,
	CodeInvalidDelta:     http.StatusBadRequest,

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

// errorHandler renders every error as {"error": {"code", "message"}} with the
// status from the table. Errors without a code are logged in full and shown
// to the client only as "internal".
func errorHandler(d Deps) fiber.ErrorHandler {
	return func(c *fiber.Ctx, err error) error {
		var detail ErrorDetail
		var appErr *redislib.Error
		var fe *fiber.Error
		switch {
		case errors.As(err, &appErr):
			detail = ErrorDetail{Code: appErr.Code, Message: appErr.Message}
			if appErr.Err != nil {
				trace.SpanFromContext(c.UserContext()).RecordError(appErr.Err)
				d.Log.WarnContext(c.UserContext(), "request failed", "code", appErr.Code, "err", appErr.Err, "request_id", requestID(c))
			}
		case errors.As(err, &fe):
			code, ok := fiberCodes[fe.Code]
			if !ok {
				code = codeInternal
			}
			detail = ErrorDetail{Code: code, Message: fe.Message}
		default:
			trace.SpanFromContext(c.UserContext()).RecordError(err)
			d.Log.ErrorContext(c.UserContext(), "internal error", "err", err, "request_id", requestID(c))
			detail = ErrorDetail{Code: codeInternal, Message: fmt.Sprintf("internal error (request %s)", requestID(c))}
		}
		c.Locals(errorCodeKey, detail.Code)
		return c.Status(Status(detail.Code)).JSON(ErrorBody{Error: detail})
	}
}
