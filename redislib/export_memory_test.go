package redislib

import "time"

// SetMemoryBounds shortens the bounds of what the Store keeps about
// activities (memory.go), for a test; call it before the Store is used.
func (s *Store) SetMemoryBounds(every, leaseIdle, countsPeriod time.Duration, maxLeases, maxCounts int64) {
	s.mem = memoryBounds{every: every, leaseIdle: leaseIdle, countsPeriod: countsPeriod}
	s.bucketCounts.max = maxCounts
	if s.soldOut != nil {
		s.soldOut.maxEntries = maxLeases
	}
}

// MemoryCounts returns how many activities the sold-out leases track, the
// buyers they hold, and how many activities' bucket counts are cached.
func (s *Store) MemoryCounts() (leases, buyers, counts int64) {
	if s.soldOut != nil {
		leases, buyers = s.soldOut.count.Load(), s.soldOut.used.Load()
	}
	return leases, buyers, s.bucketCounts.Len()
}
