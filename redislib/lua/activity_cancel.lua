-- Cancels an activity: purchases answer "cancelled" from now on (purchase.lua
-- checks cancelled_at). Orders already made are kept as they are.
-- Cancelling again changes nothing and answers the first cancellation time.
--
-- KEYS[1] -> the activity (HASH)
-- KEYS[2] -> the activity's audit trail (STREAM, see audit.go)
-- ARGV[1] -> who asks (the audit's actor)
--
-- Returns:
--   {1, cancelled_at}  cancelled now (ms), with a "cancel" audit entry
--   {2}                unknown activity
--   {3, cancelled_at}  was already cancelled then (nothing written)
--   {4}                ended (Redis TIME >= ends_at; nothing written)
local a = redis.call('HMGET', KEYS[1], 'ends_at', 'cancelled_at')
if not a[1] then
  return {2}
end
if a[2] ~= '0' then
  return {3, tonumber(a[2])}
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if now >= tonumber(a[1]) then
  return {4}
end
redis.call('HSET', KEYS[1], 'cancelled_at', now, 'updated_at', now)
-- An activity split into stock buckets gets a new revision of its facts,
-- which bucket_sync.lua copies to its other buckets.
if redis.call('HEXISTS', KEYS[1], 'rev') == 1 then
  redis.call('HINCRBY', KEYS[1], 'rev', 1)
end
redis.call('XADD', KEYS[2], '*', 'at', now, 'actor', ARGV[1], 'action', 'cancel',
  'before', cjson.encode({cancelled_at = 0}), 'after', cjson.encode({cancelled_at = now}))
return {1, now}
