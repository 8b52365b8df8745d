package redislib

// LeaseAnswer exposes the sold-out leases' answer to the tests: the answer
// and true when the Store would answer the attempt from memory.
func (s *Store) LeaseAnswer(activityID, userID string) (PurchaseResult, bool) {
	return s.soldOut.answer(activityID, userID)
}
