-- One purchase attempt by one user. Every check happens before the first
-- durable write, so an attempt that does not win writes nothing to the AOF.
--
-- KEYS[1] -> the activity (HASH)
-- KEYS[2] -> the remaining stock (STRING)
-- KEYS[3] -> the buyers (HASH user id -> order id)
-- KEYS[4] -> the order to create (HASH, key of ARGV[2]); on a repeat, the
--            user's held order is read at the same key with its own ID in
--            place of ARGV[2] (the same bucket, so the same slot: its ID is
--            known only once the buyers hash is read here)
-- KEYS[5] -> the activity's orders index (ZSET, score = created_at ms)
-- KEYS[6] -> the pending orders (ZSET, score = expires_at ms)
-- KEYS[7] -> the activity's events (STREAM)
-- KEYS[8] -> the user's rate-limit bucket in this activity (STRING, see rate_limit.lua)
-- KEYS[9] -> the user's order history (ZSET, score = created_at ms); only
--            when ARGV[5] is '1' (on one server: on a cluster it lives in
--            another slot and the caller adds the order itself)
-- ARGV[1] -> user id
-- ARGV[2] -> a fresh order id for this activity
-- ARGV[3] -> rate-limit emission interval in microseconds (0: no limit)
-- ARGV[4] -> rate-limit burst
-- ARGV[5] -> '1' to add the order to KEYS[9], '0' not to
-- ARGV[6] -> the admission the caller verified for the user: 'queue' (a
--            valid admission token of the waiting room), 'draw' (the draw
--            awarding an entrant), or '' (none); read only when the
--            activity's admission is not open, and it must be that admission
--
-- Returns {code, ...}:
--   {1, ARGV[2], now}            won: the order was created (pending, or paid when
--                                the payment window is 0)
--   {2, existing order id, created_at}
--                                already won: this user holds an order here
--                                (pending or paid), created at created_at (ms,
--                                its score in KEYS[5]), so that the caller can
--                                (re)write the user's history on a cluster
--   {3}                          sold out: no stock left, or the units that came
--                                back are held until hold_until (see
--                                purchase_lease.lua)
--   {4}                          not started (Redis TIME < starts_at)
--   {5}                          ended (Redis TIME >= ends_at)
--   {6}                          cancelled by an admin
--   {7, wait}                    rate limited: wait is how many microseconds
--                                until the user's bucket allows one more attempt
--   {8, existing order id, created_at, status}
--                                order closed: this user's order here was
--                                cancelled or expired (status 'cancelled' or
--                                'expired'; a pending order past its window
--                                reads as expired, as on every read). One
--                                order per user per activity: the user may
--                                not buy here again
--   {9}                          paused by an admin (activity_pause.lua)
--   {10}                         activity not found
--   {11}                         admission required: the activity's admission
--                                is queue or draw and ARGV[6] is not it
local a = redis.call('HMGET', KEYS[1], 'id', 'product_id', 'price', 'starts_at', 'ends_at', 'cancelled_at',
  'payment_window', 'hold_until', 'paused_at', 'admission')
if not a[1] then
  return {10}
end
local t = redis.call('TIME')
local now_us = tonumber(t[1]) * 1000000 + tonumber(t[2])
local now = math.floor(now_us / 1000)

-- The rate limit comes next, as a gate before the attempt's work (an
-- unknown activity writes nothing at all). Every answer but a win takes one
-- request from the user's bucket; a win does not, since a user wins once and
-- every later attempt answers already_won and is counted. A refused attempt
-- takes nothing. The bucket is not durable (see rate_limit.lua): its write is
-- kept out of the AOF and the replicas, and costs no fsync.
local interval = tonumber(ARGV[3])
local next_tat
if interval > 0 then
  local burst = tonumber(ARGV[4])
  local tat = tonumber(redis.call('GET', KEYS[8])) or now_us
  if tat < now_us then
    tat = now_us
  end
  next_tat = tat + interval
  local allow_at = next_tat - burst * interval
  if now_us < allow_at then
    return {7, allow_at - now_us}
  end
end

-- lose takes the attempt from the user's bucket and returns reply.
local function lose(reply)
  if next_tat then
    redis.set_repl(redis.REPL_NONE)
    redis.call('SET', KEYS[8], string.format('%.0f', next_tat), 'PX', math.ceil((next_tat - now_us) / 1000))
    redis.set_repl(redis.REPL_ALL)
  end
  return reply
end

local held = redis.call('HGET', KEYS[3], ARGV[1])
if held then
  local o = redis.call('HMGET', string.sub(KEYS[4], 1, #KEYS[4] - #ARGV[2]) .. held, 'status', 'expires_at',
    'created_at')
  local status, created = o[1], tonumber(o[3])
  if status == 'pending' and now >= tonumber(o[2]) then
    status = 'expired'
  end
  if status == 'cancelled' or status == 'expired' then
    return lose({8, held, created, status})
  end
  return lose({2, held, created})
end
if a[6] ~= '0' then
  return lose({6})
end
if (a[9] or '0') ~= '0' then
  return lose({9})
end
if now < tonumber(a[4]) then
  return lose({4})
end
if now >= tonumber(a[5]) then
  return lose({5})
end
-- An activity with a waiting room or a draw sells only to admitted users. A
-- stored admission of open (or none) costs nothing more.
if a[10] and a[10] ~= 'open' and ARGV[6] ~= a[10] then
  return lose({11})
end
if tonumber(redis.call('GET', KEYS[2])) <= 0 then
  return lose({3})
end
-- A process may be answering sold_out from memory until hold_until: a unit
-- that came back meanwhile is sold only after it, so no process can have told
-- a later winner anything but already_won.
if now < (tonumber(a[8]) or 0) then
  return lose({3})
end

redis.call('DECR', KEYS[2])
-- Numbers go to Redis as strings made once here: Redis would format every
-- numeric argument itself (a printf per argument, several per win).
local window = tonumber(a[7])
local at = tostring(now)
local status, expires_at, paid_at = 'pending', tostring(now + window * 1000), '0'
if window == 0 then
  status, expires_at, paid_at = 'paid', '0', at
end
redis.call('HSET', KEYS[4], 'id', ARGV[2], 'activity_id', a[1], 'product_id', a[2], 'user_id', ARGV[1],
  'price', a[3], 'status', status, 'created_at', at, 'expires_at', expires_at, 'paid_at', paid_at, 'closed_at', '0')
redis.call('HSET', KEYS[3], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[5], at, ARGV[2])
if ARGV[5] == '1' then
  redis.call('ZADD', KEYS[9], at, ARGV[2])
end
redis.call('XADD', KEYS[7], '*', 'type', 'won', 'order_id', ARGV[2], 'activity_id', a[1], 'user_id', ARGV[1],
  'status', 'pending', 'price', a[3], 'at', at)
if window == 0 then
  redis.call('HINCRBY', KEYS[1], 'paid', '1')
  redis.call('XADD', KEYS[7], '*', 'type', 'paid', 'order_id', ARGV[2], 'activity_id', a[1], 'user_id', ARGV[1],
    'status', 'paid', 'price', a[3], 'at', at)
else
  redis.call('ZADD', KEYS[6], expires_at, ARGV[2])
end
return {1, ARGV[2], now}
