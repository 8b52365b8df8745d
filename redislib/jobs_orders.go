package redislib

import (
	"context"
	"errors"
	"fmt"
	"seckill/redislib/internal/key"
	"seckill/redislib/sale"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// userIndexGroup is the consumer group, on every activity's events stream,
// that the user-history projector reads with.
const userIndexGroup = "user-index"

// JobOptions bound one run of a background job (ExpireOrders,
// ProjectUserOrders).
type JobOptions struct {
	// Batch is how many orders or events one step handles (default 100).
	Batch int
	// Until, when not zero, is when the job stops starting new steps; it then
	// reports Complete false and the next run carries on.
	Until time.Time
	// Consumer is the projector's consumer name in its consumer group,
	// "user-index" (default "projector").
	Consumer string
	// MinIdle is how long an event must have been delivered to a consumer
	// without being acknowledged before the projector reclaims it with
	// XAUTOCLAIM (default 30 s): that consumer is taken to have died.
	MinIdle time.Duration
}

func (o JobOptions) withDefaults() JobOptions {
	if o.Batch <= 0 {
		o.Batch = 100
	}
	if o.Consumer == "" {
		o.Consumer = "projector"
	}
	if o.MinIdle == 0 {
		o.MinIdle = 30 * time.Second
	}
	return o
}

// stop reports whether the job must not start another step.
func (o JobOptions) stop(ctx context.Context) bool {
	return ctx.Err() != nil || !o.Until.IsZero() && !time.Now().Before(o.Until)
}

// activityPage is how many activity IDs a job reads from the index at once.
const activityPage = 200

// forEachActivity calls fn with every activity ID, a page at a time, in the
// order they were registered. Activities registered during the walk are
// reached too (they are appended to the index). It stops early when fn
// returns false or an error.
func (s *Store) forEachActivity(ctx context.Context, fn func(ids []string) (bool, error)) error {
	for start := int64(0); ; start += activityPage {
		ids, err := s.rdb.ZRange(ctx, key.ActivitiesIndex(), start, start+activityPage-1).Result()
		if err != nil {
			return storeErr(err)
		}
		if len(ids) > 0 {
			more, err := fn(ids)
			if err != nil || !more {
				return err
			}
		}
		if len(ids) < activityPage {
			return nil
		}
	}
}

// ExpireResult is what one run of ExpireOrders did.
type ExpireResult struct {
	// Expired is how many orders were expired (each returned its unit).
	Expired int `json:"expired"`
	// Complete is false when the run stopped at opts.Until with overdue
	// orders possibly left for the next run.
	Complete bool `json:"complete"`
}

// ExpireOrders expires every overdue pending order of every activity, at
// most opts.Batch orders per script run, and returns how many it expired.
// Each order is checked again inside order_expire.lua, so a run racing
// payments, cancellations, lazy expiry or another run never expires an order
// twice or one that was paid.
func (s *Store) ExpireOrders(ctx context.Context, opts JobOptions) (ExpireResult, error) {
	opts = opts.withDefaults()
	var res ExpireResult
	stopped := false
	err := s.forEachActivity(ctx, func(ids []string) (bool, error) {
		buckets, err := s.bucketRefsOf(ctx, ids)
		if err != nil {
			return false, err
		}
		// Transfers a crash left half done, and facts a crash left behind,
		// are completed here too.
		for _, id := range ids {
			if n, ok := s.cachedBucketCount(id); ok && n > 1 {
				if _, err := s.recoverTransfers(ctx, id); err != nil {
					return false, err
				}
			}
		}
		now, err := s.rdb.Time(ctx).Result()
		if err != nil {
			return false, storeErr(err)
		}
		nowMs := strconv.FormatInt(now.UnixMilli(), 10)
		due := make([]*redis.StringSliceCmd, len(buckets))
		_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i, b := range buckets {
				due[i] = p.ZRangeByScore(ctx, key.BucketPending(b.id, b.k), &redis.ZRangeBy{Min: "-inf", Max: nowMs, Count: int64(opts.Batch)})
			}
			return nil
		})
		if err != nil {
			return false, storeErr(err)
		}
		for i, b := range buckets {
			orders := due[i].Val()
			for len(orders) > 0 {
				if opts.stop(ctx) {
					stopped = true
					return false, nil
				}
				n, progress, err := s.expireBatch(ctx, b, orders)
				if err != nil {
					return false, err
				}
				res.Expired += n
				if !progress || len(orders) < opts.Batch {
					break
				}
				orders, err = s.rdb.ZRangeByScore(ctx, key.BucketPending(b.id, b.k), &redis.ZRangeBy{Min: "-inf", Max: nowMs, Count: int64(opts.Batch)}).Result()
				if err != nil {
					return false, storeErr(err)
				}
			}
		}
		return true, nil
	})
	if err != nil {
		return res, err
	}
	res.Complete = !stopped
	return res, nil
}

// bucketRef names one stock bucket of an activity.
type bucketRef struct {
	id string
	k  int
}

// cachedBucketCount returns an activity's number of buckets if bucketCount has read it.
func (s *Store) cachedBucketCount(activityID string) (int, bool) {
	v, ok := s.bucketCounts.Load(activityID)
	if !ok {
		return 0, false
	}
	return v.(int), true
}

// bucketsOf returns every bucket of the given activities, reading the
// number of buckets of those not read before in one pipeline. IDs of
// activities that do not exist (registered but never written) are left out.
func (s *Store) bucketRefsOf(ctx context.Context, ids []string) ([]bucketRef, error) {
	var unknown []string
	for _, id := range ids {
		if _, ok := s.cachedBucketCount(id); !ok {
			unknown = append(unknown, id)
		}
	}
	if len(unknown) > 0 {
		cmds := make([]*redis.SliceCmd, len(unknown))
		_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i, id := range unknown {
				cmds[i] = p.HMGet(ctx, key.Activity(id), "id", "shards")
			}
			return nil
		})
		if err != nil {
			return nil, storeErr(err)
		}
		for i, id := range unknown {
			v := cmds[i].Val()
			if len(v) != 2 {
				return nil, fmt.Errorf("hmget: unexpected reply %v", v)
			}
			if v[0] == nil {
				continue
			}
			n := 1
			if raw, ok := v[1].(string); ok {
				if n, err = strconv.Atoi(raw); err != nil || n < 1 || n > sale.MaxBuckets {
					return nil, fmt.Errorf("activity %s holds shards %q", id, raw)
				}
			}
			s.bucketCounts.Store(id, n)
		}
	}
	var out []bucketRef
	for _, id := range ids {
		if n, ok := s.cachedBucketCount(id); ok {
			for k := range n {
				out = append(out, bucketRef{id: id, k: k})
			}
		}
	}
	return out, nil
}

// expireBatch runs order_expire.lua on some of a bucket's pending orders.
// progress is false when the script changed nothing (the orders are not
// overdue by Redis time yet), so the caller does not loop on them.
func (s *Store) expireBatch(ctx context.Context, b bucketRef, orderIDs []string) (expired int, progress bool, err error) {
	keys := make([]string, 0, 4+len(orderIDs))
	keys = append(keys, key.BucketMeta(b.id, b.k), key.BucketStock(b.id, b.k), key.BucketPending(b.id, b.k), key.Events(b.id, b.k))
	args := make([]any, len(orderIDs))
	for i, id := range orderIDs {
		keys = append(keys, key.BucketOrder(b.id, b.k, id))
		args[i] = id
	}
	r, err := orderExpireScript.Run(ctx, s.pipe, keys, args...).Int64Slice()
	if err != nil {
		return 0, false, storeErr(err)
	}
	if len(r) != 2 {
		return 0, false, fmt.Errorf("order_expire: unexpected reply %v", r)
	}
	return int(r[0]), r[0]+r[1] > 0, nil
}

// ProjectResult is what one run of ProjectUserOrders did.
type ProjectResult struct {
	// Events is how many events were read and acknowledged.
	Events int `json:"events"`
	// Reclaimed is how many of them were reclaimed from a consumer that had
	// not acknowledged them within MinIdle.
	Reclaimed int `json:"reclaimed"`
	// Complete is false when the run stopped at opts.Until.
	Complete bool `json:"complete"`
}

// ProjectUserOrders applies the events streams of every activity (the
// outbox) to the per-user order histories, through the consumer group
// "user-index": each "won" event adds its order to key.UserOrders(user_id)
// with its creation time as score. Applying an event twice changes nothing,
// so an event is acknowledged (XACK) only after it is applied, and events a
// dead consumer left unacknowledged are reclaimed with XAUTOCLAIM after
// opts.MinIdle. After a complete run, every order ever won is in its user's
// history, including a win whose purchase call failed after the purchase
// script ran. Activities are handled a page at a time with pipelined reads,
// so activities without new events cost little.
func (s *Store) ProjectUserOrders(ctx context.Context, opts JobOptions) (ProjectResult, error) {
	opts = opts.withDefaults()
	var res ProjectResult
	stopped := false
	err := s.forEachActivity(ctx, func(ids []string) (bool, error) {
		if opts.stop(ctx) {
			stopped = true
			return false, nil
		}
		buckets, err := s.bucketRefsOf(ctx, ids)
		if err != nil {
			return false, err
		}
		streams, err := s.ensureUserIndexGroups(ctx, buckets)
		if err != nil || len(streams) == 0 {
			return err == nil, err
		}
		// Reclaim what dead consumers left, then read what is new; a stream
		// with a full batch is followed on its own until it is drained.
		claims := make([]*redis.XAutoClaimCmd, len(streams))
		reads := make([]*redis.XStreamSliceCmd, len(streams))
		// failBatch: a pipeline that fails as a whole (a connection refused
		// at AUTH) may leave its commands without an error, which would read
		// as "nothing to claim" or "no new events".
		failBatch(s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i, st := range streams {
				claims[i] = p.XAutoClaim(ctx, s.claimArgs(st, "0-0", opts))
			}
			return nil
		}))
		for i, st := range streams {
			msgs, next, err := claims[i].Result()
			if err != nil {
				return false, storeErr(err)
			}
			for {
				if err := s.applyEvents(ctx, st, msgs); err != nil {
					return false, err
				}
				res.Events += len(msgs)
				res.Reclaimed += len(msgs)
				if next == "0-0" {
					break
				}
				if opts.stop(ctx) {
					stopped = true
					return false, nil
				}
				if msgs, next, err = s.rdb.XAutoClaim(ctx, s.claimArgs(st, next, opts)).Result(); err != nil {
					return false, storeErr(err)
				}
			}
		}
		failBatch(s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i, st := range streams {
				reads[i] = p.XReadGroup(ctx, s.readArgs(st, opts))
			}
			return nil
		}))
		for i, st := range streams {
			cmd := reads[i]
			for {
				msgs, err := newMessages(cmd)
				if err != nil {
					return false, err
				}
				if err := s.applyEvents(ctx, st, msgs); err != nil {
					return false, err
				}
				res.Events += len(msgs)
				if len(msgs) < opts.Batch {
					break
				}
				if opts.stop(ctx) {
					stopped = true
					return false, nil
				}
				cmd = s.rdb.XReadGroup(ctx, s.readArgs(st, opts))
			}
		}
		return true, nil
	})
	if err != nil {
		return res, err
	}
	res.Complete = !stopped
	return res, nil
}

// ensureUserIndexGroups creates userIndexGroup, reading from the first
// entry, on the streams of the given buckets where it is missing, and
// returns the streams that exist. A bucket without any purchase has no
// stream and nothing to project. The streams are looked up first, so that
// the only error XGROUP CREATE may answer is BUSYGROUP (the group exists);
// a stream is never deleted, so one that exists still does.
func (s *Store) ensureUserIndexGroups(ctx context.Context, buckets []bucketRef) ([]string, error) {
	exists := make([]*redis.IntCmd, len(buckets))
	failBatch(s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, b := range buckets {
			exists[i] = p.Exists(ctx, key.Events(b.id, b.k))
		}
		return nil
	}))
	var streams []string
	for i, b := range buckets {
		n, err := exists[i].Result()
		if err != nil {
			return nil, storeErr(err)
		}
		if n == 1 {
			streams = append(streams, key.Events(b.id, b.k))
		}
	}
	if len(streams) == 0 {
		return nil, nil
	}
	create := make([]*redis.StatusCmd, len(streams))
	failBatch(s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, st := range streams {
			create[i] = p.XGroupCreate(ctx, st, userIndexGroup, "0")
		}
		return nil
	}))
	for _, c := range create {
		if err := c.Err(); err != nil && errorKind(err) != "BUSYGROUP" {
			return nil, storeErr(err)
		}
	}
	return streams, nil
}

func (s *Store) claimArgs(stream, start string, opts JobOptions) *redis.XAutoClaimArgs {
	return &redis.XAutoClaimArgs{Stream: stream, Group: userIndexGroup, Consumer: opts.Consumer,
		MinIdle: opts.MinIdle, Start: start, Count: int64(opts.Batch)}
}

func (s *Store) readArgs(stream string, opts JobOptions) *redis.XReadGroupArgs {
	return &redis.XReadGroupArgs{Group: userIndexGroup, Consumer: opts.Consumer,
		Streams: []string{stream, ">"}, Count: int64(opts.Batch), Block: -1}
}

// newMessages returns the entries an XREADGROUP delivered; none is not an error.
func newMessages(cmd *redis.XStreamSliceCmd) ([]redis.XMessage, error) {
	streams, err := cmd.Result()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, storeErr(err)
	}
	var msgs []redis.XMessage
	for _, st := range streams {
		msgs = append(msgs, st.Messages...)
	}
	return msgs, nil
}

// applyEvents adds the order of every "won" event to its user's history,
// then acknowledges all the events. Other events need nothing: the history
// holds order IDs, and an order's status is read from the order itself. The
// additions go through the auto-pipeline, so with replica acks an event is
// acknowledged only once replicas hold its entry (on a cluster each user's
// history may live on a different node).
func (s *Store) applyEvents(ctx context.Context, stream string, msgs []redis.XMessage) error {
	if len(msgs) == 0 {
		return nil
	}
	ids := make([]string, 0, len(msgs))
	var adds []redis.Cmder
	for _, m := range msgs {
		ids = append(ids, m.ID)
		if m.Values["type"] != "won" {
			continue
		}
		user, _ := m.Values["user_id"].(string)
		order, _ := m.Values["order_id"].(string)
		at, _ := m.Values["at"].(string)
		created, err := strconv.ParseInt(at, 10, 64)
		if !sale.ValidUserID(user) || order == "" || err != nil {
			continue // not an event this product wrote; nothing to apply
		}
		adds = append(adds, redis.NewIntCmd(ctx, "zadd", key.UserOrders(user), created, order))
	}
	if err := s.pipe.processEach(ctx, adds); err != nil {
		return storeErr(err)
	}
	return storeErr(s.rdb.XAck(ctx, stream, userIndexGroup, ids...).Err())
}
