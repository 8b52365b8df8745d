-- Creates a product and lists it in the catalog index.
--
-- KEYS[1] -> the product (HASH)
-- KEYS[2] -> the products index (ZSET, score = created_at ms)
-- KEYS[3] -> the product's audit trail (STREAM, see audit.go)
-- ARGV[1] -> product id
-- ARGV[2] -> name
-- ARGV[3] -> description
-- ARGV[4] -> price in cents
-- ARGV[5] -> who asks (the audit's actor)
--
-- Returns:
--   {1, created_at}  written, with a "create" audit entry; created_at in ms
--   {2}              a product with that id exists (nothing written)
if redis.call('EXISTS', KEYS[1]) == 1 then
  return {2}
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('HSET', KEYS[1], 'id', ARGV[1], 'name', ARGV[2], 'description', ARGV[3], 'price', ARGV[4],
  'created_at', now, 'updated_at', now, 'deleted', 0)
redis.call('ZADD', KEYS[2], now, ARGV[1])
redis.call('XADD', KEYS[3], '*', 'at', now, 'actor', ARGV[5], 'action', 'create', 'before', '{}',
  'after', cjson.encode({name = ARGV[2], description = ARGV[3], price = tonumber(ARGV[4])}))
return {1, now}
