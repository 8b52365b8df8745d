package redislib

import "github.com/redis/go-redis/v9"

// LeaseAnswer exposes the sold-out leases' answer to the tests: the answer
// and true when the Store would answer the attempt from memory.
func (s *Store) LeaseAnswer(activityID, userID string) (PurchaseResult, bool) {
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

// Names of keys, limits and groups the tests read Redis with.
var (
	ActivitiesIndexKey     = activitiesIndexKey
	EventsKey              = eventsKey
	PendingKey             = pendingKey
	ProductActivitiesKey   = productActivitiesKey
	ProductActivityEndsKey = productActivityEndsKey
	ProductPinsKey         = productPinsKey
)

const (
	MaxPageScan    = maxPageScan
	UserIndexGroup = userIndexGroup
)
