package platform

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"seckill/redislib"
)

// Decode reads the request body as exactly one JSON object into v, strictly:
// an empty body, invalid UTF-8, malformed or truncated JSON, trailing data,
// unknown fields and wrong types are each a 400 with its own code. Required
// fields are checked by the caller (pointer fields left nil, see Required).
func Decode(c *fiber.Ctx, v any) error {
	body := c.Body()
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return Fail(CodeEmptyBody, "the request body is empty; send a JSON object")
	}
	if bytes.Equal(trimmed, []byte("null")) {
		// encoding/json decodes null into a struct as nothing at all.
		return Fail(CodeInvalidFieldType, "the request body must be a JSON object")
	}
	if !utf8.Valid(body) {
		return Fail(CodeMalformedJSON, "the request body is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeErr(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return Fail(CodeMalformedJSON, "the request body must hold exactly one JSON object")
	}
	return nil
}

func decodeErr(err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return Fail(CodeMalformedJSON, "malformed JSON at byte %d: %v", syntax.Offset, syntax)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return Fail(CodeMalformedJSON, "the JSON body is truncated")
	case errors.As(err, &typ):
		if typ.Field == "" {
			return Fail(CodeInvalidFieldType, "the request body must be a JSON object")
		}
		return Fail(CodeInvalidFieldType, "field %q must be a JSON %s", typ.Field, jsonKind(typ.Type.Kind().String()))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return Fail(CodeUnknownField, "unknown field %s", strings.TrimPrefix(err.Error(), "json: unknown field "))
	}
	return Fail(CodeMalformedJSON, "malformed JSON: %v", err)
}

func jsonKind(goKind string) string {
	switch goKind {
	case "int", "int64", "int32", "uint", "uint64", "float64":
		return "integer"
	case "string":
		return "string"
	case "bool":
		return "boolean"
	case "struct", "map":
		return "object"
	}
	return goKind
}

// Required returns a missing_field error naming the first nil field, in order.
func Required(fields ...Field) error {
	for _, f := range fields {
		if f.Missing {
			return Fail(CodeMissingField, "field %q is required", f.Name)
		}
	}
	return nil
}

// Field pairs a JSON field name with whether it was absent from the request.
type Field struct {
	Name    string
	Missing bool
}

// F returns a Field for a pointer field of a decoded request.
func F[T any](name string, p *T) Field { return Field{Name: name, Missing: p == nil} }

// UserID validates a user ID from a body or path.
func UserID(s string) (string, error) {
	if !redislib.ValidUserID(s) {
		return "", Fail(codeInvalidUserID, "user_id must be 1 to %d characters of A-Z a-z 0-9 . _ : @ -", redislib.MaxIDLen)
	}
	return s, nil
}

// PathID returns the route parameter name after checking it can be an ID;
// a malformed ID is a 400 invalid_id.
func PathID(c *fiber.Ctx, name string) (string, error) {
	id := c.Params(name)
	if !redislib.ValidID(id) {
		return "", Fail(CodeInvalidID, "%s must be 1 to %d characters of A-Z a-z 0-9 _", name, redislib.MaxIDLen)
	}
	return id, nil
}

// Text validates free text: 1..max characters (min 0 when optional), valid
// UTF-8 without control characters; name is the field, code its error code.
func Text(s, name, code string, minLen, maxLen int) (string, error) {
	n := utf8.RuneCountInString(s)
	if n < minLen || n > maxLen {
		return "", Fail(code, "%s must be %d to %d characters", name, minLen, maxLen)
	}
	for _, r := range s {
		if r == utf8.RuneError || unicode.IsControl(r) && r != '\n' && r != '\t' {
			return "", Fail(code, "%s must not contain control characters", name)
		}
	}
	return s, nil
}

// Price validates a price in cents: 0 to MaxPrice.
func Price(p int64) (int64, error) {
	if p < 0 || p > MaxPrice {
		return 0, Fail(CodeInvalidPrice, "price must be an integer number of cents from 0 to %d", MaxPrice)
	}
	return p, nil
}

// MaxPrice is the largest price accepted, in cents (one billion units).
const MaxPrice = 100_000_000_000

// rfc3339 is the exact shape of an RFC 3339 timestamp. time.Parse alone is
// more lenient: it takes a one-digit hour, and offsets such as +24:60 that
// then print as times that do not parse.
var rfc3339 = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$`)

// Time parses an RFC 3339 timestamp field.
func Time(s, name string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil || !rfc3339.MatchString(s) {
		return time.Time{}, Fail(CodeInvalidTime, "%s must be an RFC 3339 time such as 2030-01-02T15:04:05Z", name)
	}
	return t, nil
}

// Limits of product text fields, in characters.
const (
	MaxNameLen        = 200
	MaxDescriptionLen = 2000
)
