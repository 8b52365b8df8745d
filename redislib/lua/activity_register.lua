-- Registers a new activity with its product, in the catalog slot, before the
-- activity itself is written (activity_create.lua). A listing skips an ID whose
-- activity was never written.
--
-- KEYS[1] -> the product (HASH)
-- KEYS[2] -> the product's activities (SET of activity ids)
-- KEYS[3] -> the activities index (ZSET, score = registration time ms)
-- KEYS[4] -> the product's registered end times (HASH activity id -> ends_at ms),
--            which the product delete check reads for an activity not written yet
-- ARGV[1] -> activity id
-- ARGV[2] -> ends_at in ms
--
-- Returns:
--   {1}  registered
--   {2}  unknown product (nothing written)
--   {3}  product deleted (nothing written)
--   {4}  ends_at is not in the future by Redis TIME (nothing written)
-- Codes 1 to 3 write nothing.
local deleted = redis.call('HGET', KEYS[1], 'deleted')
if not deleted then
  return {2}
end
if deleted ~= '0' then
  return {3}
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if tonumber(ARGV[2]) <= now then
  return {4}
end
redis.call('SADD', KEYS[2], ARGV[1])
redis.call('HSET', KEYS[4], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[3], now, ARGV[1])
return {1}
