-- Creates a product and lists it in the catalog index.
--
-- KEYS[1] -> the product (HASH)
-- KEYS[2] -> the products index (ZSET, score = created_at ms)
-- ARGV[1] -> product id
-- ARGV[2] -> name
-- ARGV[3] -> description
-- ARGV[4] -> price in cents
--
-- Returns the creation time in ms, or 0 when a product with that id exists
-- (nothing written).
if redis.call('EXISTS', KEYS[1]) == 1 then
  return 0
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('HSET', KEYS[1], 'id', ARGV[1], 'name', ARGV[2], 'description', ARGV[3], 'price', ARGV[4],
  'created_at', now, 'updated_at', now, 'deleted', 0)
redis.call('ZADD', KEYS[2], now, ARGV[1])
return now
