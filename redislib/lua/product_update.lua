-- Changes some fields of a product.
--
-- KEYS[1] -> the product (HASH)
-- KEYS[2] -> the product's audit trail (STREAM, see audit.go)
-- ARGV[1] -> who asks (the audit's actor)
-- ARGV[2..] -> field, value pairs to set (name, description, price); validated
--              by the caller
--
-- Returns:
--   {1, fields}  updated, with an "update" audit entry of the fields that
--                changed; fields is the product's flat HGETALL after the change
--   {2}          unknown product
--   {3}          product deleted (a deleted product is read-only)
-- Codes 1 and 2 write nothing.
local deleted = redis.call('HGET', KEYS[1], 'deleted')
if not deleted then
  return {2}
end
if deleted ~= '0' then
  return {3}
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local before, after = {}, {}
for i = 2, #ARGV, 2 do
  local f, v = ARGV[i], ARGV[i + 1]
  local old = redis.call('HGET', KEYS[1], f)
  if old ~= v then
    if f == 'price' then
      before[f], after[f] = tonumber(old), tonumber(v)
    else
      before[f], after[f] = old, v
    end
  end
end
redis.call('HSET', KEYS[1], 'updated_at', now, unpack(ARGV, 2))
if next(after) then
  redis.call('XADD', KEYS[2], '*', 'at', now, 'actor', ARGV[1], 'action', 'update',
    'before', cjson.encode(before), 'after', cjson.encode(after))
end
return {1, redis.call('HGETALL', KEYS[1])}
