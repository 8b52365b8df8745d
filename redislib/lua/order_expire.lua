-- Expires a batch of one activity's overdue orders and returns their units to
-- stock. Each order is checked again here: only an order that is still
-- pending and whose window has closed by Redis TIME (now >= expires_at) is
-- expired, so an order paid or cancelled since it was selected is left alone
-- and no unit is returned twice.
--
-- KEYS[1]   -> the activity (HASH; counter expired)
-- KEYS[2]   -> the activity's remaining stock (STRING)
-- KEYS[3]   -> the activity's pending orders (ZSET, score = expires_at ms)
-- KEYS[4]   -> the activity's events (STREAM)
-- KEYS[4+i] -> the order (HASH) whose id is ARGV[i], for i = 1..#ARGV
-- ARGV[i]   -> order id (the caller picks them from KEYS[3] by score)
--
-- Returns {expired, dropped}:
--   expired  orders expired now (status expired, closed_at = now, stock + 1
--            each, event "expired" each)
--   dropped  ids removed from the pending ZSET because their order is no
--            longer pending (or does not exist); nothing else is written for them
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local expired, dropped = 0, 0
for i = 1, #ARGV do
  local key = KEYS[4 + i]
  local o = redis.call('HMGET', key, 'status', 'user_id', 'expires_at', 'activity_id', 'price')
  if o[1] ~= 'pending' then
    if redis.call('ZREM', KEYS[3], ARGV[i]) == 1 then
      dropped = dropped + 1
    end
  else
    local expires_at = tonumber(o[3])
    if expires_at > 0 and now >= expires_at then
      redis.call('HSET', key, 'status', 'expired', 'closed_at', now)
      redis.call('ZREM', KEYS[3], ARGV[i])
      redis.call('XADD', KEYS[4], '*', 'type', 'expired', 'order_id', ARGV[i], 'activity_id', o[4], 'user_id', o[2],
        'status', 'expired', 'price', o[5], 'at', now)
      expired = expired + 1
    end
  end
end
if expired > 0 then
  redis.call('INCRBY', KEYS[2], expired)
  redis.call('HINCRBY', KEYS[1], 'expired', expired)
end
return {expired, dropped}
