package redislib

import (
	"context"
	"fmt"
	"seckill/redislib/internal/key"
	"seckill/redislib/sale"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// Once an activity is sold out, nearly every purchase attempt loses: in a
// flash sale that is 99% of the traffic. A process that has seen an activity
// sold out acquires a lease on it (lua/purchase_lease.lua) and answers attempts
// from memory for as long as the lease runs: for everyone but a buyer, what
// the purchase script would answer (sold_out, or cancelled, not_started or
// ended from the activity's fields). A buyer's attempt runs the script: their
// order may be cancelled or expire while the lease runs (already_won then
// turns into order_closed), and buyers are a tiny share of the attempts.
//
// Exactness rests on the hold the lease writes: while any lease may be
// valid, units that come back to stock (an order cancelled or expired, stock
// added) are held, and purchase.lua sells none of them. So no one can win
// while a process answers from its lease, and the buyers it read stay the
// complete list of winners:
//
//   - a winner's attempts run the script on every process from the moment
//     their win was acknowledged, so they are told already_won or
//     order_closed with their order exactly as the script decides;
//   - a unit that comes back is sold again once the hold ends (at most
//     leaseHold after it came back);
//   - nothing is sold beyond the stock, since every win still runs the script.
//
// A lease lasts soldOutLease from the moment its read was sent, measured on
// this process's monotonic clock; the hold lasts leaseHold of Redis time from
// the moment of the read, which is later. The difference is a margin for a
// Redis clock stepped forward. A lease is renewed in the background once it is
// half used, and at most one renewal per activity is in flight.
//
// Memory is bounded: a process keeps at most maxBuyers buyers across all its
// leases. An activity with more buyers than there is room for is not leased;
// its attempts run the purchase script, as before it sold out. A lease not
// used for a few seconds is dropped and its buyers released (memory.go).

// Lease timing. Every process holds the same values (they are constants of
// this package), so a hold is always at least as long as any lease.
const (
	soldOutLease = time.Second
	leaseHold    = soldOutLease + 250*time.Millisecond
)

// Replies of purchase_lease.lua.
const (
	leaseSameBuyers = 1
	leaseNewBuyers  = 2
	leaseNotFound   = 3
	leaseNotSoldOut = 4
	leaseTooMany    = 5
)

// DefaultSoldOutBuyers is the default bound on the buyers one process keeps
// in memory across its sold-out leases: about 100 bytes each.
const DefaultSoldOutBuyers = 200_000

// soldOutCache holds the leases of one process.
type soldOutCache struct {
	store     *Store
	lease     time.Duration
	hold      time.Duration
	maxBuyers int64

	used    atomic.Int64 // buyers held across all leases
	hits    atomic.Int64 // attempts answered from memory
	entries sync.Map     // activity ID -> *soldOutEntry
	// count is how many entries there are, at most maxEntries (memory.go).
	count      atomic.Int64
	maxEntries int64
}

// soldOutEntry is one activity's lease, or the fact that it was not leased.
type soldOutEntry struct {
	snap     atomic.Pointer[soldOutSnapshot]
	renewing atomic.Bool
	// retryAt (UnixNano) is when to try a lease again after the activity
	// turned out not to be leasable (stock back, too many buyers).
	retryAt atomic.Int64
}

// soldOutSnapshot is what a lease read, immutable once built.
type soldOutSnapshot struct {
	sentAt    time.Time // when the read was sent: the lease runs from here
	redisNow  int64     // Redis TIME (ms) at the read
	startsAt  int64
	endsAt    int64
	cancelled bool
	paused    bool
	buyers    map[string]string // user -> order, of every bucket
	counts    []int64           // buyers per bucket when read
}

func newSoldOutCache(s *Store, maxBuyers int) *soldOutCache {
	return &soldOutCache{store: s, lease: soldOutLease, hold: leaseHold, maxBuyers: int64(maxBuyers), maxEntries: maxLeaseEntries}
}

// answer returns the answer to an attempt from a valid lease, and false when
// there is none: the caller then runs the purchase script. A lease past half
// its life is renewed in the background.
func (c *soldOutCache) answer(activityID, userID string) (sale.PurchaseResult, bool) {
	v, ok := c.entries.Load(activityID)
	if !ok {
		return sale.PurchaseResult{}, false
	}
	e := v.(*soldOutEntry)
	snap := e.snap.Load()
	if snap == nil {
		return sale.PurchaseResult{}, false
	}
	age := time.Since(snap.sentAt)
	if age >= c.lease {
		c.renew(activityID, e)
		return sale.PurchaseResult{}, false
	}
	if age >= c.lease/2 {
		c.renew(activityID, e)
	}
	if _, ok := snap.buyers[userID]; ok {
		// The script reads the order's status: it is not in the lease.
		return sale.PurchaseResult{}, false
	}
	c.hits.Add(1)
	// The same checks, in the same order, as purchase.lua before it reads the
	// stock, on Redis time estimated from the read.
	switch now := snap.redisNow + age.Milliseconds(); {
	case snap.cancelled:
		return sale.PurchaseResult{Outcome: sale.OutcomeCancelled}, true
	case snap.paused:
		return sale.PurchaseResult{Outcome: sale.OutcomePaused}, true
	case now < snap.startsAt:
		return sale.PurchaseResult{Outcome: sale.OutcomeNotStarted}, true
	case now >= snap.endsAt:
		return sale.PurchaseResult{Outcome: sale.OutcomeEnded}, true
	}
	return sale.PurchaseResult{Outcome: sale.OutcomeSoldOut}, true
}

// lost is told that the purchase script gave a losing answer: unless a
// lease is held, being acquired, or was refused moments ago, it tries to acquire
// one in the background (which succeeds only if the activity is sold out).
func (c *soldOutCache) lost(activityID string) {
	e := c.entry(activityID)
	if e == nil {
		return // as many activities are tracked as may be: attempts run the script
	}
	if snap := e.snap.Load(); snap != nil && time.Since(snap.sentAt) < c.lease/2 {
		return
	}
	if time.Now().UnixNano() < e.retryAt.Load() {
		return
	}
	c.renew(activityID, e)
}

// renew acquires or renews the lease of one activity in the background, unless a
// renewal is already in flight.
func (c *soldOutCache) renew(activityID string, e *soldOutEntry) {
	if !e.renewing.CompareAndSwap(false, true) {
		return
	}
	c.store.goSafe("sold-out lease renewal", func() {
		defer e.renewing.Store(false)
		ok := false
		defer func() {
			if !ok {
				// No lease (an error, or a panic on its way up): attempts
				// run the script, which is always exact.
				c.drop(activityID, e, time.Now().Add(c.lease/4))
			}
		}()
		ctx, cancel := context.WithTimeout(context.Background(), c.lease)
		defer cancel()
		ok = c.acquire(ctx, activityID, e) == nil
	})
}

// acquire runs one lease read and installs its snapshot. An activity of
// several buckets is leased only when it is sold out as a whole (two reads of
// every bucket in a row, see soldOutEverywhere); then every bucket is leased,
// so each holds the units that come back to it, and the buyers are the union
// of every bucket's.
func (c *soldOutCache) acquire(ctx context.Context, activityID string, e *soldOutEntry) error {
	n, ok := c.store.cachedBucketCount(activityID)
	if !ok {
		n = 1
	}
	if n > 1 {
		sold, err := c.store.soldOutEverywhere(ctx, activityID, n)
		if err != nil {
			return err
		}
		if !sold {
			c.drop(activityID, e, time.Now().Add(c.lease/4))
			return nil
		}
	}
	old := e.snap.Load()
	room := c.maxBuyers - c.used.Load()
	if old != nil {
		room += int64(len(old.buyers))
	}
	sentAt := time.Now()
	cmds := make([]*redis.Cmd, n)
	for k := range n {
		known := int64(-1)
		if old != nil && len(old.counts) == n {
			known = old.counts[k]
		}
		cmds[k] = purchaseLeaseScript.Run(ctx, c.store.pipe,
			[]string{key.BucketMeta(activityID, k), key.BucketStock(activityID, k), key.BucketBuyers(activityID, k)},
			c.hold.Milliseconds(), known, max(room, 0))
		reply, _ := cmds[k].Val().([]any)
		if code, ok := replyInt(reply, 0); !ok || code != leaseSameBuyers && code != leaseNewBuyers {
			// No lease: the buckets after this one are not held for nothing.
			cmds = cmds[:k+1]
			break
		}
	}
	var snap *soldOutSnapshot
	counts := make([]int64, n)
	fresh := map[string]string{}
	reused := false
	for k, cmd := range cmds {
		reply, err := cmd.Slice()
		if err != nil {
			return err
		}
		code, ok := replyInt(reply, 0)
		if !ok {
			return fmt.Errorf("purchase_lease: unexpected reply %v", reply)
		}
		switch code {
		case leaseNotFound, leaseNotSoldOut, leaseTooMany:
			c.drop(activityID, e, time.Now().Add(c.lease/4))
			return nil
		case leaseSameBuyers:
			if old == nil || len(old.counts) != n {
				return fmt.Errorf("purchase_lease: unexpected reply %v", reply)
			}
			reused = true
		case leaseNewBuyers:
			// Seven fields, then user and order pairs.
			if len(reply) < 7 || (len(reply)-7)%2 != 0 {
				return fmt.Errorf("purchase_lease: unexpected reply %v", reply)
			}
			pairs := reply[7:]
			for i := 0; i+1 < len(pairs); i += 2 {
				u, ok1 := pairs[i].(string)
				o, ok2 := pairs[i+1].(string)
				if !ok1 || !ok2 {
					return fmt.Errorf("purchase_lease: unexpected buyer %v %v", pairs[i], pairs[i+1])
				}
				fresh[u] = o
			}
		default:
			return fmt.Errorf("purchase_lease: unexpected reply %v", reply)
		}
		if counts[k], ok = replyInt(reply, 6); !ok {
			return fmt.Errorf("purchase_lease: unexpected reply %v", reply)
		}
		if k == 0 {
			// The facts are the activity's own, in bucket 0.
			if snap, err = leaseSnapshot(reply, sentAt); err != nil {
				return err
			}
		}
	}
	snap.counts = counts
	switch {
	case !reused:
		snap.buyers = fresh
	case len(fresh) == 0:
		snap.buyers = old.buyers
	default:
		// A bucket with the same number of buyers has the same buyers (a
		// buyer is never removed), so the old union grows by the buckets
		// listed anew.
		snap.buyers = make(map[string]string, len(old.buyers)+len(fresh))
		for u, o := range old.buyers {
			snap.buyers[u] = o
		}
		for u, o := range fresh {
			snap.buyers[u] = o
		}
	}
	delta := int64(len(snap.buyers))
	if old != nil {
		delta -= int64(len(old.buyers))
	}
	if c.used.Add(delta) > c.maxBuyers {
		// Another activity took the room meanwhile.
		c.used.Add(-delta)
		c.drop(activityID, e, time.Now().Add(c.lease/4))
		return nil
	}
	e.snap.Store(snap)
	return nil
}

// drop forgets the activity's lease (attempts then run the script) and waits
// until retry before acquiring another.
func (c *soldOutCache) drop(activityID string, e *soldOutEntry, retry time.Time) {
	e.retryAt.Store(retry.UnixNano())
	if old := e.snap.Swap(nil); old != nil {
		c.used.Add(-int64(len(old.buyers)))
	}
}

// leaseSnapshot reads the fields common to replies 1 and 2 of purchase_lease.lua.
func leaseSnapshot(reply []any, sentAt time.Time) (*soldOutSnapshot, error) {
	if len(reply) < 7 {
		return nil, fmt.Errorf("purchase_lease: unexpected reply %v", reply)
	}
	now, ok1 := replyInt(reply, 1)
	startsAt, err2 := strconv.ParseInt(asString(reply[2]), 10, 64)
	endsAt, err3 := strconv.ParseInt(asString(reply[3]), 10, 64)
	cancelled, paused := asString(reply[4]), asString(reply[5])
	if !ok1 || err2 != nil || err3 != nil || cancelled == "" || paused == "" {
		return nil, fmt.Errorf("purchase_lease: unexpected reply %v", reply)
	}
	return &soldOutSnapshot{sentAt: sentAt, redisNow: now, startsAt: startsAt, endsAt: endsAt,
		cancelled: cancelled != "0", paused: paused != "0"}, nil
}

// SoldOutStats are counts of a Store's sold-out leases.
type SoldOutStats struct {
	// Answers is how many purchase attempts were answered from memory.
	Answers int64
	// Buyers is how many buyers the leases hold in memory now.
	Buyers int64
}

// SoldOutStats returns the counts of the Store's sold-out leases (zero when
// they are off).
func (s *Store) SoldOutStats() SoldOutStats {
	if s.soldOut == nil {
		return SoldOutStats{}
	}
	return SoldOutStats{Answers: s.soldOut.hits.Load(), Buyers: s.soldOut.used.Load()}
}
