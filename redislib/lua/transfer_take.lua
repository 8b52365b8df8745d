-- Takes units out of one stock bucket for another, the first step of a
-- transfer (a transfer spans two slots, so it is recorded): the units leave
-- the bucket's stock and the transfer is recorded in the bucket's outbox in
-- the same atomic step. transfer_give.lua then credits the target, and the
-- caller deletes the outbox entry. Until then the units are in flight, and
-- anyone may complete the transfer from the outbox entry (the give is
-- idempotent), so a crash at any point loses and doubles nothing.
--
-- KEYS[1] -> the source bucket's meta (HASH; counter moved_out)
-- KEYS[2] -> the source bucket's remaining stock (STRING)
-- KEYS[3] -> the source bucket's outbox (HASH transfer id -> "target:units:taken_at")
-- ARGV[1] -> transfer id (fresh, unique)
-- ARGV[2] -> target bucket number
-- ARGV[3] -> the most units to take (>= 1)
-- ARGV[4] -> '1' to take at most half the bucket's units (rounded up), '0' not to
--
-- Returns:
--   {2}         the bucket has no units (nothing written)
--   {1, units}  taken and recorded
local left = tonumber(redis.call('GET', KEYS[2]) or '0')
if left <= 0 then
  return {2}
end
local units = math.min(left, tonumber(ARGV[3]))
if ARGV[4] == '1' then
  units = math.min(units, math.ceil(left / 2))
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('DECRBY', KEYS[2], units)
redis.call('HINCRBY', KEYS[1], 'moved_out', units)
redis.call('HSET', KEYS[3], ARGV[1], ARGV[2] .. ':' .. units .. ':' .. now)
return {1, units}
