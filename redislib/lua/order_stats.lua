-- Reads an activity's stock and order counters in one atomic step. Read-only.
-- The pending orders are counted from their ZSET, the one record of them.
--
-- KEYS[1] -> the activity (HASH)
-- KEYS[2] -> the activity's remaining stock (STRING)
-- KEYS[3] -> the activity's buyers (HASH user id -> order id)
-- KEYS[4] -> the activity's pending orders (ZSET, score = expires_at ms)
--
-- Returns {2} when the activity does not exist, otherwise
-- {1, stock, initial_stock, remaining, pending, paid, cancelled, expired,
--  buyers, overdue} where overdue counts pending orders whose window has
-- closed by Redis TIME (expires_at <= now) but are not expired yet.
local a = redis.call('HMGET', KEYS[1], 'stock', 'initial_stock', 'paid', 'cancelled', 'expired')
if not a[1] then
  return {2}
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local function int(v)
  return tonumber(v) or 0
end
return {1, int(a[1]), int(a[2]), int(redis.call('GET', KEYS[2])), redis.call('ZCARD', KEYS[4]), int(a[3]), int(a[4]),
  int(a[5]), redis.call('HLEN', KEYS[3]), redis.call('ZCOUNT', KEYS[4], '-inf', now)}
