-- Changes an activity's fields under the rules of its lifecycle, read with
-- Redis TIME in this one script:
--   * cancelled or ended (TIME >= ends_at): nothing may change;
--   * running (TIME >= starts_at): only ends_at may move (stock changes go
--     through activity_stock.lua);
--   * scheduled: any field may change.
-- A field given with its current value is not a change. The caller has
-- validated each value on its own; this script checks the rules that depend
-- on the stored activity and the time.
--
-- KEYS[1] -> the activity (HASH)
-- KEYS[2] -> the remaining stock (STRING)
-- KEYS[3] -> the activity's audit trail (STREAM, see audit.go)
-- ARGV[1] -> product_id, or '' to keep
-- ARGV[2] -> stock (units offered), or ''
-- ARGV[3] -> price in cents, or ''
-- ARGV[4] -> starts_at in ms, or ''
-- ARGV[5] -> ends_at in ms, or ''
-- ARGV[6] -> payment window in seconds, or ''
-- ARGV[7] -> deadline (ms) of the pin on the new product (product_claim.lua);
--            '' when ARGV[1] is ''
-- ARGV[8] -> who asks (the audit's actor)
--
-- Returns:
--   {1, now}    applied, with an "update" audit entry of the changed fields
--               (or nothing to change: nothing written)
--   {2}         unknown activity
--   {3}         cancelled
--   {4}         ended
--   {5, field}  started: field (not ends_at) would change
--   {6}         the resulting starts_at is not before ends_at
--   {7}         the new ends_at is not in the future
--   {8}         the new stock is below the units already sold
--   {9}         the product pin has expired: the move took too long
-- Codes 1 to 8 write nothing.
local a = redis.call('HMGET', KEYS[1], 'id', 'product_id', 'stock', 'price', 'starts_at', 'ends_at',
  'payment_window', 'cancelled_at')
if not a[1] then
  return {2}
end
if a[8] ~= '0' then
  return {3}
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if now >= tonumber(a[6]) then
  return {4}
end
local started = now >= tonumber(a[5])

-- ARGV index -> {field, index in a}
local fields = {{'product_id', 2}, {'stock', 3}, {'price', 4}, {'starts_at', 5}, {'ends_at', 6}, {'payment_window', 7}}
local changes, changed, before, after = {}, {}, {}, {}
for i, f in ipairs(fields) do
  local v = ARGV[i]
  if v ~= '' and v ~= a[f[2]] then
    if started and f[1] ~= 'ends_at' then
      return {5, f[1]}
    end
    changes[#changes + 1] = f[1]
    changes[#changes + 1] = v
    changed[f[1]] = v
    if f[1] == 'product_id' then
      before[f[1]], after[f[1]] = a[f[2]], v
    else
      before[f[1]], after[f[1]] = tonumber(a[f[2]]), tonumber(v)
    end
  end
end
if #changes == 0 then
  return {1, now}
end

local starts = tonumber(changed.starts_at or a[5])
local ends = tonumber(changed.ends_at or a[6])
if starts >= ends then
  return {6}
end
if changed.ends_at and ends <= now then
  return {7}
end
local delta = 0
if changed.stock then
  delta = tonumber(changed.stock) - tonumber(a[3])
  if tonumber(redis.call('GET', KEYS[2])) + delta < 0 then
    return {8}
  end
end
if changed.product_id and now >= tonumber(ARGV[7]) then
  return {9}
end

redis.call('HSET', KEYS[1], 'updated_at', now, unpack(changes))
-- An activity split into stock buckets gets a new revision of its facts,
-- which bucket_sync.lua copies to its other buckets.
if redis.call('HEXISTS', KEYS[1], 'rev') == 1 then
  redis.call('HINCRBY', KEYS[1], 'rev', 1)
end
if delta ~= 0 then
  redis.call('INCRBY', KEYS[2], delta)
end
redis.call('XADD', KEYS[3], '*', 'at', now, 'actor', ARGV[8], 'action', 'update',
  'before', cjson.encode(before), 'after', cjson.encode(after))
return {1, now}
