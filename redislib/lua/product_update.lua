-- Changes some fields of a product.
--
-- KEYS[1] -> the product (HASH)
-- ARGV    -> field, value pairs to set (name, description, price); validated
--            by the caller
--
-- Returns:
--   {0, fields}  updated; fields is the product's flat HGETALL after the change
--   {1}          unknown product
--   {2}          product deleted (a deleted product is read-only)
-- Codes 1 and 2 write nothing.
local deleted = redis.call('HGET', KEYS[1], 'deleted')
if not deleted then
  return {1}
end
if deleted ~= '0' then
  return {2}
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('HSET', KEYS[1], 'updated_at', now, unpack(ARGV))
return {0, redis.call('HGETALL', KEYS[1])}
