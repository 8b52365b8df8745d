package redislib

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"seckill/redislib/internal/key"
	"seckill/redislib/sale"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"
)

// One hot activity on Redis Cluster is bound to the primary of its slot. An
// activity created with shards = N > 1 splits its stock into N buckets, each
// under its own hash tag (keys.go), so the buckets spread over the primaries:
//
//   - A user always buys in bucket FNV-1a-32(user ID) mod N, so one order per
//     user stays exact inside one purchase script, and a repeat answers
//     already_won with the same order.
//   - Bucket 0 lives in the activity's slot; its meta is the activity itself,
//     which holds the facts (stock offered, times, price, cancellation) and
//     their revision rev. Buckets 1..N-1 hold a copy of the facts that
//     purchase.lua reads; every change of a fact raises rev and is copied to
//     each bucket (bucket_sync.lua) before it is answered.
//   - A purchase that finds its bucket empty moves units from the fullest
//     other bucket (at most half of it) and tries again. It answers sold_out
//     only once two reads of every bucket in a row found no units anywhere,
//     none in flight, and no unit came back in between: at the moment between
//     the two reads the whole activity was sold out (see refill).
//   - A move spans two slots, so it is a recorded transfer: take (the units
//     leave the source and the transfer enters the source's outbox, one
//     script), give (the target's stock and inbox, one script; a second give
//     is a no-op), then the outbox entry is deleted. Anyone may complete an
//     outbox entry at any time, so a crash at any step loses and doubles
//     nothing (recoverTransfers).
//   - Readers sum the buckets, reading them in rounds until two rounds agree
//     (see snapshot).

// Replies of bucket_create.lua.
const (
	bucketCreateWritten = 1
	bucketCreateExists  = 2
)

// Replies of bucket_sync.lua.
const (
	bucketSyncApplied  = 1
	bucketSyncUpToDate = 2
	bucketSyncUnknown  = 3
)

// Replies of transfer_take.lua.
const (
	transferTakeTaken = 1
	transferTakeEmpty = 2
)

// Replies of transfer_give.lua.
const (
	transferGiveCredited = 1
	transferGiveRepeated = 2
	transferGiveUnknown  = 3
)

const (
	// maxReadRounds bounds how many rounds a reader of a bucketed activity
	// reads before it answers 503: rounds differ only while units come back
	// to stock or move between buckets at that very moment.
	maxReadRounds = 16
	// maxRefills bounds how many times one purchase attempt refills its
	// bucket. Each refill that does not end in a win means another buyer
	// took the units meanwhile, so the sale progressed; past the bound the
	// attempt answers 503 rather than a sold_out that may not be true.
	maxRefills = 64
)

// factFields are the activity fields a bucket copies (bucket_sync.lua).
var factFields = []string{"product_id", "price", "starts_at", "ends_at", "payment_window", "cancelled_at", "paused_at", "admission"}

// bucketOf returns the stock bucket of a user in an activity of n buckets:
// FNV-1a 32 of the user ID, mod n.
func bucketOf(userID string, n int) int {
	if n <= 1 {
		return 0
	}
	h := fnv.New32a()
	_, _ = h.Write([]byte(userID))
	return int(h.Sum32() % uint32(n))
}

// bucketCount returns how many stock buckets an activity has. The number never
// changes once the activity exists, so it is kept in memory after the first
// read; an unknown activity is activity_not_found and is not kept.
func (s *Store) bucketCount(ctx context.Context, activityID string) (int, error) {
	if v, ok := s.bucketCounts.Load(activityID); ok {
		return v.(int), nil
	}
	// Through the auto-pipeline: the first attempts of a sale arrive at once.
	cmd := redis.NewSliceCmd(ctx, "hmget", key.Activity(activityID), "id", "shards")
	if err := s.pipe.Process(ctx, cmd); err != nil {
		return 0, storeErr(err)
	}
	h := cmd.Val()
	if len(h) != 2 {
		return 0, fmt.Errorf("hmget: unexpected reply %v", h)
	}
	if h[0] == nil {
		return 0, sale.Errorf(sale.CodeActivityNotFound, "activity %s not found", activityID)
	}
	n := 1
	if v, ok := h[1].(string); ok {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 || n > sale.MaxBuckets {
			return 0, fmt.Errorf("activity %s holds shards %q", activityID, v)
		}
	}
	s.bucketCounts.Store(activityID, n)
	return n, nil
}

// splitUnits returns the units of bucket k when stock is split into n
// buckets: as even as possible, the first stock mod n buckets one more.
func splitUnits(stock int64, n, k int) int64 {
	u := stock / int64(n)
	if int64(k) < stock%int64(n) {
		u++
	}
	return u
}

// createBuckets writes buckets 1..n-1 of a new activity, before the activity.
func (s *Store) createBuckets(ctx context.Context, id string, in sale.NewActivity, n int) error {
	for k := 1; k < n; k++ {
		reply, code, err := s.decide(ctx, bucketCreateScript, "bucket_create", []string{key.BucketMeta(id, k), key.BucketStock(id, k)},
			id, in.ProductID, in.Price, in.StartsAt.UnixMilli(), in.EndsAt.UnixMilli(), in.PaymentWindow,
			splitUnits(in.Stock, n, k), in.ModeOrOpen())
		if err != nil {
			return err
		}
		switch code {
		case bucketCreateWritten:
		case bucketCreateExists:
			return fmt.Errorf("bucket %d of activity %s already exists", k, id)
		default:
			return unexpected("bucket_create", reply)
		}
	}
	return nil
}

// syncBuckets copies the activity's facts at its current rev to every other
// bucket. Every change of a fact runs it before it is answered; readers and
// the expiry job run it when they find a bucket behind (after a crash in the
// middle of a change).
func (s *Store) syncBuckets(ctx context.Context, activityID string, n int) error {
	vals, err := s.rdb.HMGet(ctx, key.Activity(activityID), append([]string{"rev"}, factFields...)...).Result()
	if err != nil {
		return storeErr(err)
	}
	if len(vals) != 1+len(factFields) {
		return fmt.Errorf("hmget: unexpected reply %v", vals)
	}
	args := []any{asString(vals[0])}
	for i, f := range factFields {
		v, ok := vals[i+1].(string)
		if !ok && f == "admission" {
			v, ok = sale.AdmissionOpen, true // a hash without the field is open
		}
		if !ok {
			return fmt.Errorf("activity %s has no %s", activityID, f)
		}
		args = append(args, f, v)
	}
	for k := 1; k < n; k++ {
		reply, code, err := s.decide(ctx, bucketSyncScript, "bucket_sync", []string{key.BucketMeta(activityID, k)}, args...)
		if err != nil {
			return err
		}
		switch code {
		case bucketSyncApplied, bucketSyncUpToDate:
		case bucketSyncUnknown:
			return fmt.Errorf("bucket_sync: bucket %d of %s does not exist", k, activityID)
		default:
			return unexpected("bucket_sync", reply)
		}
	}
	return nil
}

// transferEntry is one outbox entry: units taken from bucket from for bucket to.
type transferEntry struct {
	id       string
	from, to int
	units    int64
	takenAt  int64
}

// parseOutbox reads the flat HGETALL of bucket from's outbox.
func parseOutbox(from int, v any) ([]transferEntry, error) {
	h, ok := flatHash(v)
	if !ok {
		return nil, fmt.Errorf("outbox: unexpected reply %v", v)
	}
	out := make([]transferEntry, 0, len(h))
	for id, rec := range h {
		parts := strings.Split(rec, ":")
		if len(parts) != 3 {
			return nil, fmt.Errorf("outbox entry %s: %q", id, rec)
		}
		to, err1 := strconv.Atoi(parts[0])
		units, err2 := strconv.ParseInt(parts[1], 10, 64)
		at, err3 := strconv.ParseInt(parts[2], 10, 64)
		if err1 != nil || err2 != nil || err3 != nil || units < 1 {
			return nil, fmt.Errorf("outbox entry %s: %q", id, rec)
		}
		out = append(out, transferEntry{id: id, from: from, to: to, units: units, takenAt: at})
	}
	return out, nil
}

// take runs the first step of a transfer of up to want units from bucket
// from to bucket to (at most half of from's units when half is true), and
// returns the recorded transfer, with 0 units when from had none.
func (s *Store) take(ctx context.Context, activityID string, from, to int, want int64, half bool) (transferEntry, error) {
	e := transferEntry{id: sale.NewID(), from: from, to: to}
	halfArg := "0"
	if half {
		halfArg = "1"
	}
	reply, code, err := s.decide(ctx, transferTakeScript, "transfer_take",
		[]string{key.BucketMeta(activityID, from), key.BucketStock(activityID, from), key.Outbox(activityID, from)},
		e.id, to, want, halfArg)
	if err != nil {
		return e, err
	}
	switch code {
	case transferTakeTaken:
		var ok bool
		if e.units, ok = replyInt(reply, 1); !ok || e.units < 1 {
			return e, unexpected("transfer_take", reply)
		}
		return e, nil
	case transferTakeEmpty:
		return e, nil
	default:
		return e, unexpected("transfer_take", reply)
	}
}

// give runs the second step of a transfer: it credits the target, once.
func (s *Store) give(ctx context.Context, activityID string, e transferEntry) error {
	reply, code, err := s.decide(ctx, transferGiveScript, "transfer_give",
		[]string{key.BucketMeta(activityID, e.to), key.BucketStock(activityID, e.to), key.Inbox(activityID, e.to)},
		e.id, e.units)
	if err != nil {
		return err
	}
	switch code {
	case transferGiveCredited, transferGiveRepeated:
		return nil
	case transferGiveUnknown:
		return fmt.Errorf("transfer_give: bucket %d of %s does not exist", e.to, activityID)
	default:
		return unexpected("transfer_give", reply)
	}
}

// complete finishes a transfer whose units were taken: give (a no-op when
// given before), then delete the outbox entry.
func (s *Store) complete(ctx context.Context, activityID string, e transferEntry) error {
	if err := s.give(ctx, activityID, e); err != nil {
		return err
	}
	return storeErr(s.pipe.Process(ctx, redis.NewIntCmd(ctx, "hdel", key.Outbox(activityID, e.from), e.id)))
}

// transfer moves up to want units from bucket from to bucket to and returns
// how many moved. An error after the take leaves the transfer in from's
// outbox, where recoverTransfers (or any refill) completes it.
func (s *Store) transfer(ctx context.Context, activityID string, from, to int, want int64, half bool) (int64, error) {
	e, err := s.take(ctx, activityID, from, to, want, half)
	if err != nil || e.units == 0 {
		return 0, err
	}
	if err := s.complete(ctx, activityID, e); err != nil {
		return 0, err
	}
	return e.units, nil
}

// recoverTransfers completes every transfer of units between the
// activity's buckets that was taken but is not known to be complete (a
// process died between the steps, or is still running them: completing a
// transfer twice is harmless), and brings every bucket's copy of the facts
// up to date. It returns how many transfers it completed. Any number of
// processes may run it at once. An activity with one bucket has nothing to
// recover.
func (s *Store) recoverTransfers(ctx context.Context, activityID string) (int, error) {
	n, err := s.bucketCount(ctx, activityID)
	if err != nil || n == 1 {
		return 0, err
	}
	// One read-only pipeline finds what there is to do; an activity with
	// nothing to recover (the usual case, for the expiry job) costs no write.
	bs, err := s.readBuckets(ctx, activityID, n, nil)
	if err != nil {
		return 0, err
	}
	if behind(bs) {
		if err := s.syncBuckets(ctx, activityID, n); err != nil {
			return 0, err
		}
	}
	done := 0
	for _, b := range bs {
		for _, e := range b.outbox {
			if err := s.complete(ctx, activityID, e); err != nil {
				return done, err
			}
			done++
		}
	}
	return done, nil
}

// bucketState is one bucket as bucket_read.lua read it.
type bucketState struct {
	meta      map[string]string
	remaining int64
	outbox    []transferEntry
	buyers    int64
	pending   int64
	overdue   int64
	now       int64
	received  []bool // for the transfer IDs asked about, in order
}

func (b bucketState) int(field string) int64 { return hashInt(b.meta, field) }

// returned is what brings units back into a bucket's stock: orders
// cancelled or expired, transfers in, and (bucket 0) stock changes and fact
// revisions. It only grows, except the stock, which changes with it.
func (b bucketState) returned() [5]int64 {
	return [5]int64{b.int("cancelled"), b.int("expired"), b.int("moved_in"), b.int("stock"), b.int("rev")}
}

// readBuckets runs bucket_read.lua on every bucket in one pipeline;
// asks[k] are the transfer IDs to look up in bucket k's inbox.
func (s *Store) readBuckets(ctx context.Context, activityID string, n int, asks [][]string) ([]bucketState, error) {
	calls := make([]scriptCall, n)
	for k := range n {
		var args []any
		if asks != nil {
			for _, id := range asks[k] {
				args = append(args, id)
			}
		}
		calls[k] = scriptCall{script: bucketReadScript, args: args, keys: []string{
			key.BucketMeta(activityID, k), key.BucketStock(activityID, k), key.Outbox(activityID, k),
			key.BucketBuyers(activityID, k), key.BucketPending(activityID, k), key.Inbox(activityID, k)}}
	}
	cmds, err := runPipelined(ctx, s.rdb, calls)
	if err != nil {
		return nil, storeErr(err)
	}
	out := make([]bucketState, n)
	for k, c := range cmds {
		reply, err := c.Slice()
		if err != nil || len(reply) != 8 {
			return nil, fmt.Errorf("bucket_read: unexpected reply %v, %v", reply, err)
		}
		meta, ok1 := flatHash(reply[0])
		remaining, ok2 := replyInt(reply, 1)
		buyers, ok3 := replyInt(reply, 3)
		overdue, ok4 := replyInt(reply, 4)
		now, ok5 := replyInt(reply, 5)
		recv, ok6 := reply[6].([]any)
		pending, ok7 := replyInt(reply, 7)
		if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 || !ok6 || !ok7 {
			return nil, fmt.Errorf("bucket_read: unexpected reply %v", reply)
		}
		b := bucketState{meta: meta, remaining: remaining, buyers: buyers, pending: pending, overdue: overdue, now: now}
		if b.outbox, err = parseOutbox(k, reply[2]); err != nil {
			return nil, err
		}
		for _, r := range recv {
			v, ok := r.(int64)
			if !ok {
				return nil, fmt.Errorf("bucket_read: unexpected reply %v", reply)
			}
			b.received = append(b.received, v == 1)
		}
		out[k] = b
	}
	if len(out[0].meta) == 0 {
		return nil, sale.Errorf(sale.CodeActivityNotFound, "activity %s not found", activityID)
	}
	for k := 1; k < n; k++ {
		if len(out[k].meta) == 0 {
			return nil, fmt.Errorf("bucket %d of activity %s does not exist", k, activityID)
		}
	}
	return out, nil
}

// behind reports whether a bucket's copy of the facts is older than the
// activity's.
func behind(bs []bucketState) bool {
	for _, b := range bs[1:] {
		if b.int("rev") < bs[0].int("rev") {
			return true
		}
	}
	return false
}

// refill is called when userID's bucket k answered sold_out. It moves units
// from the fullest other bucket (at most half of them), or completes the
// transfers in flight, and returns true: the purchase then tries again. It
// returns false only when the whole activity is sold out: two reads of every
// bucket in a row found no units and no transfer in flight, and nothing
// returned units to any bucket between its two reads. A bucket then held no
// units, and no transfer was in flight, over the whole interval between its
// two reads; all those intervals contain the moment between the two rounds,
// when the activity had no unit left anywhere. So sold_out is never answered
// while a unit is for sale.
func (s *Store) refill(ctx context.Context, activityID string, n, k int) (bool, error) {
	var prev []bucketState
	for range maxReadRounds {
		bs, err := s.readBuckets(ctx, activityID, n, nil)
		if err != nil {
			return false, err
		}
		// A hold is set only once the whole activity was sold out (see
		// leases.go): units that came back since are not sold before it ends.
		if bs[k].now < bs[k].int("hold_until") {
			return false, nil
		}
		var inflight []transferEntry
		donor := -1
		for j, b := range bs {
			inflight = append(inflight, b.outbox...)
			if j != k && b.remaining > 0 && (donor < 0 || b.remaining > bs[donor].remaining) {
				donor = j
			}
		}
		switch {
		case len(inflight) > 0:
			for _, e := range inflight {
				if err := s.complete(ctx, activityID, e); err != nil {
					return false, err
				}
			}
			return true, nil
		case bs[k].remaining > 0:
			return true, nil
		case donor >= 0:
			moved, err := s.transfer(ctx, activityID, donor, k, bs[donor].remaining, true)
			if err != nil {
				return false, err
			}
			if moved > 0 {
				return true, nil
			}
			prev = nil
			continue
		}
		if prev != nil && sameReturns(prev, bs) {
			return false, nil
		}
		prev = bs
	}
	return false, sale.Errorf(sale.CodeStoreUnavailable, "the activity's stock is moving between buckets; try again")
}

// soldOutEverywhere reports whether two reads in a row of every bucket found
// no units and no transfer in flight, with no units returned in between: at
// the moment between them the activity was sold out (see refill).
func (s *Store) soldOutEverywhere(ctx context.Context, activityID string, n int) (bool, error) {
	var prev []bucketState
	for range 2 {
		bs, err := s.readBuckets(ctx, activityID, n, nil)
		if err != nil {
			return false, err
		}
		for _, b := range bs {
			if b.remaining > 0 || len(b.outbox) > 0 {
				return false, nil
			}
		}
		if prev != nil {
			return sameReturns(prev, bs), nil
		}
		prev = bs
	}
	return false, nil
}

// sameReturns reports whether no bucket had units returned between two reads.
func sameReturns(a, b []bucketState) bool {
	for k := range a {
		if a[k].returned() != b[k].returned() {
			return false
		}
	}
	return true
}

// bucketsSnapshot is the sum of an activity's buckets at one moment.
type bucketsSnapshot struct {
	meta       map[string]string // the activity (bucket 0's meta)
	now        int64
	remaining  int64 // units in the buckets' stock
	inTransfer int64 // units taken from a bucket and not yet given
	pending, paid, cancelled, expired,
	buyers, overdue int64
}

// snapshot reads every bucket in rounds until two rounds in a row agree, and
// returns the sums of the first of the two. strict also requires that no
// transfer moved between the two rounds (ActivityStats, which counts the
// units in flight); otherwise only the counters that return units to stock,
// the stock offered and the facts' rev must agree (Activity, whose sold
// counts only orders). A bucket whose facts are behind is brought up to date
// first. After maxReadRounds rounds without agreement it answers 503.
//
// Why the first round of two that agree: between a bucket's two reads, no
// order of it was cancelled or expired, so its pending + paid only grew. The
// moment after the first round ended lies within every bucket's interval, so
// the first round's sum of pending + paid is at most what was sold then:
// sold never exceeds the stock and remaining is never negative.
func (s *Store) snapshot(ctx context.Context, activityID string, n int, strict bool) (bucketsSnapshot, error) {
	var prev []bucketState
	synced := false
	for range maxReadRounds {
		var asks [][]string
		if prev != nil && strict {
			asks = make([][]string, n)
			for _, b := range prev {
				for _, e := range b.outbox {
					if e.to >= 0 && e.to < n {
						asks[e.to] = append(asks[e.to], e.id)
					}
				}
			}
		}
		bs, err := s.readBuckets(ctx, activityID, n, asks)
		if err != nil {
			return bucketsSnapshot{}, err
		}
		if behind(bs) && !synced {
			if err := s.syncBuckets(ctx, activityID, n); err != nil {
				return bucketsSnapshot{}, err
			}
			synced, prev = true, nil
			continue
		}
		if prev != nil && agree(prev, bs, strict) {
			return sumBuckets(prev, bs, asks), nil
		}
		prev = bs
	}
	return bucketsSnapshot{}, sale.Errorf(sale.CodeStoreUnavailable, "the activity changed during every read; try again")
}

// agree reports whether two rounds of reads are close enough for snapshot:
// no order was cancelled or expired, the stock offered and the facts did not
// change, and (strict) no units moved between buckets.
func agree(a, b []bucketState, strict bool) bool {
	for k := range a {
		x, y := a[k], b[k]
		same := x.int("cancelled") == y.int("cancelled") && x.int("expired") == y.int("expired") &&
			x.int("stock") == y.int("stock") && x.int("rev") == y.int("rev")
		if strict {
			same = same && x.int("moved_in") == y.int("moved_in") && x.int("moved_out") == y.int("moved_out")
		}
		if !same {
			return false
		}
	}
	return true
}

// sumBuckets adds up the first round; the second tells which transfers in
// the first round's outboxes had not been given (asks are the IDs it looked
// up, in bucket order).
func sumBuckets(first, second []bucketState, asks [][]string) bucketsSnapshot {
	sum := bucketsSnapshot{meta: first[0].meta, now: first[0].now}
	given := map[string]bool{}
	for k, ids := range asks {
		for i, id := range ids {
			if i < len(second[k].received) && second[k].received[i] {
				given[id] = true
			}
		}
	}
	for _, b := range first {
		sum.remaining += b.remaining
		sum.pending += b.pending
		sum.paid += b.int("paid")
		sum.cancelled += b.int("cancelled")
		sum.expired += b.int("expired")
		sum.buyers += b.buyers
		sum.overdue += b.overdue
		for _, e := range b.outbox {
			if !given[e.id] {
				sum.inTransfer += e.units
			}
		}
	}
	return sum
}

// bucketedActivity reads an activity of n > 1 buckets: its facts, and sold
// as the sum over the buckets of pending and paid orders.
func (s *Store) bucketedActivity(ctx context.Context, activityID string, n int) (sale.Activity, error) {
	sum, err := s.snapshot(ctx, activityID, n, false)
	if err != nil {
		return sale.Activity{}, err
	}
	return activityFromHash(sum.meta, hashInt(sum.meta, "stock")-sum.pending-sum.paid, sum.now), nil
}

// gather moves up to want units from the other buckets into bucket k, the
// fullest first, and returns how many moved.
func (s *Store) gather(ctx context.Context, activityID string, n, k int, want int64) (int64, error) {
	bs, err := s.readBuckets(ctx, activityID, n, nil)
	if err != nil {
		return 0, err
	}
	var moved int64
	for moved < want {
		donor := -1
		for j, b := range bs {
			if j != k && b.remaining > 0 && (donor < 0 || b.remaining > bs[donor].remaining) {
				donor = j
			}
		}
		if donor < 0 {
			break
		}
		got, err := s.transfer(ctx, activityID, donor, k, want-moved, false)
		if err != nil {
			return moved, err
		}
		moved += got
		bs[donor].remaining = 0
	}
	return moved, nil
}

// syncAll runs syncBuckets when the activity has several buckets.
func (s *Store) syncAll(ctx context.Context, activityID string) error {
	n, err := s.bucketCount(ctx, activityID)
	if err != nil || n == 1 {
		return err
	}
	return s.syncBuckets(ctx, activityID, n)
}

// gatherForCut gathers into bucket 0 the units a cut of the stock offered to
// newStock removes, beyond those bucket 0 holds.
func (s *Store) gatherForCut(ctx context.Context, activityID string, n int, newStock int64) (int64, error) {
	var stock *redis.StringCmd
	var left *redis.StringCmd
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		stock = p.HGet(ctx, key.Activity(activityID), "stock")
		left = p.Get(ctx, key.Stock(activityID))
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return 0, storeErr(err)
	}
	cur, err := stock.Int64()
	if err != nil {
		return 0, fmt.Errorf("activity %s: stock: %w", activityID, err)
	}
	// An absent stock key holds no units.
	have, err := left.Int64()
	if err != nil && !errors.Is(err, redis.Nil) {
		return 0, fmt.Errorf("activity %s: remaining stock: %w", activityID, err)
	}
	return s.gather(ctx, activityID, n, 0, cur-newStock-have)
}
