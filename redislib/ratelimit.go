package redislib

import (
	"context"
	"fmt"
	"math"
	"seckill/redislib/sale"
	"time"
)

// Limit is one rate-limit bucket: Rate requests per second on average, with
// up to Burst at once. Key is the bucket's key (UserRateLimitKey,
// IPRateLimitKey).
type Limit struct {
	Key   string
	Rate  float64
	Burst int
}

// interval is the bucket's emission interval in whole microseconds (>= 1).
func (l Limit) interval() int64 {
	return max(1, int64(math.Round(1e6/l.Rate)))
}

// RateLimit takes one request from every bucket in limits, in one round trip,
// and reports whether all of them allowed it. When one refused, wait is how
// long until it would allow one more (the longest such wait). A request
// refused by one bucket still counts against the others that allowed it.
// Limits with a Rate or Burst of zero or less are skipped.
func (s *Store) RateLimit(ctx context.Context, limits ...Limit) (allowed bool, wait time.Duration, err error) {
	active := limits[:0:0]
	for _, l := range limits {
		if l.Rate > 0 && l.Burst > 0 {
			active = append(active, l)
		}
	}
	switch len(active) {
	case 0:
		return true, 0, nil
	case 1:
		// Through the auto-pipeline, like the purchase it guards: concurrent
		// requests share the round trip.
		reply, err := rateLimitScript.Run(ctx, s.pipe, []string{active[0].Key}, active[0].interval(), active[0].Burst).Int64Slice()
		if err != nil {
			return false, 0, storeErr(err)
		}
		return rateLimitReply(reply)
	}
	calls := make([]scriptCall, len(active))
	for i, l := range active {
		calls[i] = scriptCall{script: rateLimitScript, keys: []string{l.Key}, args: []any{l.interval(), l.Burst}}
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
	rateLimitRefused = 0
	rateLimitAllowed = 1
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

// interval is the GCRA emission interval of r in whole microseconds, or 0
// when r is off.
func interval(r sale.Rate) int64 {
	if r.Off() {
		return 0
	}
	return Limit{Rate: r.PerSecond, Burst: r.Burst}.interval()
}
