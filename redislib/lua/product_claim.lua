-- Claims a product for an activity that is about to be moved to it (a change
-- of product_id by activity_update.lua, in another slot). The claim is a pin
-- that product_delete.lua respects: a product cannot be deleted while an
-- activity may be moving to it. The activity is also added to the product's
-- activities, which the delete check reads. The pin's deadline is passed to
-- activity_update.lua, which refuses the move once it has passed, so a pin
-- bounds the move in time.
--
-- KEYS[1] -> the product (HASH)
-- KEYS[2] -> the product's activities (SET of activity ids)
-- KEYS[3] -> the product's pins (ZSET, member = pin token, score = deadline ms)
-- ARGV[1] -> activity id
-- ARGV[2] -> pin token (fresh, unique)
-- ARGV[3] -> pin lifetime in ms
--
-- Returns:
--   {1, deadline}  pinned until deadline (ms)
--   {2}            unknown product
--   {3}            product deleted
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
local deadline = now + tonumber(ARGV[3])
-- Pins an hour past their deadline can matter to no delete any more.
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now - 3600000)
redis.call('ZADD', KEYS[3], deadline, ARGV[2])
redis.call('SADD', KEYS[2], ARGV[1])
return {1, deadline}
