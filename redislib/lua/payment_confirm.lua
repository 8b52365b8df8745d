-- Confirms a payment that the payment service reports for an order: pays the
-- order if it is pending, its window open and the amount its price, and
-- otherwise refuses the payment and records it for a refund. It is
-- idempotent by the payment reference: the same confirmation again answers
-- as the first one did and writes nothing more.
--
-- KEYS[1] -> the order's activity (HASH; counters paid, expired)
-- KEYS[2] -> the activity's remaining stock (STRING)
-- KEYS[3] -> the order (HASH)
-- KEYS[4] -> the activity's pending orders (ZSET, score = expires_at ms)
-- KEYS[5] -> the activity's events (STREAM)
-- KEYS[6] -> the activity's refused payments (HASH: payment ref -> JSON record)
-- KEYS[7] -> optional: the payment reference's order (STRING), on one Redis
--            server only; on a cluster it lives in another slot and
--            payment_claim.lua has set it before this script runs
-- ARGV[1] -> order id
-- ARGV[2] -> payment reference
-- ARGV[3] -> amount paid, in cents
-- ARGV[4] -> currency paid (ISO 4217 code)
-- ARGV[5] -> the shop's currency
--
-- Returns:
--   {1, fields}           paid now: status paid, paid_at = now, payment_ref,
--                         event "paid"; KEYS[7] = order id
--   {2, fields}           already paid by this reference (nothing written)
--   {3, reason, fields}   refused and recorded: KEYS[6][ref] = record, event
--                         "payment_refused", KEYS[7] = order id; or refused
--                         before by this reference (nothing written). reason
--                         is cancelled, expired (then the order may have
--                         expired now, as in order_expire.lua), already_paid
--                         (paid by another reference) or amount_mismatch
--                         (amount or currency is not the order's price)
--   {4, order id}         the reference paid or was refused for another
--                         order (nothing written)
--   {5, status}           the order holds an unknown status (nothing written)
--   {6}                   order not found (nothing written)
local oid, ref = ARGV[1], ARGV[2]
if KEYS[7] then
  local owner = redis.call('GET', KEYS[7])
  if owner and owner ~= oid then
    return {4, owner}
  end
end
local o = redis.call('HMGET', KEYS[3], 'status', 'user_id', 'expires_at', 'activity_id', 'price', 'payment_ref')
local status = o[1]
if not status then
  return {6}
end
local previous = redis.call('HGET', KEYS[6], ref)
if previous then
  return {3, cjson.decode(previous).reason, redis.call('HGETALL', KEYS[3])}
end
if status == 'paid' and o[6] == ref then
  return {2, redis.call('HGETALL', KEYS[3])}
end
if status ~= 'paid' and status ~= 'cancelled' and status ~= 'expired' and status ~= 'pending' then
  return {5, status}
end

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local reason
if status == 'pending' then
  local expires_at = tonumber(o[3])
  if expires_at > 0 and now >= expires_at then
    redis.call('HSET', KEYS[3], 'status', 'expired', 'closed_at', now)
    redis.call('INCR', KEYS[2])
    redis.call('HINCRBY', KEYS[1], 'expired', 1)
    redis.call('ZREM', KEYS[4], oid)
    redis.call('XADD', KEYS[5], '*', 'type', 'expired', 'order_id', oid, 'activity_id', o[4], 'user_id', o[2],
      'status', 'expired', 'price', o[5], 'at', now)
    status, reason = 'expired', 'expired'
  elseif ARGV[3] ~= o[5] or ARGV[4] ~= ARGV[5] then
    reason = 'amount_mismatch'
  end
elseif status == 'paid' then
  reason = 'already_paid'
else
  reason = status
end

if reason then
  redis.call('HSET', KEYS[6], ref, cjson.encode({payment_ref = ref, order_id = oid, activity_id = o[4], user_id = o[2],
    reason = reason, order_status = status, amount = tonumber(ARGV[3]), currency = ARGV[4], at = now}))
  redis.call('XADD', KEYS[5], '*', 'type', 'payment_refused', 'order_id', oid, 'activity_id', o[4], 'user_id', o[2],
    'status', status, 'price', o[5], 'at', now, 'payment_ref', ref, 'amount', ARGV[3], 'currency', ARGV[4],
    'reason', reason)
  if KEYS[7] then
    redis.call('SET', KEYS[7], oid)
  end
  return {3, reason, redis.call('HGETALL', KEYS[3])}
end

redis.call('HSET', KEYS[3], 'status', 'paid', 'paid_at', now, 'payment_ref', ref)
redis.call('HINCRBY', KEYS[1], 'paid', 1)
redis.call('ZREM', KEYS[4], oid)
redis.call('XADD', KEYS[5], '*', 'type', 'paid', 'order_id', oid, 'activity_id', o[4], 'user_id', o[2],
  'status', 'paid', 'price', o[5], 'at', now, 'payment_ref', ref)
if KEYS[7] then
  redis.call('SET', KEYS[7], oid)
end
return {1, redis.call('HGETALL', KEYS[3])}
