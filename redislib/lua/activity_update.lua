-- Changes an activity's fields under the rules of its lifecycle, read with
-- Redis TIME in this one script:
--   * cancelled or ended (TIME >= ends_at): nothing may change;
--   * running (TIME >= starts_at): only ends_at may move (stock changes go
--     through activity_stock.lua);
--   * scheduled: any field may change, the admission mode and its settings
--     included (see admission.go).
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
-- ARGV[9] -> admission (open, queue or draw), or ''
-- ARGV[10..14] -> queue_opens_at (ms), admit_rate, admission_ttl (s),
--            registration_opens_at (ms), draw_at (ms); each '' to keep
-- ARGV[15], ARGV[16] -> a fresh seed and its SHA-256 (hex), stored only when
--            the change makes the activity a draw
-- ARGV[17] -> the admission_ttl (s) of an activity the change makes a queue
--            without giving one
--
-- The settings of the resulting mode are the ones given, else the stored
-- ones when the mode does not change; the settings of a mode left behind are
-- deleted (a draw's seed with them). The resulting activity must keep the
-- rules of its mode: queue_opens_at < starts_at; registration_opens_at <
-- draw_at; starts_at <= draw_at < ends_at.
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
--   {10, field} the resulting mode needs field, which is neither given nor stored
--   {11, msg}   the resulting times of the mode are out of order (msg says which)
--   {12, field, mode}
--               field is a setting of another mode than the resulting mode
-- Codes 2 to 12 write nothing.
local a = redis.call('HMGET', KEYS[1], 'id', 'product_id', 'stock', 'price', 'starts_at', 'ends_at',
  'payment_window', 'cancelled_at', 'admission', 'queue_opens_at', 'admit_rate', 'admission_ttl',
  'registration_opens_at', 'draw_at')
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

a[9] = a[9] or 'open'

-- {field, index in a, index in ARGV}
local fields = {{'product_id', 2, 1}, {'stock', 3, 2}, {'price', 4, 3}, {'starts_at', 5, 4}, {'ends_at', 6, 5},
  {'payment_window', 7, 6}, {'admission', 9, 9}, {'queue_opens_at', 10, 10}, {'admit_rate', 11, 11},
  {'admission_ttl', 12, 12}, {'registration_opens_at', 13, 13}, {'draw_at', 14, 14}}
local changes, changed, before, after = {}, {}, {}, {}
for _, f in ipairs(fields) do
  local v = ARGV[f[3]]
  if v ~= '' and v ~= a[f[2]] then
    if started and f[1] ~= 'ends_at' then
      return {5, f[1]}
    end
    changes[#changes + 1] = f[1]
    changes[#changes + 1] = v
    changed[f[1]] = v
    if f[1] == 'product_id' or f[1] == 'admission' then
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

-- The admission mode and its settings, as they would be after the change.
local mode = changed.admission or a[9]
local modes = {queue_opens_at = 'queue', admit_rate = 'queue', admission_ttl = 'queue',
  registration_opens_at = 'draw', draw_at = 'draw'}
for field, m in pairs(modes) do
  if changed[field] and m ~= mode then
    return {12, field, mode}
  end
end
local function setting(field, i)
  if changed[field] then
    return tonumber(changed[field])
  end
  if mode == a[9] then
    return tonumber(a[i])
  end
  return nil
end
local extra = {}
if mode == 'queue' then
  local opens, rate = setting('queue_opens_at', 10), setting('admit_rate', 11)
  if not opens then
    return {10, 'queue_opens_at'}
  end
  if not rate then
    return {10, 'admit_rate'}
  end
  if opens >= starts then
    return {11, 'queue_opens_at must be before starts_at'}
  end
  if not setting('admission_ttl', 12) then
    extra = {'admission_ttl', ARGV[17]}
  end
elseif mode == 'draw' then
  local opens, draw = setting('registration_opens_at', 13), setting('draw_at', 14)
  if not opens then
    return {10, 'registration_opens_at'}
  end
  if not draw then
    return {10, 'draw_at'}
  end
  if opens >= draw then
    return {11, 'registration_opens_at must be before draw_at'}
  end
  if draw < starts or draw >= ends then
    return {11, 'draw_at must be at or after starts_at and before ends_at'}
  end
  if mode ~= a[9] then
    extra = {'seed', ARGV[15], 'seed_hash', ARGV[16], 'draw_status', 'pending'}
  end
end

redis.call('HSET', KEYS[1], 'updated_at', now, unpack(changes))
if #extra > 0 then
  redis.call('HSET', KEYS[1], unpack(extra))
end
if mode ~= a[9] then
  if a[9] == 'queue' then
    redis.call('HDEL', KEYS[1], 'queue_opens_at', 'admit_rate', 'admission_ttl')
  elseif a[9] == 'draw' then
    redis.call('HDEL', KEYS[1], 'registration_opens_at', 'draw_at', 'seed', 'seed_hash', 'draw_status')
  end
end
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
