package redislib

import (
	"context"
	"fmt"
	"strconv"

	"github.com/redis/go-redis/v9"
)

// Script replies arrive as untyped values. These helpers read them with
// checked type assertions, so a malformed reply is never taken for a valid
// one (a missing element read as 0 would be a reply code): each caller turns
// a failed read into an "unexpected reply" error, an internal error.

// replyInt returns element i of a script reply as an integer.
func replyInt(reply []any, i int) (int64, bool) {
	if i >= len(reply) {
		return 0, false
	}
	n, ok := reply[i].(int64)
	return n, ok
}

// asString returns a reply element as a string ("" for nil or other kinds).
func asString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	}
	return ""
}

// flatHash turns a flat HGETALL list in a script reply into a map; false
// when v is not such a list.
func flatHash(v any) (map[string]string, bool) {
	list, ok := v.([]any)
	if !ok || len(list)%2 != 0 {
		return nil, false
	}
	h := make(map[string]string, len(list)/2)
	for i := 0; i < len(list); i += 2 {
		k, ok1 := list[i].(string)
		val, ok2 := list[i+1].(string)
		if !ok1 || !ok2 {
			return nil, false
		}
		h[k] = val
	}
	return h, true
}

// decide runs a script that decides (see lua/README.md: it replies
// {code, ...}, code 1 when it applied the change) through the auto-pipeline
// and returns its reply and code; a reply without a code is an error.
func (s *Store) decide(ctx context.Context, script *redis.Script, name string, keys []string, args ...any) ([]any, int64, error) {
	reply, err := script.Run(ctx, s.pipe, keys, args...).Slice()
	if err != nil {
		return nil, 0, storeErr(err)
	}
	code, ok := replyInt(reply, 0)
	if !ok {
		return nil, 0, unexpected(name, reply)
	}
	return reply, code, nil
}

// unexpected is the error of a reply a script's contract does not allow.
func unexpected(script string, reply any) error {
	return fmt.Errorf("%s: unexpected reply %v", script, reply)
}
