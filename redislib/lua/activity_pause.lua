-- Pauses or resumes an activity. While paused_at is set, purchase.lua sells
-- nothing and answers "paused"; orders already made are kept and can still be
-- paid or cancelled. The change and its audit entry are written together.
--
-- KEYS[1] -> the activity (HASH; field paused_at, ms, '0' or absent: not paused)
-- KEYS[2] -> the activity's audit trail (STREAM, see audit.go)
-- ARGV[1] -> '1' to pause, '0' to resume
-- ARGV[2] -> who asks (the audit's actor)
--
-- Returns:
--   {1, paused_at}  applied: paused at paused_at (ms), or resumed (0)
--   {2}             unknown activity (nothing written)
--   {3}             cancelled (nothing written)
--   {4}             ended: Redis TIME >= ends_at (nothing written)
--   {5, paused_at}  already in the state asked for (nothing written)
local a = redis.call('HMGET', KEYS[1], 'id', 'ends_at', 'cancelled_at', 'paused_at')
if not a[1] then
  return {2}
end
if a[3] ~= '0' then
  return {3}
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if now >= tonumber(a[2]) then
  return {4}
end
local before = a[4] or '0'
if (ARGV[1] == '1') == (before ~= '0') then
  return {5, tonumber(before)}
end
local after, action = '0', 'resume'
if ARGV[1] == '1' then
  after, action = tostring(now), 'pause'
end
redis.call('HSET', KEYS[1], 'paused_at', after, 'updated_at', now)
-- An activity split into stock buckets gets a new revision of its facts,
-- which bucket_sync.lua copies to its other buckets.
if redis.call('HEXISTS', KEYS[1], 'rev') == 1 then
  redis.call('HINCRBY', KEYS[1], 'rev', 1)
end
redis.call('XADD', KEYS[2], '*', 'at', now, 'actor', ARGV[2], 'action', action,
  'before', cjson.encode({paused_at = tonumber(before)}), 'after', cjson.encode({paused_at = tonumber(after)}))
return {1, tonumber(after)}
