package redislib

import (
	"sync"
	"sync/atomic"
	"time"
)

// What a Store keeps in memory about activities is bounded in size and
// dropped once the activity goes quiet, so a process that serves sale after
// sale, for months, holds only the sales of the last moments:
//
//   - a sold-out lease (leases.go) not used for leaseIdle (no attempt was
//     answered from it or ran the purchase script) is dropped and its buyers
//     are released from the buyers budget; so is the record of an activity
//     found not leasable. An ended or cancelled sale stops getting attempts,
//     so its lease goes the same way. At most maxLeaseEntries activities are
//     tracked; past that, attempts on other activities run the script.
//   - the number of stock buckets of an activity (bucketCountCache), which never
//     changes, is kept while the activity is looked up and dropped one to
//     two countsPeriod after its last lookup, or sooner when more than
//     maxCachedBucketCounts activities are looked up in one period: at most twice
//     that many are kept.
//
// A sweeper goroutine does the dropping. It runs only while there is
// something to drop: it starts when the first entry is added and exits once
// both are empty, so an idle Store holds no goroutine. A panic in a sweep is
// logged and the sweeper carries on at its next tick.
const (
	sweepEvery            = soldOutLease
	leaseIdle             = 5 * time.Second
	maxLeaseEntries       = 10_000
	countsPeriod          = time.Minute
	maxCachedBucketCounts = 50_000
)

// memoryBounds are the bounds above, held by the Store (the tests shorten them).
type memoryBounds struct {
	every, leaseIdle, countsPeriod time.Duration
}

// wakeSweeper starts the sweeper unless it runs.
func (s *Store) wakeSweeper() {
	if s.sweeping.Load() || !s.sweeping.CompareAndSwap(false, true) {
		return
	}
	s.goSafe("memory sweep", func() {
		done := false
		defer func() {
			if !done {
				// A panic outside a sweep: the next entry starts a sweeper again.
				s.sweeping.Store(false)
			}
		}()
		s.sweepLoop()
		done = true
	})
}

// sweepLoop sweeps every mem.every until nothing is left to drop.
func (s *Store) sweepLoop() {
	t := time.NewTicker(s.mem.every)
	defer t.Stop()
	rotateAt := time.Now().Add(s.mem.countsPeriod)
	for now := range t.C {
		if s.sweepOnce(now, now.After(rotateAt)) {
			rotateAt = now.Add(s.mem.countsPeriod)
		}
		if s.memoryEmpty() {
			s.sweeping.Store(false)
			// An entry added after the check above woke no one: carry on.
			if !s.memoryEmpty() && s.sweeping.CompareAndSwap(false, true) {
				continue
			}
			return
		}
	}
}

// sweepOnce drops the leases gone quiet and, when rotate is true, the cached
// bucket counts not looked up in the last period. It reports whether it
// rotated. A panic is logged, not raised: the next tick tries again.
func (s *Store) sweepOnce(now time.Time, rotate bool) (rotated bool) {
	defer func() {
		if r := recover(); r != nil {
			_ = s.pipe.recovered("memory sweep (the next sweep tries again)", r)
		}
	}()
	if s.soldOut != nil {
		s.soldOut.sweep(now, s.mem.leaseIdle)
	}
	if rotate {
		s.bucketCounts.rotate()
		return true
	}
	return false
}

// memoryEmpty reports whether the Store keeps nothing about any activity.
func (s *Store) memoryEmpty() bool {
	return (s.soldOut == nil || s.soldOut.count.Load() == 0) && s.bucketCounts.Len() == 0
}

// entry returns the lease record of an activity, adding one when there is
// room, or nil when maxEntries activities are tracked already.
func (c *soldOutCache) entry(activityID string) *soldOutEntry {
	if v, ok := c.entries.Load(activityID); ok {
		return v.(*soldOutEntry)
	}
	if c.count.Add(1) > c.maxEntries {
		c.count.Add(-1)
		return nil
	}
	v, loaded := c.entries.LoadOrStore(activityID, &soldOutEntry{})
	if loaded {
		c.count.Add(-1)
	} else {
		c.store.wakeSweeper()
	}
	return v.(*soldOutEntry)
}

// sweep drops every lease record last used idle ago or earlier: its lease
// (long expired) and its buyers, released from the budget. Taking the
// record's renewing flag first keeps a renewal from running on it, and it is
// never given back: a caller still holding the record can neither renew nor
// answer from it, and the next attempt adds a fresh record.
func (c *soldOutCache) sweep(now time.Time, idle time.Duration) {
	c.entries.Range(func(k, v any) bool {
		e := v.(*soldOutEntry)
		if !e.renewing.CompareAndSwap(false, true) {
			return true // a renewal is in flight: the record is in use
		}
		last := time.Unix(0, e.retryAt.Load())
		if snap := e.snap.Load(); snap != nil && snap.sentAt.After(last) {
			last = snap.sentAt
		}
		if now.Sub(last) < idle {
			e.renewing.Store(false)
			return true
		}
		if c.entries.CompareAndDelete(k, e) {
			c.count.Add(-1)
		}
		c.drop(k.(string), e, now)
		return true
	})
}

// bucketCountCache keeps each activity's number of stock buckets in two
// generations: lookups hit the current one, or the previous one and copy the
// entry forward; each rotation drops the previous generation. A generation
// holds at most max entries: a full one is rotated at once, so an entry just
// stored is always found, and the hot activities move forward on their next
// lookup. It has the Load and Store of the sync.Map it stands for.
type bucketCountCache struct {
	cur, prev atomic.Pointer[countsGen]
	max       int64
	// added is called when an entry is added (it wakes the sweeper).
	added func()
	// rotating serialises rotations, so that none drops a generation twice.
	rotating sync.Mutex
}

type countsGen struct {
	m sync.Map // activity ID -> int
	n atomic.Int64
}

func newBucketCountCache(max int64, added func()) *bucketCountCache {
	c := &bucketCountCache{max: max, added: added}
	c.cur.Store(new(countsGen))
	return c
}

// Load returns the activity's number of buckets (an int) if it is cached.
func (c *bucketCountCache) Load(activityID string) (any, bool) {
	if v, ok := c.cur.Load().m.Load(activityID); ok {
		return v, true
	}
	if p := c.prev.Load(); p != nil {
		if v, ok := p.m.Load(activityID); ok {
			c.Store(activityID, v.(int))
			return v, true
		}
	}
	return nil, false
}

// Store caches the activity's number of buckets.
func (c *bucketCountCache) Store(activityID string, n int) {
	if c.max <= 0 {
		return
	}
	g := c.cur.Load()
	for g.n.Add(1) > c.max {
		g.n.Add(-1)
		c.rotateFrom(g)
		g = c.cur.Load()
	}
	if _, loaded := g.m.LoadOrStore(activityID, n); loaded {
		g.n.Add(-1)
		return
	}
	c.added()
}

// rotate drops the previous generation and starts a new one.
func (c *bucketCountCache) rotate() { c.rotateFrom(c.cur.Load()) }

// rotateFrom rotates unless g is no longer the current generation (another
// caller rotated it meanwhile).
func (c *bucketCountCache) rotateFrom(g *countsGen) {
	c.rotating.Lock()
	defer c.rotating.Unlock()
	if c.cur.Load() == g {
		c.prev.Store(g)
		c.cur.Store(new(countsGen))
	}
}

// Len returns how many entries both generations hold.
func (c *bucketCountCache) Len() int64 {
	n := c.cur.Load().n.Load()
	if p := c.prev.Load(); p != nil {
		n += p.n.Load()
	}
	return n
}
