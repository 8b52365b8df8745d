-- Cancels a pending order and returns its unit to stock. An order whose
-- payment window has closed (Redis TIME >= expires_at) is expired here
-- instead, exactly as order_expire.lua would, so its unit also goes back to
-- stock exactly once, under the right name.
--
-- KEYS[1] -> the order's activity (HASH; counters cancelled, expired)
-- KEYS[2] -> the activity's remaining stock (STRING)
-- KEYS[3] -> the order (HASH)
-- KEYS[4] -> the activity's pending orders (ZSET, score = expires_at ms)
-- KEYS[5] -> the activity's events (STREAM)
-- KEYS[6] -> the bucket's audit trail (STREAM, see audit.go)
-- ARGV[1] -> order id
-- ARGV[2] -> id of the user cancelling, or '' when an admin cancels (no
--            ownership check)
-- ARGV[3] -> the admin who cancels (the audit's actor), or '' when a user
--            cancels: an admin's cancellation made now is recorded in KEYS[6]
--
-- Returns {code, order fields as a flat HGETALL array}:
--   {1, fields}   cancelled now: status cancelled, closed_at = now, stock + 1,
--                 event "cancelled"
--   {2}           the order belongs to another user (nothing written)
--   {3, fields}   already paid (nothing written)
--   {4, fields}   already cancelled (nothing written)
--   {5, fields}   expired: either before this call, or now because the window
--                 has closed (then the unit went back to stock, event "expired")
--   {6, status}   the order holds an unknown status (nothing written)
--   {7}           order not found (nothing written)
local o = redis.call('HMGET', KEYS[3], 'status', 'user_id', 'expires_at', 'activity_id', 'price')
local status = o[1]
if not status then
  return {7}
end
if ARGV[2] ~= '' and o[2] ~= ARGV[2] then
  return {2}
end
if status == 'paid' then
  return {3, redis.call('HGETALL', KEYS[3])}
elseif status == 'cancelled' then
  return {4, redis.call('HGETALL', KEYS[3])}
elseif status == 'expired' then
  return {5, redis.call('HGETALL', KEYS[3])}
elseif status ~= 'pending' then
  return {6, status}
end

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local expires_at = tonumber(o[3])
local final, counter = 'cancelled', 'cancelled'
if expires_at > 0 and now >= expires_at then
  final, counter = 'expired', 'expired'
end
redis.call('HSET', KEYS[3], 'status', final, 'closed_at', now)
redis.call('INCR', KEYS[2])
redis.call('HINCRBY', KEYS[1], counter, 1)
redis.call('ZREM', KEYS[4], ARGV[1])
redis.call('XADD', KEYS[5], '*', 'type', final, 'order_id', ARGV[1], 'activity_id', o[4], 'user_id', o[2],
  'status', final, 'price', o[5], 'at', now)
if ARGV[3] ~= '' then
  redis.call('XADD', KEYS[6], '*', 'at', now, 'actor', ARGV[3], 'action', 'cancel_order',
    'before', cjson.encode({order_id = ARGV[1], user_id = o[2], status = 'pending'}),
    'after', cjson.encode({order_id = ARGV[1], user_id = o[2], status = final}))
end
if final == 'expired' then
  return {5, redis.call('HGETALL', KEYS[3])}
end
return {1, redis.call('HGETALL', KEYS[3])}
