-- One purchase attempt by one user. Every check happens before the first
-- write, so an attempt that does not win writes nothing.
-- purchase_snapshot.go mirrors every check below up to the first write (to answer
-- attempts on a sold-out activity without running this script): change both together.
--
-- KEYS[1] -> the activity (HASH)
-- KEYS[2] -> the remaining stock (STRING)
-- KEYS[3] -> the buyers (HASH user id -> order id)
-- KEYS[4] -> the order to create (HASH, key of ARGV[2])
-- KEYS[5] -> the activity's orders index (ZSET, score = created_at ms)
-- KEYS[6] -> the pending orders (ZSET, score = expires_at ms)
-- KEYS[7] -> the activity's events (STREAM)
-- ARGV[1] -> user id
-- ARGV[2] -> a fresh order id for this activity
--
-- Returns {code, order id, created_at ms}:
--   {0}                          activity not found
--   {1, ARGV[2], now}            won: the order was created (pending, or paid when
--                                the payment window is 0)
--   {2, existing order id}       already won: this user holds an order here
--   {3}                          sold out
--   {4}                          not started (Redis TIME < starts_at)
--   {5}                          ended (Redis TIME >= ends_at)
--   {6}                          cancelled by an admin
local a = redis.call('HMGET', KEYS[1], 'id', 'product_id', 'price', 'starts_at', 'ends_at', 'cancelled_at', 'payment_window')
if not a[1] then
  return {0}
end
local held = redis.call('HGET', KEYS[3], ARGV[1])
if held then
  return {2, held}
end
if a[6] ~= '0' then
  return {6}
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if now < tonumber(a[4]) then
  return {4}
end
if now >= tonumber(a[5]) then
  return {5}
end
if tonumber(redis.call('GET', KEYS[2])) <= 0 then
  return {3}
end

redis.call('DECR', KEYS[2])
local window = tonumber(a[7])
local status, expires_at, paid_at = 'pending', now + window * 1000, 0
if window == 0 then
  status, expires_at, paid_at = 'paid', 0, now
end
redis.call('HSET', KEYS[4], 'id', ARGV[2], 'activity_id', a[1], 'product_id', a[2], 'user_id', ARGV[1],
  'price', a[3], 'status', status, 'created_at', now, 'expires_at', expires_at, 'paid_at', paid_at, 'closed_at', 0)
redis.call('HSET', KEYS[3], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[5], now, ARGV[2])
redis.call('XADD', KEYS[7], '*', 'type', 'won', 'order_id', ARGV[2], 'activity_id', a[1], 'user_id', ARGV[1],
  'status', 'pending', 'price', a[3], 'at', now)
if window == 0 then
  redis.call('HINCRBY', KEYS[1], 'paid', 1)
  redis.call('XADD', KEYS[7], '*', 'type', 'paid', 'order_id', ARGV[2], 'activity_id', a[1], 'user_id', ARGV[1],
    'status', 'paid', 'price', a[3], 'at', now)
else
  redis.call('HINCRBY', KEYS[1], 'pending', 1)
  redis.call('ZADD', KEYS[6], expires_at, ARGV[2])
end
return {1, ARGV[2], now}
