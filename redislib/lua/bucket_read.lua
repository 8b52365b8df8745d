-- Reads one stock bucket in one atomic step: its meta, remaining units,
-- transfers out not known to be complete, buyers, pending and overdue
-- pending orders and the Redis time, and whether given transfers reached its
-- inbox. Read-only.
-- Readers of an activity split into buckets call it on every bucket, in
-- rounds (see store_shards.go).
--
-- KEYS[1] -> the bucket's meta (HASH; for bucket 0 the activity itself)
-- KEYS[2] -> the bucket's remaining stock (STRING)
-- KEYS[3] -> the bucket's outbox (HASH transfer id -> "target:units:taken_at")
-- KEYS[4] -> the bucket's buyers (HASH)
-- KEYS[5] -> the bucket's pending orders (ZSET, score = expires_at ms)
-- KEYS[6] -> the bucket's inbox (HASH transfer id -> units)
-- ARGV    -> transfer ids to look up in the inbox
--
-- Returns {meta, remaining, outbox, buyers, overdue, now, received,
-- pending}: meta and outbox are flat HGETALL lists (meta empty when the
-- bucket does not exist), remaining the units as an integer, buyers the HLEN
-- of the buyers, overdue the pending orders with expires_at <= now, now the
-- Redis time in ms, received a list with 1 for each ARGV transfer id in the
-- inbox, 0 otherwise, and pending the ZCARD of the pending orders.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local received = {}
for i = 1, #ARGV do
  received[i] = redis.call('HEXISTS', KEYS[6], ARGV[i])
end
return {redis.call('HGETALL', KEYS[1]), tonumber(redis.call('GET', KEYS[2]) or '0'), redis.call('HGETALL', KEYS[3]),
  redis.call('HLEN', KEYS[4]), redis.call('ZCOUNT', KEYS[5], '-inf', now), now, received, redis.call('ZCARD', KEYS[5])}
