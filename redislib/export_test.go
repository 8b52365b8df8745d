package redislib

import "context"

// PurchaseFromSnapshot exposes purchaseFromSnapshot to the tests.
func (s *Store) PurchaseFromSnapshot(ctx context.Context, activityID, userID string) (PurchaseResult, bool, error) {
	return s.purchaseFromSnapshot(ctx, activityID, userID)
}
