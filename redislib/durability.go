package redislib

import (
	"context"
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"
)

// ErrConfigUnavailable means the server refused CONFIG GET (managed Redis
// often renames or disables it), so durability could not be verified.
var ErrConfigUnavailable = fmt.Errorf("CONFIG GET is disabled on this Redis, durability cannot be verified")

// CheckDurability asks Redis whether every acknowledged write is on disk:
// appendonly yes and appendfsync always. It returns nil when it is, an error
// naming the offending settings when it is not, ErrConfigUnavailable when the
// server will not say, and a store_unavailable *Error when Redis does not answer.
func CheckDurability(ctx context.Context, rdb redis.UniversalClient) error {
	got := map[string]string{}
	for _, param := range []string{"appendonly", "appendfsync"} {
		m, err := rdb.ConfigGet(ctx, param).Result()
		if err != nil {
			if unavailable(err) {
				return storeErr(err)
			}
			return fmt.Errorf("%w: %v", ErrConfigUnavailable, err)
		}
		got[param] = m[param]
	}
	if strings.EqualFold(got["appendonly"], "yes") && strings.EqualFold(got["appendfsync"], "always") {
		return nil
	}
	return fmt.Errorf("redis is not durable: appendonly=%q appendfsync=%q, want appendonly=yes appendfsync=always", got["appendonly"], got["appendfsync"])
}
