-- Writes a new activity and the remaining stock of its bucket 0. An activity
-- split into several buckets has its other buckets written first
-- (bucket_create.lua), so every bucket exists once the activity does.
--
-- KEYS[1] -> the activity (HASH)
-- KEYS[2] -> bucket 0's remaining stock (STRING)
-- KEYS[3] -> the activity's audit trail (STREAM, see audit.go)
-- ARGV[1] -> activity id
-- ARGV[2] -> product id
-- ARGV[3] -> stock (units offered; kept as initial_stock too)
-- ARGV[4] -> price in cents
-- ARGV[5] -> starts_at in ms
-- ARGV[6] -> ends_at in ms
-- ARGV[7] -> payment window in seconds (0: orders are paid at once)
-- ARGV[8] -> shards: the number of stock buckets (1: the field is not written)
-- ARGV[9] -> bucket 0's units (ARGV[3] when shards is 1)
-- ARGV[10] -> who asks (the audit's actor)
-- ARGV[11] -> admission: open, queue or draw
-- ARGV[12..] -> the admission settings as field, value pairs (queue:
--              queue_opens_at admit_rate admission_ttl; draw:
--              registration_opens_at draw_at seed seed_hash draw_status);
--              the seed stays out of the audit trail
--
-- Returns:
--   {1, created_at}  written, with a "create" audit entry; created_at in ms
--   {2}              the activity exists (nothing written)
if redis.call('EXISTS', KEYS[1]) == 1 then
  return {2}
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('HSET', KEYS[1], 'id', ARGV[1], 'product_id', ARGV[2], 'stock', ARGV[3], 'initial_stock', ARGV[3], 'price', ARGV[4],
  'starts_at', ARGV[5], 'ends_at', ARGV[6], 'payment_window', ARGV[7],
  'created_at', now, 'updated_at', now, 'cancelled_at', 0, 'paused_at', 0,
  'paid', 0, 'cancelled', 0, 'expired', 0, 'admission', ARGV[11])
local after = {product_id = ARGV[2], stock = tonumber(ARGV[3]), price = tonumber(ARGV[4]),
  starts_at = tonumber(ARGV[5]), ends_at = tonumber(ARGV[6]), payment_window = tonumber(ARGV[7]),
  shards = tonumber(ARGV[8]), admission = ARGV[11]}
for i = 12, #ARGV - 1, 2 do
  redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
  if ARGV[i] ~= 'seed' then
    if ARGV[i] == 'seed_hash' or ARGV[i] == 'draw_status' then
      after[ARGV[i]] = ARGV[i + 1]
    else
      after[ARGV[i]] = tonumber(ARGV[i + 1])
    end
  end
end
if ARGV[8] ~= '1' then
  redis.call('HSET', KEYS[1], 'shards', ARGV[8], 'rev', 0, 'moved_in', 0, 'moved_out', 0)
end
redis.call('SET', KEYS[2], ARGV[9])
redis.call('XADD', KEYS[3], '*', 'at', now, 'actor', ARGV[10], 'action', 'create', 'before', '{}',
  'after', cjson.encode(after))
return {1, now}
