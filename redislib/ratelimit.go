package redislib

import (
	"context"
	"fmt"
	"math"
	"seckill/redislib/internal/key"
	"seckill/redislib/sale"
	"time"
)

// rateBucket is one GCRA bucket: its key and its rate.
type rateBucket struct {
	key  string
	rate sale.Rate
}

// RateLimit counts one request against the rate limit of the client
// network ip (at ipRate) and that of user (at userRate), in one round
// trip, and reports whether both allowed it. When one refused, wait is how
// long until it would allow one more (the longer such wait). A request
// refused by one still counts against the other if that one allowed it. An
// empty ip or user, or a rate that is off, is skipped. ip is an IPv4
// address or an IPv6 /64 prefix, in its textual form.
func (s *Store) RateLimit(ctx context.Context, ip string, ipRate sale.Rate, user string, userRate sale.Rate) (allowed bool, wait time.Duration, err error) {
	active := make([]rateBucket, 0, 2)
	if ip != "" && !ipRate.Off() {
		active = append(active, rateBucket{key.IPRateLimit(ip), ipRate})
	}
	if user != "" && !userRate.Off() {
		active = append(active, rateBucket{key.UserRateLimit(user), userRate})
	}
	switch len(active) {
	case 0:
		return true, 0, nil
	case 1:
		// Through the auto-pipeline, like the purchase it guards: concurrent
		// requests share the round trip.
		b := active[0]
		reply, err := rateLimitScript.Run(ctx, s.pipe, []string{b.key}, interval(b.rate), b.rate.Burst).Int64Slice()
		if err != nil {
			return false, 0, storeErr(err)
		}
		return rateLimitReply(reply)
	}
	calls := make([]scriptCall, len(active))
	for i, b := range active {
		calls[i] = scriptCall{script: rateLimitScript, keys: []string{b.key}, args: []any{interval(b.rate), b.rate.Burst}}
	}
	cmds, err := runPipelined(ctx, s.rdb, calls)
	if err != nil {
		return false, 0, storeErr(err)
	}
	allowed = true
	for _, cmd := range cmds {
		reply, err := cmd.Int64Slice()
		if err != nil {
			return false, 0, storeErr(err)
		}
		ok, w, err := rateLimitReply(reply)
		if err != nil {
			return false, 0, err
		}
		allowed = allowed && ok
		wait = max(wait, w)
	}
	return allowed, wait, nil
}

// Replies of rate_limit.lua: {code, wait}.
const (
	rateLimitAllowed = 1
	rateLimitRefused = 2
)

// rateLimitReply reads one reply of rate_limit.lua.
func rateLimitReply(reply []int64) (bool, time.Duration, error) {
	if len(reply) != 2 {
		return false, 0, fmt.Errorf("rate_limit: unexpected reply %v", reply)
	}
	switch reply[0] {
	case rateLimitAllowed:
		return true, 0, nil
	case rateLimitRefused:
		return false, time.Duration(reply[1]) * time.Microsecond, nil
	default:
		return false, 0, fmt.Errorf("rate_limit: unexpected reply %v", reply)
	}
}

// interval is the GCRA emission interval of r in whole microseconds (at
// least 1), or 0 when r is off.
func interval(r sale.Rate) int64 {
	if r.Off() {
		return 0
	}
	return max(1, int64(math.Round(1e6/r.PerSecond)))
}
