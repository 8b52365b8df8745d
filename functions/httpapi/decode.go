package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"seckill/redislib/sale"
	"strings"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
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

// DecodePart reads the fields of v from the request body, which must be a
// JSON object in valid UTF-8, and ignores the fields v does not have: a
// gate reads the one field it needs (such as user_id) this way before the
// handler decodes the whole body strictly with Decode.
func DecodePart(c *fiber.Ctx, v any) error {
	body := c.Body()
	if len(bytes.TrimSpace(body)) == 0 {
		return Fail(CodeEmptyBody, "the request body is empty; send a JSON object")
	}
	if !utf8.Valid(body) {
		return Fail(CodeMalformedJSON, "the request body is not valid UTF-8")
	}
	if err := json.Unmarshal(body, v); err != nil {
		return decodeErr(err)
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

// RequireUserID returns the user_id field of a decoded request: 400
// missing_field when it is absent, invalid_user_id when it is malformed.
func RequireUserID(userID *string) (string, error) {
	if err := Required(F("user_id", userID)); err != nil {
		return "", err
	}
	if err := sale.CheckUserID(*userID); err != nil {
		return "", err
	}
	return *userID, nil
}

// Field pairs a JSON field name with whether it was absent from the request.
type Field struct {
	Name    string
	Missing bool
}

// F returns a Field for a pointer field of a decoded request.
func F[T any](name string, p *T) Field { return Field{Name: name, Missing: p == nil} }
