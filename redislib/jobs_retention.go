package redislib

import (
	"context"
	"fmt"
	"seckill/redislib/internal/key"
	"time"

	"github.com/redis/go-redis/v9"
)

// Retention of the structures that grow with every order event and every
// move of units between buckets (see redislib/README.md, Retention).
const (
	// DefaultEventsHorizon is how long an event stays in its stream at most,
	// acknowledged or not: a consumer group that has not read for that long
	// is taken to be gone. Acknowledged events go at the next run.
	DefaultEventsHorizon = 7 * 24 * time.Hour
	// DefaultTransferKeep is how long a complete transfer stays in its
	// target's inbox after a run saw it complete: far above any request's
	// timeout, the longest a give can follow the read that found the transfer.
	DefaultTransferKeep = time.Hour
	// maxTrimIDs is how many transfer IDs one inbox_trim.lua call handles.
	maxTrimIDs = 500
)

// RetentionOptions bound one run of TrimRetention.
type RetentionOptions struct {
	// Until, when not zero, is when the job stops starting new steps; it then
	// reports Complete false and the next run carries on.
	Until time.Time
	// EventsHorizon is DefaultEventsHorizon unless set; negative: none
	// (only acknowledged events go).
	EventsHorizon time.Duration
	// TransferKeep is DefaultTransferKeep unless set.
	TransferKeep time.Duration
}

// RetentionResult is what one run of TrimRetention did.
type RetentionResult struct {
	// Events is how many stream entries were removed.
	Events int `json:"events"`
	// Transfers is how many complete transfers were removed from inboxes.
	Transfers int `json:"transfers"`
	// Complete is false when the run stopped at opts.Until.
	Complete bool `json:"complete"`
}

// TrimRetention applies the retention of every activity's event streams
// and transfer inboxes: it removes the events every consumer group has
// acknowledged and those older than the horizon (events_trim.lua), and the
// transfers complete for longer than TransferKeep (inbox_trim.lua). Orders,
// buyers and histories are records and are kept. Streams and inboxes that
// are empty cost one pipelined read per page of activities. Run it after
// ProjectUserOrders, so the user-index group has acknowledged what it read.
func (s *Store) TrimRetention(ctx context.Context, opts RetentionOptions) (RetentionResult, error) {
	horizon := opts.EventsHorizon
	if horizon == 0 {
		horizon = DefaultEventsHorizon
	}
	keep := opts.TransferKeep
	if keep <= 0 {
		keep = DefaultTransferKeep
	}
	var res RetentionResult
	stopped := false
	stop := func() bool {
		stopped = ctx.Err() != nil || !opts.Until.IsZero() && !time.Now().Before(opts.Until)
		return stopped
	}
	err := s.forEachActivity(ctx, func(ids []string) (bool, error) {
		if stop() {
			return false, nil
		}
		buckets, err := s.bucketRefsOf(ctx, ids)
		if err != nil {
			return false, err
		}
		n, err := s.trimEvents(ctx, buckets, max(horizon, 0))
		res.Events += n
		if err != nil {
			return false, err
		}
		for _, id := range ids {
			if n, ok := s.cachedBucketCount(id); ok && n > 1 {
				if stop() {
					return false, nil
				}
				done, err := s.trimInboxes(ctx, id, n, keep)
				res.Transfers += done
				if err != nil {
					return false, err
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

// trimEvents runs events_trim.lua on the streams of the given buckets that
// hold entries, and returns how many entries it removed.
func (s *Store) trimEvents(ctx context.Context, buckets []bucketRef, horizon time.Duration) (int, error) {
	lens := make([]*redis.IntCmd, len(buckets))
	if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, b := range buckets {
			lens[i] = p.XLen(ctx, key.Events(b.id, b.k))
		}
		return nil
	}); err != nil {
		return 0, storeErr(err)
	}
	var calls []scriptCall
	for i, b := range buckets {
		if lens[i].Val() > 0 {
			calls = append(calls, scriptCall{script: eventsTrimScript, keys: []string{key.Events(b.id, b.k)},
				args: []any{horizon.Milliseconds()}})
		}
	}
	cmds, err := s.runEach(ctx, calls)
	if err != nil {
		return 0, err
	}
	removed := 0
	for _, c := range cmds {
		r, err := c.Int64Slice()
		if err != nil {
			return removed, storeErr(err)
		}
		if len(r) != 2 {
			return removed, fmt.Errorf("events_trim: unexpected reply %v", r)
		}
		removed += int(r[0])
	}
	return removed, nil
}

// trimInboxes runs inbox_trim.lua on every inbox of an activity of n
// buckets with the transfers found complete: in the inbox, then, at a later
// read, in no outbox. It returns how many it removed.
func (s *Store) trimInboxes(ctx context.Context, activityID string, n int, keep time.Duration) (int, error) {
	inboxes := make([]*redis.StringSliceCmd, n)
	if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for k := range n {
			inboxes[k] = p.HKeys(ctx, key.Inbox(activityID, k))
		}
		return nil
	}); err != nil {
		return 0, storeErr(err)
	}
	empty := true
	for _, c := range inboxes {
		empty = empty && len(c.Val()) == 0
	}
	if empty {
		return 0, nil
	}
	// After the inbox read: an ID in no outbox now was deleted from its
	// outbox before this read, for good (IDs are never reused).
	bs, err := s.readBuckets(ctx, activityID, n, nil)
	if err != nil {
		return 0, err
	}
	inFlight := map[string]bool{}
	for _, b := range bs {
		for _, e := range b.outbox {
			inFlight[e.id] = true
		}
	}
	var calls []scriptCall
	for k, c := range inboxes {
		args := []any{keep.Milliseconds()}
		for _, id := range c.Val() {
			if inFlight[id] {
				continue
			}
			args = append(args, id)
			if len(args) == maxTrimIDs+1 {
				calls = append(calls, scriptCall{script: inboxTrimScript, keys: []string{key.Inbox(activityID, k)}, args: args})
				args = []any{keep.Milliseconds()}
			}
		}
		if len(args) > 1 {
			calls = append(calls, scriptCall{script: inboxTrimScript, keys: []string{key.Inbox(activityID, k)}, args: args})
		}
	}
	cmds, err := s.runEach(ctx, calls)
	if err != nil {
		return 0, err
	}
	deleted := 0
	for _, c := range cmds {
		r, err := c.Int64Slice()
		if err != nil {
			return deleted, storeErr(err)
		}
		if len(r) != 2 {
			return deleted, fmt.Errorf("inbox_trim: unexpected reply %v", r)
		}
		deleted += int(r[1])
	}
	return deleted, nil
}

// runEach runs script calls through the auto-pipeline, each a call of its
// own, so that they share round trips (and fsyncs), and returns their
// commands in order. A call answered NOSCRIPT did not run; it runs again
// with Script.Run, which loads the script.
func (s *Store) runEach(ctx context.Context, calls []scriptCall) ([]*redis.Cmd, error) {
	cmds := make([]*redis.Cmd, len(calls))
	batch := make([]redis.Cmder, len(calls))
	for i, c := range calls {
		args := make([]any, 0, 3+len(c.keys)+len(c.args))
		args = append(args, "evalsha", c.script.Hash(), len(c.keys))
		for _, k := range c.keys {
			args = append(args, k)
		}
		cmds[i] = redis.NewCmd(ctx, append(args, c.args...)...)
		batch[i] = cmds[i]
	}
	if len(batch) == 0 {
		return nil, nil
	}
	if err := s.pipe.processEach(ctx, batch); err != nil && ctx.Err() != nil {
		return nil, storeErr(err)
	}
	for i, c := range calls {
		if redis.HasErrorPrefix(cmds[i].Err(), "NOSCRIPT") {
			cmds[i] = c.script.Run(ctx, s.pipe, c.keys, c.args...)
		}
	}
	return cmds, nil
}
