-- Soft-deletes a product after the caller has found none of its activities
-- in use: marks it deleted and removes it from the products index. The caller
-- read the product's activities (a snapshot, at time T) and checked each one
-- in its own slot; this script makes sure nothing changed since.
--
-- KEYS[1] -> the product (HASH)
-- KEYS[2] -> the products index (ZSET)
-- KEYS[3] -> the product's activities (SET of activity ids; it only grows)
-- KEYS[4] -> the product's pins (ZSET, score = deadline ms; product_claim.lua)
-- KEYS[5] -> the product's audit trail (STREAM, see audit.go)
-- ARGV[1] -> number of activities in the snapshot
-- ARGV[2] -> T minus the allowed clock skew, in ms: a pin with a later
--            deadline may belong to a move the snapshot did not see
-- ARGV[3] -> who asks (the audit's actor)
--
-- Returns:
--   {1, now}  deleted, with a "delete" audit entry
--   {2}       unknown product
--   {3}       already deleted
--   {4}       in use: an activity was registered, or a move to the product
--             may be in flight, since the snapshot
-- Codes 1 to 3 write nothing.
local deleted = redis.call('HGET', KEYS[1], 'deleted')
if not deleted then
  return {2}
end
if deleted ~= '0' then
  return {3}
end
if redis.call('SCARD', KEYS[3]) ~= tonumber(ARGV[1]) then
  return {4}
end
if redis.call('ZCOUNT', KEYS[4], '(' .. ARGV[2], '+inf') > 0 then
  return {4}
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('HSET', KEYS[1], 'deleted', 1, 'updated_at', now)
redis.call('ZREM', KEYS[2], redis.call('HGET', KEYS[1], 'id'))
redis.call('DEL', KEYS[4])
redis.call('XADD', KEYS[5], '*', 'at', now, 'actor', ARGV[3], 'action', 'delete',
  'before', cjson.encode({deleted = false}), 'after', cjson.encode({deleted = true}))
return {1, now}
