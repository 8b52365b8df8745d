-- Leases a sold-out activity to a process, so that it may answer purchase
-- attempts from memory (see soldout.go): reads what purchase.lua's checks
-- read, and while the activity is sold out, holds every unit that comes back
-- until hold_until, which only grows. purchase.lua sells nothing before
-- hold_until, so no one can win while a lease is valid, and the buyers a
-- process read stay the complete list of winners for as long as it uses them.
-- Every lease writes hold_until, grown or not (see below).
--
-- An activity split into several stock buckets is leased bucket by bucket,
-- only once it was sold out as a whole (see soldout.go).
--
-- KEYS[1] -> the activity, or the bucket's meta (HASH; field hold_until, ms)
-- KEYS[2] -> the (bucket's) remaining stock (STRING)
-- KEYS[3] -> the (bucket's) buyers (HASH user id -> order id)
-- ARGV[1] -> the hold in ms: the caller's lease plus a margin for clocks
-- ARGV[2] -> how many buyers the caller already holds in memory (-1: none);
--            the buyers are listed only when their number differs (a buyer
--            is never removed, so an equal number means the same buyers)
-- ARGV[3] -> the most buyers the caller can take
--
-- Returns {code, ...}:
--   {1, now, starts_at, ends_at, cancelled_at, paused_at, count}
--                              sold out and leased; the buyers are the ARGV[2] known
--   {2, now, starts_at, ends_at, cancelled_at, paused_at, count, user, order, user, order, ...}
--                              sold out and leased, with every buyer
--   {3}                        activity not found (nothing written)
--   {4}                        not sold out (nothing written)
--   {5, count}                 sold out, but more than ARGV[3] buyers (nothing written)
local a = redis.call('HMGET', KEYS[1], 'id', 'starts_at', 'ends_at', 'cancelled_at', 'hold_until', 'paused_at')
if not a[1] then
  return {3}
end
if tonumber(redis.call('GET', KEYS[2])) > 0 then
  return {4}
end
local count = redis.call('HLEN', KEYS[3])
if count > tonumber(ARGV[3]) then
  return {5, count}
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
-- Written even when it does not grow: with replica acks, the WAIT after this
-- script then covers every win it reads (WAIT counts the connection's own
-- writes, and the buyers read may be wins whose own WAIT timed out).
local hold = math.max(now + tonumber(ARGV[1]), tonumber(a[5]) or 0)
redis.call('HSET', KEYS[1], 'hold_until', hold)
if count == tonumber(ARGV[2]) then
  return {1, now, a[2], a[3], a[4], a[6] or '0', count}
end
local r = {2, now, a[2], a[3], a[4], a[6] or '0', count}
local buyers = redis.call('HGETALL', KEYS[3])
for i = 1, #buyers do
  r[7 + i] = buyers[i]
end
return r
