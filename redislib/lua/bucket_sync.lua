-- Brings the copy of an activity's facts in bucket k > 0 up to a revision
-- of the activity (its field rev, raised by every change of a fact). Applying
-- a revision twice, or an older one, changes nothing, so any number of
-- processes may sync a bucket at once, in any order.
--
-- KEYS[1] -> the bucket's meta (HASH)
-- ARGV[1] -> the activity's rev
-- ARGV[2..] -> field, value pairs: product_id price starts_at ends_at
--              payment_window cancelled_at paused_at admission, as the
--              activity holds them at rev
--
-- Returns:
--   {1}  applied
--   {2}  the bucket is at rev or later (nothing written)
--   {3}  unknown bucket (nothing written)
local rev = redis.call('HGET', KEYS[1], 'rev')
if not rev then
  return {3}
end
if tonumber(rev) >= tonumber(ARGV[1]) then
  return {2}
end
redis.call('HSET', KEYS[1], 'rev', ARGV[1], unpack(ARGV, 2))
return {1}
