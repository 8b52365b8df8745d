package redislib

import (
	"context"
	"seckill/redislib/internal/key"

	"github.com/redis/go-redis/v9"
)

// syncMarkTTL is how long a sync mark (bucketSyncKey) lives: long enough to
// be replicated, short enough that marks never add up.
const syncMarkTTL = 60_000 // ms

// confirmReplicated returns once the replicas that writes wait for
// (ReplicaAcks) hold everything bucket k of the activity held when the
// caller read it, and a store_unavailable error when they do not in time.
// An answer that reports a win it read rather than wrote (already_won, the
// result query) calls it: the win may be one whose own WAIT timed out, and a
// primary that died now would take it along.
//
// WAIT counts the replication offset of the connection's own writes, and a
// read writes nothing, so this writes a mark in the bucket's slot after the
// read: the replication stream is ordered, so the mark reaches a replica
// only after every write the primary made before it, the win among them.
// The mark goes through the auto-pipeline, which ends its pipeline with the
// WAIT. Without replica acks it does nothing and costs nothing.
func (s *Store) confirmReplicated(ctx context.Context, activityID string, k int) error {
	if s.pipe.acks == 0 {
		return nil
	}
	mark := redis.NewStatusCmd(ctx, "set", key.BucketSync(activityID, k), "1", "px", syncMarkTTL)
	return storeErr(s.pipe.Process(ctx, mark))
}
