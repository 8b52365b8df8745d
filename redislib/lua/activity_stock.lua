-- Adds stock to an activity or removes unsold stock. The offered stock and
-- the remaining stock change together, so remaining + pending + paid == stock
-- holds, and purchases racing the change see either the old or the new stock.
--
-- KEYS[1] -> the activity (HASH)
-- KEYS[2] -> the remaining stock (STRING)
-- KEYS[3] -> the activity's audit trail (STREAM, see audit.go)
-- ARGV[1] -> delta (non-zero integer)
-- ARGV[2] -> the largest stock an activity may offer
-- ARGV[3] -> who asks (the audit's actor)
--
-- Returns:
--   {1, stock, remaining}  applied, with a "stock" audit entry; the new values
--   {2}                    unknown activity
--   {3}                    activity cancelled
--   {4}                    activity ended (Redis TIME >= ends_at)
--   {5, stock, remaining}  would remove sold units (remaining + delta < 0)
--   {6, stock}             stock + delta outside 1..ARGV[2]
-- Codes 1 to 5 write nothing.
local a = redis.call('HMGET', KEYS[1], 'stock', 'ends_at', 'cancelled_at')
if not a[1] then
  return {2}
end
if a[3] ~= '0' then
  return {3}
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if now >= tonumber(a[2]) then
  return {4}
end
local delta, stock = tonumber(ARGV[1]), tonumber(a[1])
local remaining = tonumber(redis.call('GET', KEYS[2]))
if remaining + delta < 0 then
  return {5, stock, remaining}
end
if stock + delta < 1 or stock + delta > tonumber(ARGV[2]) then
  return {6, stock}
end
redis.call('HSET', KEYS[1], 'stock', stock + delta, 'updated_at', now)
local left = redis.call('INCRBY', KEYS[2], delta)
redis.call('XADD', KEYS[3], '*', 'at', now, 'actor', ARGV[3], 'action', 'stock',
  'before', cjson.encode({stock = stock, remaining = remaining}),
  'after', cjson.encode({stock = stock + delta, remaining = left}))
return {1, stock + delta, left}
