-- Moves an activity's admission frontier: the first `frontier` places of its
-- waiting room are admitted. Run by a background job in every process, about
-- every 200 ms while the activity runs; any number of runs at once or in a
-- row are safe (each adds only the time since the last one).
--
--   frontier += admit_rate x (TIME - advanced_at)
--
-- capped so that the places passed in the last admission_ttl seconds, less
-- the units sold meanwhile, stay at most K x the units remaining (an
-- admission lives admission_ttl seconds, so no more than K admissions that
-- have not bought are alive per unit left), never beyond the number of
-- places, and never backwards. Nothing accrues before the start or
-- while paused. With no unit left the queue is marked sold out (every user
-- not admitted is told so at once); units that come back clear the mark and
-- the frontier moves again.
--
-- KEYS[1] -> the activity (HASH)
-- KEYS[2] -> the places (ZSET)
-- KEYS[3] -> the queue's state (HASH: frontier, advanced_at, seq, sold_out)
-- KEYS[4] -> the frontier's log (ZSET, score = frontier, member =
--            "frontier:ms:sold", sold = the units sold at that moment);
--            entries older than admission_ttl are trimmed but for the newest of
--            them, which marks the window's start
-- ARGV[1] -> the units remaining, summed over the activity's stock buckets
-- ARGV[2] -> K, the bound on admissions alive per unit remaining
-- ARGV[3] -> the units sold (held by pending or paid orders), read with ARGV[1]
--
-- Returns {code, frontier, sold_out}:
--   {1, frontier, 0 | 1}   applied (or nothing to add)
--   {2}                    unknown activity, or its admission is not queue
--   {3}                    ended or cancelled: nothing more to admit
--   {4}                    not started (nothing written)
local a = redis.call('HMGET', KEYS[1], 'admission', 'starts_at', 'ends_at', 'cancelled_at', 'paused_at', 'admit_rate',
  'admission_ttl')
if a[1] ~= 'queue' then
  return {2}
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if a[4] ~= '0' or now >= tonumber(a[3]) then
  return {3}
end
local starts = tonumber(a[2])
if now < starts then
  return {4}
end
local q = redis.call('HMGET', KEYS[3], 'frontier', 'advanced_at')
local frontier = tonumber(q[1]) or 0
local last = math.max(tonumber(q[2]) or starts, starts)
if (a[5] or '0') ~= '0' then
  redis.call('HSET', KEYS[3], 'advanced_at', now)
  return {1, math.floor(frontier), 0}
end
local remaining = tonumber(ARGV[1])
if remaining <= 0 then
  redis.call('HSET', KEYS[3], 'advanced_at', now, 'sold_out', 1)
  return {1, math.floor(frontier), 1}
end

-- The window's start: the newest log entry at least admission_ttl old.
local cutoff = now - tonumber(a[7]) * 1000
for _ = 1, 1000 do
  local two = redis.call('ZRANGE', KEYS[4], 0, 1)
  if #two < 2 or tonumber(string.match(two[2], '^%d+:(%d+)')) > cutoff then
    break
  end
  redis.call('ZREMRANGEBYRANK', KEYS[4], 0, 0)
end
local base, sold_base = 0, 0
local first = redis.call('ZRANGE', KEYS[4], 0, 0, 'WITHSCORES')
if first[1] and tonumber(string.match(first[1], '^%d+:(%d+)')) <= cutoff then
  base, sold_base = tonumber(first[2]), tonumber(string.match(first[1], ':(%d+)$'))
end

local next = frontier + tonumber(a[6]) * (now - last) / 1000
next = math.min(next, base + (tonumber(ARGV[3]) - sold_base) + tonumber(ARGV[2]) * remaining,
  redis.call('ZCARD', KEYS[2]))
-- Thousandths only, as stored, so that the log has an entry for every
-- whole frontier the stored value reaches.
next = math.max(math.floor(next * 1000) / 1000, frontier)
redis.call('HSET', KEYS[3], 'frontier', string.format('%.3f', next), 'advanced_at', now, 'sold_out', 0)
if math.floor(next) > math.floor(frontier) then
  local f = math.floor(next)
  redis.call('ZADD', KEYS[4], f, string.format('%d:%d:%d', f, now, tonumber(ARGV[3])))
end
return {1, math.floor(next), 0}
