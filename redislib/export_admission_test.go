package redislib

import "seckill/redislib/internal/key"

// BucketMetaKey is key.BucketMeta, for the admission tests outside the package.
var BucketMetaKey = key.BucketMeta

// QueueKey and QueueAdmittedKey are the waiting room's keys, for its tests.
var (
	QueueKey         = key.Queue
	QueueAdmittedKey = key.QueueAdmitted
)
