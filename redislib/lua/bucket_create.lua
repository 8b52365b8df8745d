-- Writes bucket k > 0 of a new activity split into several stock buckets:
-- a copy of the facts purchase.lua reads, at revision 0, zeroed order and
-- transfer counters, and the bucket's units. Runs before the activity itself
-- is written (activity_create.lua).
--
-- KEYS[1] -> the bucket's meta (HASH)
-- KEYS[2] -> the bucket's remaining stock (STRING)
-- ARGV[1] -> activity id
-- ARGV[2] -> product id
-- ARGV[3] -> price in cents
-- ARGV[4] -> starts_at in ms
-- ARGV[5] -> ends_at in ms
-- ARGV[6] -> payment window in seconds
-- ARGV[7] -> the bucket's units
-- ARGV[8] -> admission: open, queue or draw
--
-- Returns:
--   {1}  written
--   {2}  the bucket exists (nothing written)
if redis.call('EXISTS', KEYS[1]) == 1 then
  return {2}
end
redis.call('HSET', KEYS[1], 'id', ARGV[1], 'product_id', ARGV[2], 'price', ARGV[3], 'starts_at', ARGV[4],
  'ends_at', ARGV[5], 'payment_window', ARGV[6], 'cancelled_at', 0, 'paused_at', 0, 'rev', 0,
  'paid', 0, 'cancelled', 0, 'expired', 0, 'moved_in', 0, 'moved_out', 0, 'admission', ARGV[8])
redis.call('SET', KEYS[2], ARGV[7])
return {1}
