package redislib

// LeaseAnswer exposes the sold-out leases' answer to the tests: the answer
// and true when the Store would answer the attempt from memory.
func (s *Store) LeaseAnswer(activityID, userID string) (PurchaseResult, bool) {
	return s.soldOut.answer(activityID, userID)
}

// LeaseAnswers returns how many attempts the Store answered from memory.
func (s *Store) LeaseAnswers() int64 { return s.soldOut.hits.Load() }

// LeasedBuyers returns how many buyers the Store holds in memory.
func (s *Store) LeasedBuyers() int64 { return s.soldOut.used.Load() }
