package redislib

import (
	"context"
	"seckill/redislib/sale"

	"github.com/redis/go-redis/v9"
)

// LeaseAnswer exposes the sold-out leases' answer to the tests: the answer
// and true when the Store would answer the attempt from memory.
func (s *Store) LeaseAnswer(activityID, userID string) (sale.PurchaseResult, bool) {
	return s.soldOut.answer(activityID, userID)
}

// AutoPipe exposes the auto-pipeline to the tests.
type AutoPipe = autoPipe

// NewAutoPipe exposes newAutoPipe to the tests.
var NewAutoPipe = newAutoPipe

// The auto-pipeline's limits.
const (
	MaxFlushers = maxFlushers
	MaxBatch    = maxBatch
)

// State returns how many flushers run and how many calls wait in the queue.
func (p *autoPipe) State() (flushers, queued int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.flushers, len(p.queue)
}

// ScriptCall and RunPipelined expose the pipeline of scripts to the tests,
// with two of the scripts to run in it.
type ScriptCall = scriptCall

var (
	RunPipelined       = runPipelined
	RateLimitScript    = rateLimitScript
	ActivityReadScript = activityReadScript
)

// NewScriptCall returns one call of script for RunPipelined.
func NewScriptCall(script *redis.Script, keys []string, args ...any) ScriptCall {
	return scriptCall{script: script, keys: keys, args: args}
}

const (
	MaxPageScan    = maxPageScan
	UserIndexGroup = userIndexGroup
)

// TakeUnits runs only the first step of a transfer of up to want units from
// bucket from to bucket to, and returns its ID and units.
func (s *Store) TakeUnits(ctx context.Context, activityID string, from, to int, want int64) (string, int64, error) {
	e, err := s.take(ctx, activityID, from, to, want, false)
	return e.id, e.units, err
}

// GiveUnits runs only the second step of a transfer (not the outbox delete).
func (s *Store) GiveUnits(ctx context.Context, activityID string, to int, id string, units int64) error {
	return s.give(ctx, activityID, transferEntry{id: id, to: to, units: units})
}

// MoveUnits runs a whole transfer and returns how many units moved.
func (s *Store) MoveUnits(ctx context.Context, activityID string, from, to int, want int64) (int64, error) {
	return s.transfer(ctx, activityID, from, to, want, false)
}

// StoreErr and ErrorKind expose the classification of Redis errors.
var (
	StoreErr  = storeErr
	ErrorKind = errorKind
)

// BucketReadSHA is the SHA1 of bucket_read.lua, the script every read of a
// bucketed activity's stock starts with.
var BucketReadSHA = bucketReadScript.Hash()

// AcquireLease starts, in the background, acquiring the sold-out lease of an activity, as
// a losing purchase answer does.
func (s *Store) AcquireLease(activityID string) { s.soldOut.lost(activityID) }

// LeaseRenewing reports whether a lease read of the activity is in flight.
func (s *Store) LeaseRenewing(activityID string) bool {
	v, ok := s.soldOut.entries.Load(activityID)
	return ok && v.(*soldOutEntry).renewing.Load()
}

// Panics returns how many panics the auto-pipeline's goroutines recovered.
func (p *autoPipe) Panics() int64 { return p.panics.Load() }

// GoSafe exposes the Store's recovering goroutines.
func (s *Store) GoSafe(where string, fn func()) { s.goSafe(where, fn) }

// PurchaseLeaseSHA is the SHA1 of purchase_lease.lua.
var PurchaseLeaseSHA = purchaseLeaseScript.Hash()

// SoldOutLease is how long a sold-out lease lasts.
const SoldOutLease = soldOutLease

// Client returns the store's Redis client, for tests that read or change
// keys directly.
func (s *Store) Client() redis.UniversalClient { return s.rdb }

// CheckReplicas is checkReplicas.
var CheckReplicas = checkReplicas

// Redirects returns how many MOVED and ASK replies of a Redis Cluster the
// store has followed (a slot moved, or a primary failed over).
func (s *Store) Redirects() int64 { return s.pipe.redirects.Load() }

// PageIDs is pageIDs.
func (s *Store) PageIDs(ctx context.Context, key string, q sale.PageQuery) (idPage, error) {
	return s.pageIDs(ctx, key, q)
}

// ListPage is listPage.
func ListPage[T any](ctx context.Context, s *Store, key string, q sale.PageQuery, load func(ctx context.Context, ids []string) (map[string]T, error), keep func(T) bool) (sale.Page[T], error) {
	return listPage(ctx, s, key, q, load, keep)
}

// RecoverTransfers is recoverTransfers.
func (s *Store) RecoverTransfers(ctx context.Context, activityID string) (int, error) {
	return s.recoverTransfers(ctx, activityID)
}

// BucketOf is bucketOf.
var BucketOf = bucketOf
